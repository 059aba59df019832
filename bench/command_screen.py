"""Benchmark: the command screen (issue 7) at 1,000,000 people and 5,000 units — its server time and its first
paint in the browser.

The city is the scorecards benchmark's (bench/scorecards.py, whose generator this reuses): Wuhan's 13 districts and
193 streets with generated communities (as many a street as it takes to reach `--units` units in all), the demo
facilities, an official for every unit, and 30 days of history written straight into the tables — people along
an epidemic curve, their events and wait segments, hourly reports, directives and problems. The history ends at
the real time of the run, because the server measured over HTTP runs on the system clock. On top of it, a live
backlog now: a small share of every priority class never admitted (past their target for days), the last
hours' identifications still waiting, some of them with a bed assigned or on their way; the beds nearly full;
the last hours' reports with the figures a real submission carries (a few missing or late, kept current while
the run goes on); one round of the real chain watch, which raises the alerts for missing reports and overdue
directives and stores the scorecards, then the older alerts acknowledged.

Measured (median of `--repeat` after one warm-up): (a) the service in-process for the city, a district, a street
and a community, as a commander of the city; (b) over HTTP against `admitall serve` (one process): the API with a
bearer token, the HTML page and its JSON twin with a session cookie; (c) the first paint of the city's and a
district's page in Debian's chromium (Playwright), a fresh tab each time in a signed-in browser whose cache is
warm; (d) baselines in the same run: a plain SQL count of the registry by category and placement for the same
subtree, and over HTTP a bare endpoint on the same stack running that count (and bench/bare_app.py's one-row
write).

Targets (issue 7): the server under 300 ms, the first paint under 1 s. Results go to bench/RESULTS.md.

    python bench/command_screen.py [--people 1000000] [--units 5000] [--repeat 5] [--sqlite] [--target command]
    python bench/command_screen.py --people 20000 --units 600 --no-write       # a smoke run
    python bench/command_screen.py --target units ...   # the unit page as a stand-in target (never written)

Re-measuring without regenerating: `--database-url URL` uses that database instead of a throwaway one (and keeps
it). Its schema is first migrated to the newest revision; if it holds no people the city is generated into it,
otherwise the stored city is reused: the reports of the hours since its data ended are topped up as they would
have come in (and the chain watch run once if a deadline passed meanwhile), so that the chain is current however
long ago it was generated. People and directives are not topped up: regenerate a city more than a day old.

    python bench/command_screen.py --database-url URL --generate-only    # generate (or bring current), and exit
    python bench/command_screen.py --database-url URL --in-process       # the service's times only, one line a
                                                                          # unit; RESULTS.md left alone
    python bench/command_screen.py --database-url URL --in-process --profile   # + cProfile top 25 of a city call
    python bench/command_screen.py --database-url URL                    # everything, written to RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import and_, bindparam, delete, func, or_, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from tests.browser import ARGS as BROWSER_ARGS  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

import common  # noqa: E402
from admitall.clock import ManualClock, SystemClock  # noqa: E402
from admitall.domain.units import subtree_bounds  # noqa: E402
from admitall.services.auth import add_user, authenticate  # noqa: E402
from admitall.services.context import Actor, Context, cli_actor  # noqa: E402
from admitall.services.demo import read_divisions  # noqa: E402
from admitall.services.scorecards import day_window  # noqa: E402
from admitall.services.watch import MISSING, watch  # noqa: E402
from admitall.settings import Settings  # noqa: E402
from admitall.store.bulk import bulk_insert  # noqa: E402
from admitall.store.db import init_database, make_engine  # noqa: E402
from admitall.store.tables import alerts, discrepancies, person_events, persons, reports  # noqa: E402
from admitall.store.tables_accountability import directive_recipients, directives, wait_segments  # noqa: E402
from common import machine, write_section  # noqa: E402
from scorecards import (  # noqa: E402
    CITY,
    CLASS_BED,
    HEX,
    PASSWORD,
    SECRET,
    City,
    build_directives,
    build_officials,
    build_people,
    build_reports,
    build_units,
    finish_load,
    free_port,
    log,
    revision,
    server_version,
    start_server,
)

CHROMIUM = os.environ.get("ADMITALL_CHROMIUM", "/usr/bin/chromium")
HOUR = timedelta(hours=1)
GRACE = timedelta(minutes=10)  # the default schedules: every level reports hourly, 10 minutes' grace
# never admitted, by priority class: waiting since they were found, days ago (scorecards.py's default leaves
# about 11% of everyone waiting, which is no live backlog)
WAITING_SHARE = {
    "critical": 0.001,
    "severe": 0.0015,
    "confirmed_risk": 0.002,
    "confirmed": 0.002,
    "suspected": 0.0025,
    "fever": 0.0025,
    "contact": 0.0025,
}
RECENT_HOURS = 4  # the last hours' reports carry figures, written here rather than by scorecards.py
RECENT_MISSING, RECENT_LATE, RECENT_DISCREPANT = 0.015, 0.04, 0.02
LATEST_LATE = 90 * 60  # seconds after the deadline: the latest a late report comes in
ASSIGNED_SHARE = 0.15  # of those found in the last 3 hours and still waiting: a bed assigned (half on their way)
OPEN_ALERT_HOURS = 3  # missing-report alerts about older periods, and overdue directives a day old, acknowledged
SERVER_TARGET, PAINT_TARGET = 0.300, 1.000
OPEN_SEGMENT = and_(wait_segments.c.person_id == persons.c.id, wait_segments.c.ended_at.is_(None))


@dataclass(frozen=True)
class Target:
    """What is measured: the service in-process, and its API, page and JSON twin over HTTP."""

    name: str
    service: Callable[[Context, Actor, str], Any]
    api: str
    page: str
    twin: str


def command_target() -> Target:
    from admitall.services.command import command_screen

    return Target("command", command_screen, "/api/command/{code}", "/command/{code}", "/command/{code}.json")


def units_target() -> Target:
    """The unit page (what GET /units/{code} computes) as a stand-in while the command screen is being built."""
    from admitall.services.people import stock
    from admitall.services.units import unit_overview

    def service(ctx: Context, actor: Actor, code: str) -> dict[str, Any]:
        return {**unit_overview(ctx, actor, code), "stock": stock(ctx, actor, code)}

    return Target("units", service, "/api/units/{code}", "/units/{code}", "/units/{code}.json")


# ------------------------------------------------------------------------------------------------------------
# the city


def communities_per_street(units: int) -> tuple[int, int]:
    """The least and most communities a street, so that the city has about `units` units in all."""
    levels = Counter(d["level"] for d in read_divisions())
    mean = max(1.0, (units - sum(levels.values())) / levels["street"])
    low = max(1, round(mean * 0.6))
    return low, max(low, round(2 * mean - low))


def bed_facilities(ctx: Context) -> dict[str, list[str]]:
    with ctx.engine.connect() as conn:
        pools = conn.execute(text("SELECT facility_code, bed_type FROM bed_pools ORDER BY 1, 2")).all()
    beds: dict[str, list[str]] = {}
    for facility, bed in pools:
        beds.setdefault(bed, []).append(facility)
    return beds


def drop_future_directives(ctx: Context, now: datetime) -> int:
    """scorecards.py issues each day's directives in its first 12 hours: those of today after now are not yet."""
    later = select(directives.c.id).where(directives.c.issued_at > now)
    with ctx.engine.begin() as conn:
        conn.execute(delete(directive_recipients).where(directive_recipients.c.directive_id.in_(later)))
        return int(conn.execute(delete(directives).where(directives.c.issued_at > now)).rowcount)


