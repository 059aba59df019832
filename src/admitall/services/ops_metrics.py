"""Prometheus metrics (prometheus-client).

Two kinds:
- kept by the process as things happen: requests by route template (never the raw path: no ids in labels) and
  status, their latency, the watch rounds' duration. With PROMETHEUS_MULTIPROC_DIR set (several workers, `serve
  --workers N`), each process writes them to files in that directory and a scrape adds them up across the workers
  (prometheus-client's multiprocess mode; the directory must exist, be emptied when the service starts, and be
  the same for every worker);
- read from the database at scrape time, so that every worker answers the same and nothing is lost when a worker
  restarts: open alerts by kind, the backlog by class (from the census projection: a few rows per unit, not the
  people), reports of the last two hours by level, import rows by outcome (from the batches' totals), the age of
  the last finished watch round.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, literal, select, union_all

from admitall.services.context import Context
from admitall.services.watch_rounds import last_round
from admitall.store.tables import alerts, import_batches, reports, units
from admitall.store.tables_census import unit_census, unit_census_changes

REQUESTS = Counter(
    "admitall_http_requests_total", "HTTP requests by route template, method and status", ["route", "method", "status"]
)
LATENCY = Histogram(
    "admitall_http_request_duration_seconds",
    "HTTP request latency by route template and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
WATCH_ROUND_SECONDS = Histogram(
    "admitall_watch_round_duration_seconds",
    "Duration of the chain watch's rounds, by outcome",
    ["outcome"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300),
)
QUEUED = ("waiting", "assigned", "in_transit")
RECENT_REPORTS = timedelta(hours=2)


def backlog_class(status: str, severity: str) -> str:
    """The priority class of a queued person as the census can tell it (status and severity; the risk flags that
    split confirmed people in the policy are not in the projection, so 'confirmed' covers both)."""
    if status == "confirmed" and severity in ("critical", "severe"):
        return severity
    return status


class DatabaseCollector(Collector):
    """The figures read from the database at each scrape, each by one grouped statement."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        now = self.ctx.clock.now()
        with self.ctx.engine.connect() as conn:
            open_alerts = GaugeMetricFamily(
                "admitall_open_alerts", "Alerts neither acknowledged nor settled", labels=["kind"]
            )
            a = alerts.c
            unsettled = (
                a.acknowledged_at.is_(None) & a.resolved_at.is_(None) & a.expired_at.is_(None) & a.folded_into.is_(None)
            )
            for kind, n in conn.execute(select(a.kind, func.count()).where(unsettled).group_by(a.kind)):
                open_alerts.add_metric([kind], n)
            yield open_alerts

            backlog = GaugeMetricFamily(
                "admitall_backlog_people", "People waiting, assigned or in transit, by class", labels=["class"]
            )
            parts = [
                select(t.c.status, t.c.severity, t.c.n).where(t.c.placement.in_(QUEUED))
                for t in (unit_census, unit_census_changes)
            ]
            both = union_all(*parts).subquery()
            sums: dict[str, int] = {}
            for status, severity, n in conn.execute(
                select(both.c.status, both.c.severity, func.sum(both.c.n)).group_by(both.c.status, both.c.severity)
            ):
                key = backlog_class(status, severity)
                sums[key] = sums.get(key, 0) + int(n or 0)
            for key, n in sorted(sums.items()):
                backlog.add_metric([key], n)
            yield backlog

            received = GaugeMetricFamily(
                "admitall_reports_recent",
                "Reports (versions included) for periods begun in the last two hours, by level",
                labels=["level"],
            )
            r = reports.c
            for level, n in conn.execute(
                select(units.c.level, func.count())
                .select_from(reports.join(units, units.c.code == r.unit_code))
                .where(r.period_start >= now - RECENT_REPORTS)
                .group_by(units.c.level)
            ):
                received.add_metric([level], n)
            yield received

            rows = CounterMetricFamily(
                "admitall_import_rows", "Imported rows by kind of file and outcome", labels=["kind", "outcome"]
            )
            b = import_batches.c
            outcomes = ("accepted", "merged", "referred", "rejected")
            for kind, *totals in conn.execute(
                select(b.kind, *(func.coalesce(func.sum(getattr(b, o)), literal(0)) for o in outcomes)).group_by(b.kind)
            ):
                for outcome, n in zip(outcomes, totals, strict=True):
                    rows.add_metric([kind, outcome], int(n))
            yield rows

            age = GaugeMetricFamily(
                "admitall_watch_last_round_age_seconds", "Seconds since the last finished watch round began"
            )
            last = last_round(conn)
            if last is not None:
                age.add_metric([], (now - last["started_at"]).total_seconds())
            yield age


def scrape(ctx: Context) -> bytes:
    """The metrics in Prometheus's text format: this process's (or, in multiprocess mode, every worker's) and the
    database's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (REQUESTS, LATENCY, WATCH_ROUND_SECONDS):
            registry.register(collector)
    registry.register(DatabaseCollector(ctx))
    return generate_latest(registry)