def assign_some(ctx: Context, rng: random.Random, now: datetime) -> Counter[str]:
    """Some of those found in the last 3 hours and still waiting: a bed assigned, half of them on their way;
    their events, and the beds reserved for them; every pool then a little roomier than what it holds."""
    beds = bed_facilities(ctx)
    with ctx.engine.connect() as conn:
        waiting = conn.execute(
            select(persons.c.id, wait_segments.c.priority_class, persons.c.identified_at)
            .select_from(persons.join(wait_segments, OPEN_SEGMENT))
            .where(persons.c.placement == "waiting", persons.c.identified_at >= now - timedelta(hours=3))
            .order_by(persons.c.id)
        ).all()
    updates, events = [], []
    moved: Counter[str] = Counter()
    for pid, cls, identified in waiting:
        if rng.random() >= ASSIGNED_SHARE or cls not in CLASS_BED:
            continue
        bed = CLASS_BED[cls]
        facility = rng.choice(beds[bed])
        assigned = identified + (now - identified) * rng.uniform(0.3, 0.8)
        data = {"facility_code": facility, "bed_type": bed}
        events.append(_event(pid, 2, "assigned", assigned, data))
        placement, last = "assigned", assigned
        if rng.random() < 0.5:
            last = assigned + (now - assigned) * rng.uniform(0.2, 0.8)
            events.append(_event(pid, 3, "departed", last, data))
            placement = "in_transit"
        updates.append(
            {"pid": pid, "pl": placement, "f": facility, "b": bed, "v": 2 + (placement == "in_transit"), "u": last}
        )
        moved[placement] += 1
    reserved = (
        "(SELECT count(*) FROM persons p WHERE p.facility_code = bed_pools.facility_code "
        "AND p.bed_type = bed_pools.bed_type AND p.placement IN ('assigned', 'in_transit'))"
    )
    with ctx.engine.begin() as conn:
        if updates:
            conn.execute(
                persons.update()
                .where(persons.c.id == bindparam("pid"))
                .values(
                    placement=bindparam("pl"),
                    facility_code=bindparam("f"),
                    bed_type=bindparam("b"),
                    version=bindparam("v"),
                    updated_at=bindparam("u"),
                ),
                updates,
            )
            bulk_insert(conn, person_events, events)
        conn.execute(
            text(
                f"UPDATE bed_pools SET reserved = {reserved}, "
                f"capacity = occupied + {reserved} + out_of_service + 10 + occupied / 20"
            )
        )
    return moved


def _event(pid: int, seq: int, kind: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "person_id": pid,
        "seq": seq,
        "kind": kind,
        "occurred_at": at,
        "recorded_at": at,
        "actor": "bench",
        "source": "bench",
        "data": data,
        "prev_hash": HEX,
        "hash": f"{pid * 4 + seq:064x}",
    }


def _ancestors(code: str) -> set[str]:
    """A community and the street and district above it (the units that report for it)."""
    return {code[:n].ljust(12, "0") for n in (6, 9, 12)}


class RecentReports:
    """The last hours' reports, with the figures a real submission carries (the registry's, and what the unit
    stated: the same but for a few). Each unit's report for a period is drawn once — on time, late or never —
    and stored when its time comes, so that calling `top_up` before each measurement keeps the chain current
    however long the run takes."""

    def __init__(self, ctx: Context, rng: random.Random, city: City, first_period: datetime) -> None:
        self.ctx, self.rng = ctx, rng
        self.codes = sorted(c for c, level in city.units.items() if level in ("district", "street", "community"))
        self.next_period = first_period
        self.pending: list[tuple[datetime, str, datetime]] = []  # (received at, unit, period start)
        self.counts: Counter[str] = Counter()
        with ctx.engine.connect() as conn:
            self.next_id = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM reports")).scalar_one()) + 1

    def top_up(self, now: datetime) -> int:
        while self.next_period + HOUR - GRACE <= now:  # a period's first reports come in its last minutes
            start = self.next_period
            for code in self.codes:
                received = self._draw(start)
                if received is None:
                    self.counts["never sent"] += 1
                    continue
                self.pending.append((received, code, start))
            self.next_period = start + HOUR
            self.counts["periods"] += 1
        due = sorted(p for p in self.pending if p[0] <= now)
        if not due:
            return 0
        self.pending = [p for p in self.pending if p[0] > now]
        figures = self._figures(min(start for _, _, start in due), now)
        rows, found_rows, resolved = [], [], []
        for received, code, start in due:
            registry = figures(code, start)
            reported = json.loads(json.dumps(registry))
            if self.rng.random() < RECENT_DISCREPANT:
                reported["waiting"]["total"] += self.rng.randrange(3, 20)
                found_rows.append(
                    {
                        "report_id": self.next_id,
                        "unit_code": code,
                        "period_start": start,
                        "figure": "waiting.total",
                        "reported": reported["waiting"]["total"],
                        "registry": registry["waiting"]["total"],
                    }
                )
            deadline = start + HOUR + GRACE
            rows.append(
                {
                    "id": self.next_id,
                    "unit_code": code,
                    "period_start": start,
                    "period_end": start + HOUR,
                    "deadline": deadline,
                    "version": 1,
                    "supersedes_id": None,
                    "received_at": received,
                    "on_time": received <= deadline,
                    "reporter": "bench",
                    "attested_by": "值班员",
                    "reported": reported,
                    "registry": registry,
                    "field": {},
                    "prev_hash": HEX,
                    "hash": f"{self.next_id:064x}",
                }
            )
            if received > deadline:
                resolved.append({"unit": code, "start": start, "at": received})
            self.next_id += 1
        with self.ctx.engine.begin() as conn:
            bulk_insert(conn, reports, rows)
            bulk_insert(conn, discrepancies, found_rows)
            if resolved:  # a late report resolves the alert raised for it, as a submission does
                conn.execute(
                    alerts.update()
                    .where(
                        alerts.c.kind == MISSING,
                        alerts.c.unit_code == bindparam("unit"),
                        alerts.c.period_start == bindparam("start"),
                        alerts.c.resolved_at.is_(None),
                    )
                    .values(resolved_at=bindparam("at")),
                    resolved,
                )
            if self.ctx.engine.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT setval(pg_get_serial_sequence('reports', 'id'), (SELECT max(id) FROM reports))")
                )
        self.counts["stored"] += len(rows)
        self.counts["late"] += sum(1 for r in rows if not r["on_time"])
        self.counts["discrepant"] += len(found_rows)
        return len(rows)

    def _draw(self, start: datetime) -> datetime | None:
        """When a unit's report for the period from `start` comes in: on time, late, or never (None)."""
        draw = self.rng.random()
        if draw < RECENT_MISSING:
            return None
        if draw < RECENT_MISSING + RECENT_LATE:
            return start + HOUR + GRACE + timedelta(seconds=self.rng.randrange(60, LATEST_LATE))
        return start + HOUR + timedelta(seconds=self.rng.randrange(-600, 600))

    def resume(self, data_end: datetime) -> int:
        """Carry on from stored data that ended at `data_end`, the periods before `next_period` drawn then: a
        unit's report for one of them not stored yet is drawn again, given that it had not come by `data_end`
        (on time or late but later, or never). Returns how many are to come."""
        oldest = data_end - HOUR - GRACE - timedelta(seconds=LATEST_LATE)  # no report of an older period to come
        with self.ctx.engine.connect() as conn:
            stored = set(
                conn.execute(select(reports.c.unit_code, reports.c.period_start).where(reports.c.period_start > oldest))
            )
        start, added = self.next_period - HOUR, 0
        while start > oldest:
            for code in self.codes:
                if (code, start) in stored:
                    continue
                while True:  # ends: never is one of the draws
                    received = self._draw(start)
                    if received is None:
                        self.counts["never sent, earlier"] += 1  # a period drawn before: not in this run's figures
                        break
                    if received > data_end:
                        self.pending.append((received, code, start))
                        added += 1
                        break
            start -= HOUR
        return added

    def _figures(self, since: datetime, now: datetime) -> Callable[[str, datetime], dict[str, Any]]:
        """What the registry says for each reporting unit's subtree: found and admitted by period since `since`,
        and the waiting now — counted once for the whole city, each community's figures added to its street and
        district."""
        found: dict[tuple[str, datetime], Counter[str]] = {}
        admitted: Counter[tuple[str, datetime]] = Counter()
        waiting: dict[str, Counter[str]] = {}
        severity: dict[str, Counter[str]] = {}
        oldest: dict[str, datetime] = {}
        breaches: Counter[str] = Counter()
        sla = {cls.value: target for cls, target in self.ctx.policy.sla.items()}

        def period(at: datetime) -> datetime:
            return since + HOUR * ((at - since) // HOUR)

        p, e, w = persons.c, person_events.c, wait_segments.c
        with self.ctx.engine.connect() as conn:
            for unit, status, at in conn.execute(
                select(p.unit_code, p.status, p.identified_at).where(p.identified_at >= since)
            ):
                for code in _ancestors(unit):
                    found.setdefault((code, period(at)), Counter())[status] += 1
            for unit, at in conn.execute(
                select(p.unit_code, e.occurred_at)
                .select_from(person_events.join(persons, p.id == e.person_id))
                .where(e.kind == "admitted", e.occurred_at >= since)
            ):
                for code in _ancestors(unit):
                    admitted[(code, period(at))] += 1
            for unit, status, sev, cls, since_wait, started in conn.execute(
                select(p.unit_code, p.status, p.severity, w.priority_class, p.waiting_since, w.wait_started_at)
                .select_from(persons.join(wait_segments, OPEN_SEGMENT))
                .where(p.placement == "waiting")
            ):
                for code in _ancestors(unit):
                    waiting.setdefault(code, Counter())[status] += 1
                    if sev is not None:
                        severity.setdefault(code, Counter())[sev] += 1
                    if code not in oldest or since_wait < oldest[code]:
                        oldest[code] = since_wait
                    if cls in sla and started < now - sla[cls]:
                        breaches[code] += 1

        def figures(code: str, start: datetime) -> dict[str, Any]:
            f, w = found.get((code, start), Counter()), waiting.get(code, Counter())
            return {
                "found": {**f, "total": sum(f.values())},
                "admitted": admitted[(code, start)],
                "waiting": {**w, "total": sum(w.values())},
                "waiting_confirmed_by_severity": dict(severity.get(code, {})),
                "oldest_wait_hours": round((now - oldest[code]).total_seconds() / 3600, 1) if code in oldest else None,
                "sla_breaches": breaches[code],
            }

        return figures


def acknowledge_older(ctx: Context, now: datetime) -> int:
    """The chain has been answering: alerts about missing reports of more than a few hours ago, and about
    directives overdue for a day, were acknowledged; the rest are open."""
    a = alerts.c
    older = or_(
        and_(a.kind == MISSING, a.period_start < now - timedelta(hours=OPEN_ALERT_HOURS)),
        and_(a.kind != MISSING, a.period_start < now - timedelta(days=1)),
    )
    query = (
        alerts.update()
        .where(a.acknowledged_at.is_(None), a.resolved_at.is_(None), a.period_start.is_not(None), older)
        .values(acknowledged_at=now, acknowledged_by="bench", ack_note="已督办")
    )
    with ctx.engine.begin() as conn:
        return int(conn.execute(query).rowcount)


def describe(ctx: Context) -> dict[str, Any]:
    """What the generated state holds now: the sizes the results quote."""
    now = ctx.clock.now()
    sla = {cls.value: now - target for cls, target in ctx.policy.sla.items()}
    with ctx.engine.connect() as conn:

        def rows(sql: str) -> list[Any]:
            return list(conn.execute(text(sql)).all())

        units = dict(rows("SELECT level, count(*) FROM units GROUP BY level"))
        placement = dict(rows("SELECT placement, count(*) FROM persons GROUP BY placement"))
        waiting = dict(rows("SELECT status, count(*) FROM persons WHERE placement = 'waiting' GROUP BY status"))
        segments = conn.execute(
            select(wait_segments.c.priority_class, wait_segments.c.wait_started_at)
            .select_from(persons.join(wait_segments, OPEN_SEGMENT))
            .where(persons.c.placement == "waiting")
        ).all()
        beds = rows(
            "SELECT bed_type, sum(capacity), sum(occupied), sum(reserved) FROM bed_pools GROUP BY bed_type ORDER BY 1"
        )
        facilities = rows("SELECT count(*) FROM facilities")[0][0]
        unanswered = rows(
            "SELECT kind, count(*), sum(CASE WHEN resolved_at IS NULL THEN 1 ELSE 0 END) FROM alerts "
            "WHERE acknowledged_at IS NULL GROUP BY kind"
        )
        r = directive_recipients.c
        open_directives = conn.execute(select(func.count()).where(r.status != "completed")).scalar_one()
        overdue = conn.execute(select(func.count()).where(r.status != "completed", r.due_at <= now)).scalar_one()
        problems = rows("SELECT count(*) FROM report_problems WHERE status = 'open'")[0][0]
        reports_n = rows("SELECT count(*) FROM reports")[0][0]
        events = rows("SELECT count(*) FROM person_events")[0][0]
    by_class = Counter(cls for cls, _ in segments)
    return {
        "units": units,
        "units_total": sum(units.values()),
        "people": sum(placement.values()),
        "placement": placement,
        "waiting": waiting,
        "waiting_total": sum(waiting.values()),
        "waiting_by_class": dict(by_class),
        "past_sla": sum(1 for cls, started in segments if cls in sla and started < sla[cls]),
        "beds": [(b, int(c), int(o), int(r)) for b, c, o, r in beds],
        "facilities": facilities,
        "alerts": {kind: int(n) for kind, n, _ in unanswered},  # not acknowledged
        "alerts_unresolved": {kind: int(n or 0) for kind, _, n in unanswered},  # … nor resolved: the screen's open
        "directives_open": int(open_directives),
        "directives_overdue": int(overdue),
        "problems_open": problems,
        "reports": reports_n,
        "events": events,
    }


# ------------------------------------------------------------------------------------------------------------
# measuring


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """One warm-up, then `repeat` runs: (median, runs, the last result)."""
    result = fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), runs, result


def profiled(fn: Callable[[], Any]) -> tuple[float, dict[Any, Any]]:
    """One call of `fn` under cProfile: the seconds it took (with the profiler's overhead) and pstats' table."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    t = time.perf_counter()
    profile.enable()
    fn()
    profile.disable()
    took = time.perf_counter() - t
    return took, pstats.Stats(profile).stats  # type: ignore[attr-defined]


def breakdown(fn: Callable[[], Any], name: str) -> tuple[float, list[tuple[str, float]]]:
    """One call under cProfile: its time (inflated by the profiler) and the time of each function the service
    calls directly, largest first."""
    total, stats = profiled(fn)
    service = next((k for k in stats if k[2] == name), None)
    parts: dict[str, float] = {}
    for (file, _line, function), (*_, callers) in stats.items():
        if service in callers:
            key = f"{Path(file).stem}.{function}" if file != "~" else function
            parts[key] = parts.get(key, 0.0) + callers[service][3]
    return total, sorted(parts.items(), key=lambda kv: -kv[1])


def src_fingerprint() -> str:
    """A short hash of src/'s files: others may be editing the code while the benchmark runs."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "src").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def plain_counts(ctx: Context, root: str) -> int:
    """The baseline: the registry by category and placement, for the whole table or the subtree's codes."""
    where, params = "", {}
    if root != CITY:
        low, high = subtree_bounds(root)
        where, params = " WHERE unit_code BETWEEN :low AND :high", {"low": low, "high": high}
    with ctx.engine.connect() as conn:
        found = conn.execute(text(f"SELECT status, placement, count(*) FROM persons{where} GROUP BY 1, 2"), params)
        return sum(int(n) for _, _, n in found)


def bare_counts_app() -> Any:
    """The HTTP baseline, for `uvicorn --factory`: the same stack (FastAPI, uvicorn, SQLAlchemy, the same
    database) answering GET /counts/{code} with the plain count — no session, no checks, no template."""
    from fastapi import FastAPI

    engine = make_engine(os.environ["ADMITALL_DATABASE_URL"])
    ctx = Context(engine, SystemClock(), Settings(database_url=os.environ["ADMITALL_DATABASE_URL"]))
    app = FastAPI()

    @app.get("/counts/{code}")
    def counts(code: str) -> dict[str, int]:
        return {"people": plain_counts(ctx, code)}

    return app


def start_process(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return common.start_process(command, env, port, ROOT)


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def routes(ctx: Context) -> set[str]:
    """Every path the application serves (the pages are left out of the OpenAPI schema, so not from there)."""
    from admitall.api.app import create_app

    def walk(items: list[Any], prefix: str) -> Any:
        for r in items:
            inner = getattr(r, "original_router", None)  # an included router, in this FastAPI's routing
            if inner is not None:
                yield from walk(inner.routes, prefix + (getattr(r.include_context, "prefix", "") or ""))
            elif getattr(r, "path", None) is not None:
                yield prefix + r.path

    return set(walk(create_app(ctx).routes, ""))


def sign_in(client: httpx.Client, username: str) -> None:
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token, "no sign-in form"
    answer = client.post(
        "/login", data={"username": username, "password": PASSWORD, "login_csrf": token.group(1), "next": "/"}
    )
    assert answer.status_code == 303 and "/login" not in answer.headers.get("location", ""), answer.text[:300]


def get_ok(client: httpx.Client, path: str, kind: str) -> Callable[[], int]:
    def get() -> int:
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
        assert kind in response.headers.get("content-type", ""), f"{path}: {response.headers.get('content-type')}"
        return len(response.content)

    return get


PAINT = """() => {
  const at = (name) => { const e = performance.getEntriesByName(name)[0]; return e ? e.startTime : null; };
  const n = performance.getEntriesByType('navigation')[0];
  return {fcp: at('first-contentful-paint'), fp: at('first-paint'), dcl: n.domContentLoadedEventEnd,
          load: n.loadEventEnd, ttfb: n.responseStart, bytes: n.decodedBodySize, path: location.pathname};
}"""


def first_paint(base_url: str, username: str, pages: dict[str, str], repeat: int) -> dict[str, dict[str, Any]]:
    """Each page in a fresh tab of one signed-in browser (cache warm after the first load, which is not counted):
    first paint, first contentful paint, DOMContentLoaded, load, first byte (ms from navigation start)."""
    from playwright.sync_api import sync_playwright

    measured: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=BROWSER_ARGS,
        )
        try:
            context = browser.new_context(base_url=base_url, viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            page.goto("/login?next=/")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("load")
            assert "/login" not in page.url, "the browser did not sign in"
            page.close()
            for label, path in pages.items():
                runs = []
                for i in range(repeat + 1):
                    tab = context.new_page()
                    response = tab.goto(path, wait_until="load")
                    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
                    tab.wait_for_function(
                        "performance.getEntriesByName('first-contentful-paint').length > 0", timeout=30_000
                    )
                    figures = tab.evaluate(PAINT)
                    tab.close()
                    assert figures["path"] == path, f"ended on {figures['path']}, not {path}"
                    if i:
                        runs.append(figures)
                measured[label] = {
                    key: statistics.median(r[key] for r in runs) for key in ("fcp", "fp", "dcl", "load", "ttfb")
                }
                measured[label]["runs"] = [r["fcp"] for r in runs]
                measured[label]["bytes"] = runs[-1]["bytes"]
                log(f"  paint {label}: FCP {measured[label]['fcp']:.0f} ms, runs {measured[label]['runs']}")
        finally:
            browser.close()
    return measured


# ------------------------------------------------------------------------------------------------------------
# the run


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.01 else f"{seconds * 1000:.1f}"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=5_000, help="units in all (about: communities a street vary)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each measurement, after one warm-up")
    parser.add_argument("--sqlite", action="store_true", help="an embedded SQLite file instead of PostgreSQL")
    parser.add_argument("--target", choices=("command", "units"), default="command")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-http", action="store_true", help="in-process only")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave RESULTS.md alone")
    parser.add_argument(
        "--database-url",
        help="use (and keep) this database: generate the city into it if it holds no people, else reuse it",
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="generate into --database-url (or bring it current), and exit"
    )
    parser.add_argument(
        "--only",
        choices=("in-process",),
        help="in-process: the service's times only (no baseline, HTTP or browser), one line a unit; "
        "RESULTS.md left alone",
    )
    parser.add_argument("--in-process", dest="only", action="store_const", const="in-process", help="--only in-process")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top 25 of one city call")
    args = parser.parse_args()
    if args.generate_only and not args.database_url:
        parser.error("--generate-only needs --database-url (a throwaway database is deleted at the end)")
    if args.sqlite and args.database_url:
        parser.error("--sqlite and --database-url: give an sqlite:/// URL to --database-url instead")
    if args.only == "in-process":
        args.no_http = args.no_browser = args.no_write = True
    target = command_target() if args.target == "command" else units_target()
    started = time.perf_counter()
    args.code_at_start = (revision(), src_fingerprint())  # the code this process measures, loaded now

    server, tmp = None, None
    if args.database_url:
        url = args.database_url
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
    elif args.sqlite:
        tmp = tempfile.TemporaryDirectory(prefix="admitall-bench-")
        url = f"sqlite:///{tmp.name}/command.db"
    else:
        server = PostgresServer()
        url = server.fresh_database()
    processes: list[subprocess.Popen[bytes] | None] = []
    try:
        run(args, target, url, url.startswith("postgresql"), processes, started)
    finally:
        for process in processes:
            stop(process)
        if server is not None:
            server.drop(url)
            server.stop()
        if tmp is not None:
            tmp.cleanup()


@dataclass
class Setup:
    """The city measured, and how it came to be: generated now, or stored and brought current."""

    city: City
    recent: RecentReports
    days: int  # of history
    reused: bool = False
    data_end: datetime | None = None  # reused: when the stored data ended
    generation_seconds: float = 0.0  # reused: bringing the stored data current
    watch_seconds: float = 0.0
    watched: bool = True


def stored_city(ctx: Context) -> str:
    """What the database holds: 'empty' (no people), 'complete' (a generated city: its commander, added last,
    exists) or 'partial' (an interrupted generation)."""
    with ctx.engine.connect() as conn:
        people = conn.execute(text("SELECT EXISTS (SELECT 1 FROM persons)")).scalar_one()
        hq = conn.execute(text("SELECT EXISTS (SELECT 1 FROM users WHERE username = 'hq')")).scalar_one()
    return "empty" if not people else ("complete" if hq else "partial")


def generate(args: argparse.Namespace, ctx: Context, postgres: bool) -> Setup:
    """The city and its history up to now, the chain watch once, and the city's commander (last)."""
    settings, engine = ctx.settings, ctx.engine
    now0 = ctx.clock.now()
    local_today = now0.astimezone(settings.tz).date()
    t0, _ = day_window(local_today - timedelta(days=args.days - 1), ctx)
    history_end = now0.replace(minute=0, second=0, microsecond=0) - RECENT_HOURS * HOUR
    setup_ctx = Context(engine, ManualClock(t0 - timedelta(days=32)), settings)
    rng = random.Random(args.seed)
    city = City()
    per_street = communities_per_street(args.units)

    t = time.perf_counter()
    log(f"units ({per_street[0]}-{per_street[1]} communities a street), facilities, officials")
    build_units(setup_ctx, rng, city, communities=per_street)
    build_officials(ctx, rng, city, t0, now0)
    log(f"people ({args.people:,}), history {t0:%Y-%m-%d %H:%M} to {now0:%Y-%m-%d %H:%M} UTC")
    build_people(ctx, rng, city, args.people, t0, now0, never_admitted=WAITING_SHARE)
    moved = assign_some(ctx, rng, now0)
    log(f"  assigned a bed: {dict(moved)}")
    log(f"reports to {history_end:%H:%M} UTC, directives")
    build_reports(ctx, rng, city, t0, int((history_end - t0) / HOUR), now0)
    build_directives(ctx, rng, city, t0, args.days, now0)
    dropped = drop_future_directives(ctx, now0)
    log(f"  directives not yet issued at this time of day, dropped: {dropped}")
    recent = RecentReports(ctx, rng, city, history_end)
    recent.top_up(ctx.clock.now())
    finish_load(ctx, postgres)
    generation_seconds = time.perf_counter() - t
    log(f"  generated in {generation_seconds:.0f} s; the chain watch, once")
    watch_seconds = watch_once(ctx, postgres, analyze=True)
    add_user(ctx, cli_actor(), username="hq", password=PASSWORD, role="commander", unit_code=CITY)
    return Setup(city, recent, args.days, generation_seconds=generation_seconds, watch_seconds=watch_seconds)


def watch_once(ctx: Context, postgres: bool, *, analyze: bool) -> float:
    """One round of the real chain watch (alerts for missing reports and overdue directives, the scorecards),
    then the older alerts acknowledged; and fresh statistics."""
    t = time.perf_counter()
    round_ = watch(ctx)
    acknowledged = acknowledge_older(ctx, ctx.clock.now())
    if postgres and analyze:
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    seconds = time.perf_counter() - t
    log(
        f"  the chain watch {seconds:.0f} s: raised {round_.get('raised')}, overdue "
        f"{round_.get('directives_overdue')}, escalated {round_.get('escalated')}; acknowledged {acknowledged}"
    )
    return seconds


def resume(args: argparse.Namespace, ctx: Context, postgres: bool) -> Setup:
    """The stored city, brought current: its data ended when its last report came in; the periods drawn then
    are finished as they would have been, and the hours since topped up (their reports come in now, each when
    drawn, `RecentReports.top_up`); the chain watch once if a deadline passed meanwhile."""
    t = time.perf_counter()
    now = ctx.clock.now()
    city = City()
    with ctx.engine.connect() as conn:
        city.units = dict(conn.execute(text("SELECT code, level FROM units")).all())
        data_end, last_period = conn.execute(text("SELECT max(received_at), max(period_start) FROM reports")).one()
        first_found = conn.execute(text("SELECT min(identified_at) FROM persons")).scalar_one()
    if data_end is None:
        raise SystemExit("the database holds people but no reports: not a city this benchmark generated")
    data_end = min(data_end, now)
    behind = now - data_end
    log(
        f"reusing the stored city: {len(city.units):,} units, its data ended {data_end:%Y-%m-%d %H:%M} UTC "
        f"({behind.total_seconds() / 3600:.1f} h ago)"
    )
    if behind > timedelta(days=1):
        log(
            "  more than a day behind: only the reports are topped up (no new people, directives or beds), so the "
            "last hours' inflow and the directives are stale — regenerate for a current city"
        )
    rng = random.Random(f"{args.seed}:{data_end.isoformat()}")
    recent = RecentReports(ctx, rng, city, last_period + HOUR)
    to_come = recent.resume(data_end)
    stored = recent.top_up(now)
    log(
        f"  reports: {to_come:,} of the periods drawn then still to come, {recent.counts['periods']} hours since "
        f"drawn; {stored:,} stored now, {len(recent.pending):,} to come during the run"
    )
    generation_seconds = time.perf_counter() - t

    # a deadline (the hour + the grace) passed since the data ended: the watch would have raised alerts
    def hour_of(at: datetime) -> datetime:
        return (at - GRACE).replace(minute=0, second=0, microsecond=0)

    watched = hour_of(now) > hour_of(data_end)
    watch_seconds = watch_once(ctx, postgres, analyze=False) if watched else 0.0
    days = max(1, round((data_end - first_found) / timedelta(days=1))) if first_found else 0
    return Setup(
        city,
        recent,
        days,
        reused=True,
        data_end=data_end,
        generation_seconds=generation_seconds,
        watch_seconds=watch_seconds,
        watched=watched,
    )


def profile_top(fn: Callable[[], Any], n: int = 25) -> None:
    """One call under cProfile: its `n` functions of the largest cumulative time, printed."""

    def short(file: str) -> str:
        for marker in ("/site-packages/", "/src/"):
            if marker in file:
                return file.split(marker, 1)[1]
        return re.sub(r"^.*/lib/python3\.\d+/", "", file).removeprefix(f"{ROOT}/")

    took, stats = profiled(fn)
    print(f"\none city call under cProfile: {ms(took)} ms (with the profiler's overhead); top {n} by cumulative time")
    print(f"{'calls':>12} {'own ms':>9} {'cum ms':>9}  function")
    for (file, line, function), (primitive, calls, own, cumulative, _) in sorted(
        stats.items(), key=lambda kv: -kv[1][3]
    )[:n]:
        where = function if file == "~" else f"{short(file)}:{line}({function})"
        count = f"{calls}/{primitive}" if calls != primitive else str(calls)
        print(f"{count:>12} {own * 1000:>9.1f} {cumulative * 1000:>9.1f}  {where}")


def sanity(screen: Any) -> str:
    """What the city's screen shows of the live state, in a line: is the chain current, is there a backlog?"""
    try:
        chain, back = screen["chain"], screen["backlog"]
        return (
            f"city screen: chain this hour {chain['on_time']:,} on time, {chain['late']:,} late, "
            f"{chain['missing']:,} missing of {chain['units']:,} ({chain['pending']:,} pending); waiting "
            f"{back['stock']['waiting']:,} ({back['sla_breaches']['total']:,} past target); open alerts "
            f"{screen['alerts']['open']:,}, directives {screen['directives']['open']:,} open "
            f"({screen['directives']['overdue']:,} overdue)"
        )
    except (KeyError, TypeError) as e:
        return f"city screen: not the shape expected ({e!r})"


def run(
    args: argparse.Namespace,
    target: Target,
    url: str,
    postgres: bool,
    processes: list[subprocess.Popen[bytes] | None],
    started: float,
) -> None:
    settings = Settings(database_url=url, secret_key=SECRET, run_jobs=False)
    engine = make_engine(url)
    log(f"schema: {init_database(engine)}")
    ctx = Context(engine, SystemClock(), settings)  # the server measured over HTTP runs on the system clock too
    found = stored_city(ctx)
    if found == "partial":
        raise SystemExit(
            "the database holds people but not the city's commander 'hq', added last: an interrupted generation? "
            "Drop and create the database again, then generate"
        )
    setup = resume(args, ctx, postgres) if found == "complete" else generate(args, ctx, postgres)
    city, recent = setup.city, setup.recent
    setup_seconds = time.perf_counter() - started
    if args.generate_only:
        log(f"{'brought current' if setup.reused else 'generated'} in {setup_seconds:.0f} s; --generate-only: done")
        engine.dispose()
        return
    actor = authenticate(ctx, "hq", PASSWORD)
    generation_seconds, watch_seconds = setup.generation_seconds, setup.watch_seconds

    district = (
        "420102000000"
        if "420102000000" in city.units
        else sorted(c for c, v in city.units.items() if v == "district")[0]
    )
    street = sorted(c for c, v in city.units.items() if v == "street" and c.startswith(district[:6]))[0]
    community = sorted(c for c, v in city.units.items() if v == "community" and c.startswith(street[:9]))[0]
    codes = {"city": CITY, "district": district, "street": street, "community": community}

    if args.only == "in-process":
        recent.top_up(ctx.clock.now())
        print(
            f"in-process {target.service.__name__}, src/ {args.code_at_start[1]}, median of {args.repeat} after a "
            f"warm-up (setup {setup_seconds:.0f} s):"
        )
        results: dict[str, Any] = {}
        for label, code in codes.items():
            median, runs, results[label] = timed(lambda code=code: target.service(ctx, actor, code), args.repeat)
            size = len(json.dumps(results[label], default=str))
            print(
                f"  {label:<9} {code}  {ms(median):>7} ms   runs {', '.join(ms(x) for x in runs)}   "
                f"{size:,} bytes as JSON",
                flush=True,
            )
        print("  " + sanity(results["city"]))
        if args.profile:
            profile_top(lambda: target.service(ctx, actor, CITY))
        if src_fingerprint() != args.code_at_start[1]:
            print("  src/ changed during the run (after the code measured was loaded)")
        engine.dispose()
        return

    state = describe(ctx)
    log(f"  state {state}")

    # (a) in-process, and the plain SQL baseline, one after the other for each unit
    recent.top_up(ctx.clock.now())
    inproc: dict[str, tuple[float, list[float], Any]] = {}
    base: dict[str, tuple[float, list[float], Any]] = {}
    for label, code in codes.items():
        inproc[label] = timed(lambda code=code: target.service(ctx, actor, code), args.repeat)
        base[label] = timed(lambda code=code: plain_counts(ctx, code), args.repeat)
        size = len(json.dumps(inproc[label][2], default=str))
        log(
            f"  {label} {code}: {ms(inproc[label][0])} ms ({', '.join(ms(x) for x in inproc[label][1])}), "
            f"{size:,} bytes as JSON; SQL baseline {ms(base[label][0])} ms ({base[label][2]:,} people)"
        )
    screen = inproc["city"][2]
    log("  " + sanity(screen))
    if args.profile:
        profile_top(lambda: target.service(ctx, actor, CITY))
    under_profiler, parts = breakdown(lambda: target.service(ctx, actor, CITY), target.service.__name__)
    log(f"  city under cProfile {ms(under_profiler)} ms: " + ", ".join(f"{k} {ms(v)}" for k, v in parts[:15]))
    shown = [(k, v) for k, v in parts if v >= 0.02 * under_profiler][:10]
    where_text = (
        f"Where the city's time goes (one call under cProfile, {ms(under_profiler)} ms with the profiler's overhead; what the "
        f"service calls directly, ms): " + ", ".join(f"`{k}` {ms(v)}" for k, v in shown) + "."
    )

    # (b) over HTTP, and (c) in the browser
    http: dict[str, dict[str, tuple[float, list[float], Any]]] = {}
    bare: dict[str, tuple[float, list[float], Any]] = {}
    paint: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    served = routes(ctx)
    missing = [r for r in (target.api, target.page) if r not in served]
    if args.no_http:
        notes.append("HTTP and the browser: not measured (--no-http).")
    elif target.api not in served and target.page not in served:
        notes.append(f"HTTP and the browser: not measured — neither `{target.api}` nor `{target.page}` is served yet.")
    else:
        if missing:
            notes.append(f"Not served yet, so not measured: {', '.join(f'`{m}`' for m in missing)}.")
        env = {**os.environ, "ADMITALL_DATABASE_URL": url, "ADMITALL_SECRET_KEY": SECRET, "ADMITALL_RUN_JOBS": "false"}
        port, bare_port, counts_port = free_port(), free_port(), free_port()
        processes.append(start_server(url, port))
        code_at_server = src_fingerprint()
        if code_at_server != args.code_at_start[1]:
            notes.append(
                f"**src/ changed between the start of the run and the server's start** (fingerprint "
                f"{args.code_at_start[1]} → {code_at_server}): the in-process figures and the HTTP and browser "
                "figures measure different versions of the code."
            )
        uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--port"]
        processes.append(start_process([*uvicorn, str(bare_port), "bench.bare_app:app"], env, bare_port))
        processes.append(
            start_process(
                [*uvicorn, str(counts_port), "--factory", "bench.command_screen:bare_counts_app"], env, counts_port
            )
        )
        recent.top_up(ctx.clock.now())
        base_url = f"http://127.0.0.1:{port}"
        with (
            httpx.Client(base_url=base_url, timeout=300) as api,
            httpx.Client(base_url=base_url, timeout=300) as web,
            httpx.Client(base_url=f"http://127.0.0.1:{bare_port}", timeout=60) as bare_write,
            httpx.Client(base_url=f"http://127.0.0.1:{counts_port}", timeout=300) as bare_get,
        ):
            token = api.post("/api/auth/token", data={"username": "hq", "password": PASSWORD}).json()
            api.headers["Authorization"] = f"Bearer {token['access_token']}"
            sign_in(web, "hq")
            probe = web.get(target.twin.format(code=CITY))  # the JSON twin may be the page's own route
            twin_ok = probe.status_code == 200 and "json" in probe.headers.get("content-type", "")
            if target.page in served and not twin_ok:
                notes.append(f"`{target.twin}` answered {probe.status_code}: not measured.")
            for label, code in codes.items():
                http[label] = {}
                if target.api in served:
                    http[label]["api"] = timed(get_ok(api, target.api.format(code=code), "json"), args.repeat)
                if target.page in served:
                    http[label]["page"] = timed(get_ok(web, target.page.format(code=code), "html"), args.repeat)
                    if twin_ok:
                        http[label]["twin"] = timed(get_ok(web, target.twin.format(code=code), "json"), args.repeat)
                bare[label] = timed(get_ok(bare_get, f"/counts/{code}", "json"), args.repeat)
                log(
                    f"  HTTP {label}: "
                    + ", ".join(f"{k} {ms(v[0])} ms ({v[2]:,} bytes)" for k, v in http[label].items())
                    + f"; bare count {ms(bare[label][0])} ms"
                )

            def write_row() -> int:
                response = bare_write.post("/write", json={"key": "command-screen"})
                assert response.status_code == 200, response.text[:300]
                return len(response.content)

            bare["write"] = timed(write_row, args.repeat)
            log(f"  bare one-row write {ms(bare['write'][0])} ms")
        if args.no_browser:
            notes.append("First paint: not measured (--no-browser).")
        elif target.page not in served:
            notes.append(f"First paint: not measured — `{target.page}` is not served yet.")
        else:
            recent.top_up(ctx.clock.now())
            paint = first_paint(
                base_url,
                "hq",
                {"city": target.page.format(code=CITY), "district": target.page.format(code=district)},
                args.repeat,
            )
    version = server_version(ctx)
    code_revision, fingerprint = args.code_at_start
    if src_fingerprint() != fingerprint:
        log("src/ changed during the run (after the code measured was loaded)")
    engine.dispose()
    total_seconds = time.perf_counter() - started

    # ------------------------------------------------------------------ the section of RESULTS.md
    levels = state["units"]
    command = (
        "python bench/command_screen.py "
        + (
            "--database-url URL"
            if setup.reused
            else f"--people {args.people} --units {args.units} --days {args.days}"
            + (" --database-url URL" if args.database_url else "")
        )
        + f" --repeat {args.repeat} --seed {args.seed}"
        + (" --sqlite" if args.sqlite else "")
        + (f" --target {args.target}" if args.target != "command" else "")
        + (" --no-http" if args.no_http else "")
        + (" --no-browser" if args.no_browser else "")
    )
    what = (
        "the command screen (`admitall.services.command.command_screen`)"
        if target.name == "command"
        else "STAND-IN: the unit page (`unit_overview` + `people.stock`, `GET /units/{code}`), not the command screen"
    )
    waiting_text = ", ".join(f"{k} {v:,}" for k, v in sorted(state["waiting"].items(), key=lambda kv: -kv[1]))
    classes = state["waiting_by_class"]
    beds_text = ", ".join(f"{b} {o + r:,}/{c:,}" for b, c, o, r in state["beds"])
    alerts_text = (
        ", ".join(
            f"{k} {v:,} ({state['alerts_unresolved'].get(k, 0):,} unresolved)"
            for k, v in sorted(state["alerts"].items())
        )
        or "none"
    )
    rows = []
    for label, code in codes.items():
        h = http.get(label, {})
        cells = [f"{ms(h[k][0])}" if k in h else "—" for k in ("api", "page", "twin")]
        rows.append(
            f"| {label} {code} | {ms(inproc[label][0])} | {' | '.join(cells)} | {ms(base[label][0])} | "
            f"{inproc[label][0] / base[label][0]:.1f}× | "
            + (f"{ms(bare[label][0])} | " if label in bare else "— | ")
            + (f"{h['page'][0] / bare[label][0]:.1f}× |" if "page" in h and label in bare else "— |")
        )
    runs_text = "; ".join(f"{label} {', '.join(ms(x) for x in inproc[label][1])}" for label in codes)
    paint_rows = [
        f"| {label} | {p['fp']:.0f} | {p['fcp']:.0f} | {p['dcl']:.0f} | {p['load']:.0f} | {p['ttfb']:.0f} | "
        f"{p['bytes']:,} | {', '.join(f'{x:.0f}' for x in p['runs'])} |"
        for label, p in paint.items()
    ]
    slow_inproc = max(inproc[label][0] for label in codes)
    slow_http = max((v[0] for h in http.values() for k, v in h.items() if k in ("api", "page")), default=None)
    slow_paint = max((p["fcp"] for p in paint.values()), default=None)
    server_line = (
        f"the server under 300 ms — in-process {verdict(slow_inproc < SERVER_TARGET)} ({ms(slow_inproc)} ms, the "
        f"slowest of the four units)"
        + (
            f"; over HTTP {verdict(slow_http < SERVER_TARGET)} ({ms(slow_http)} ms, the slowest API or HTML page, "
            "client-side, loopback)"
            if slow_http is not None
            else "; over HTTP not measured"
        )
    )
    paint_line = (
        f"first paint under 1 s — {verdict(slow_paint < PAINT_TARGET * 1000)} ({slow_paint:.0f} ms, the slower "
        "first contentful paint of the city's and the district's page)"
        if slow_paint is not None
        else "first paint under 1 s — not measured"
    )
    city_figures = ""
    if target.name == "command" and isinstance(screen, dict) and "backlog" in screen:
        try:
            chain = screen["chain"]
            city_figures = (
                f"\nThe city's screen showed: four categories {screen['categories']['total']:,} "
                f"(waiting {sum(screen['categories']['waiting'].values()):,}); open alerts {screen['alerts']['open']:,} "
                f"({screen['alerts']['broken_links']:,} broken links); the chain this hour {chain['on_time']:,} on time, "
                f"{chain['late']:,} late, {chain['missing']:,} missing of {chain['units']:,} units; open directives "
                f"{screen['directives']['open']:,} ({screen['directives']['overdue']:,} overdue); "
                f"{len(screen['children'])} units below. JSON size: city {len(json.dumps(screen, default=str)):,} bytes.\n"
            )
            in_tables = (
                ("open alerts", screen["alerts"]["open"], sum(state["alerts_unresolved"].values())),
                (
                    "broken links (missing-report alerts)",
                    screen["alerts"]["broken_links"],
                    state["alerts_unresolved"].get(MISSING, 0),
                ),
                ("open directive recipients", screen["directives"]["open"], state["directives_open"]),
                ("overdue directive recipients", screen["directives"]["overdue"], state["directives_overdue"]),
            )
            differ = [
                f"{name}: screen {shown:,}, tables {known:,}" for name, shown, known in in_tables if shown != known
            ]
            if differ:
                city_figures += (
                    "**The city's screen disagrees with the tables** (alerts neither acknowledged nor resolved; "
                    "recipients not completed; "
                    "counted in the same state before the measurement): " + "; ".join(differ) + ".\n"
                )
        except (KeyError, TypeError):
            city_figures = ""
    note_text = ("\n" + " ".join(notes) + "\n") if notes else ""
    if args.database_url:
        over = "a Unix socket" if "host=/" in url or "@/" in url else "TCP"
        cluster = f" (a kept database given by --database-url, over {over})"
    else:
        cluster = "" if args.sqlite else " (throwaway cluster, Unix socket)"
    counted = f"{recent.counts['never sent']:,} never sent and {recent.counts['late']:,} late"
    if setup.reused and setup.data_end is not None:
        behind = (setup.data_end - datetime.now(UTC)).total_seconds() / -3600
        history_text = (
            f"The city was generated before and reused: its data ended {behind:.1f} h before the run; the reports "
            f"since ({recent.counts['periods']} hours, {counted}) were topped up as they would have come in and kept "
            "current during the run"
            + (
                ", and one round of the real chain watch raised the alerts and stored the scorecards"
                if setup.watched
                else " (no deadline passed since: the chain watch not run)"
            )
            + f". Setup took {setup_seconds:.0f} s (topping up {generation_seconds:.0f} s, the watch "
            f"{watch_seconds:.0f} s), the whole run {total_seconds:.0f} s."
        )
    else:
        history_text = (
            f"The last {RECENT_HOURS} hours' reports carry figures, {counted}, kept current during the run; one round "
            f"of the real chain watch raised the alerts and stored the scorecards. Setup took {setup_seconds:.0f} s "
            f"(generation {generation_seconds:.0f} s, the watch and ANALYZE {watch_seconds:.0f} s), the whole run "
            f"{total_seconds:.0f} s."
        )
    section = f"""## The command screen (issue 7)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, at {code_revision} (src/ fingerprint {fingerprint}); {version}{cluster}.
Target measured: {what}.
`{command}`: the scorecards benchmark's city with {state["units_total"]:,} units ({levels.get("district", 0)} districts,
{levels.get("street", 0)} streets, {levels.get("community", 0):,} communities), {state["facilities"]} facilities, and {setup.days} days of history
written straight into the tables up to the time of the run: {state["people"]:,} people ({state["events"]:,} events),
{state["reports"]:,} reports. Live state at the measurement: **{state["waiting_total"]:,} waiting** ({waiting_text};
critical {classes.get("critical", 0):,}, severe {classes.get("severe", 0):,}; **{state["past_sla"]:,} past their target**),
{state["placement"].get("assigned", 0):,} with a bed assigned and {state["placement"].get("in_transit", 0):,} in transit,
{state["placement"].get("admitted", 0):,} admitted; beds held / capacity by type: {beds_text}; open alerts {alerts_text}
(older ones acknowledged); open directive recipients {state["directives_open"]:,} ({state["directives_overdue"]:,} overdue);
open problems {state["problems_open"]:,}. {history_text}

Server time, ms, median of {args.repeat} after one warm-up, as the city's commander: in-process the service; over HTTP
(loopback, client-side, `admitall serve` one process) the API with a bearer token, the HTML page and its JSON twin with
a session; baseline the plain SQL `SELECT status, placement, count(*) FROM persons … GROUP BY 1, 2` (the whole table for the
city, the subtree's code range below), in-process and over HTTP on the same stack (FastAPI, uvicorn, SQLAlchemy).

| unit | in-process | HTTP API | HTTP page | HTTP JSON twin | SQL baseline | ratio | bare HTTP count | page / bare |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

In-process runs (ms): {runs_text}. HTTP floor: bench/bare_app.py's one-row write {ms(bare["write"][0]) + " ms" if "write" in bare else "not measured"}.

{where_text}
{city_figures}{note_text}
"""
    if paint:
        section += f"""
First paint in Debian's chromium (headless, Playwright, 1920×1080), ms from navigation start, median of {args.repeat}:
a fresh tab each time in a browser signed in once through the login form; the first load is not counted, so the cache
is warm (stylesheets and scripts), the page itself is fetched and computed every time.

| page | first paint | first contentful paint | DOMContentLoaded | load | first byte | HTML bytes | FCP runs |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |
{chr(10).join(paint_rows)}
"""
    section += f"""
Targets: {server_line}; {paint_line}.
"""
    print(section)
    if args.no_write or target.name != "command":
        log("RESULTS.md left alone" + (" (a stand-in target is never written)" if target.name != "command" else ""))
    else:
        write_section("command-screen", section)


if __name__ == "__main__":
    main()
