"""Benchmark: a day's scorecards for every unit and official of the demo city at 1,000,000 people and 30 days.

The demo city (Wuhan's 13 districts and 193 streets, 8-20 generated communities a street, every unit with a
population and a lead official, ~2% of units handed over to another official half-way) with 30 days of history
written straight into the tables: 1,000,000 people identified along an epidemic curve in the four categories,
about 90% admitted hours to days later (their `identified` and `admitted` events and one wait segment each),
an hourly report from every district, street and community (~5% late, ~3% missing; ~2% disagreeing with the
registry), and directives and problems needing help.

Measured: `scorecards.store_day` for a day in the middle of the epidemic and for the last day; a single unit's
page (`scorecard_views.unit_card`) for the city, a district, a street and a community, for a stored day and for
a day not stored (computed live for the unit's subtree), and over HTTP if the API route exists. Baseline in the
same run: plain SQL counts of the same day's facts (events by unit and kind, wait segments overlapping the day,
the reports for the day's periods).

Targets (issue 5): a full day's scorecards in under 10 s; a single unit's page under 300 ms. Results go to
bench/RESULTS.md.

    python bench/scorecards.py [--people 1000000] [--days 30] [--repeat 3] [--sqlite]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from tests.postgres import PostgresServer  # noqa: E402

from admitall.clock import ManualClock  # noqa: E402
from admitall.domain.reporting import PROBLEM_DUE, ProblemSeverity  # noqa: E402
from admitall.domain.units import parent_of  # noqa: E402
from admitall.services.auth import add_user  # noqa: E402
from admitall.services.context import Context, cli_actor  # noqa: E402
from admitall.services.demo import CATEGORY_MIX, SEVERITY_MIX, read_divisions  # noqa: E402
from admitall.services.demo_facilities import load_demo_facilities  # noqa: E402
from admitall.services.scorecard_views import unit_card  # noqa: E402
from admitall.services.scorecards import day_window, store_day  # noqa: E402
from admitall.services.units import UNIT_HEADERS, import_units  # noqa: E402
from admitall.settings import Settings  # noqa: E402
from admitall.store.bulk import bulk_insert  # noqa: E402
from admitall.store.db import init_database, make_engine  # noqa: E402
from admitall.store.tables import (  # noqa: E402
    discrepancies,
    person_events,
    persons,
    report_problems,
    reports,
)
from admitall.store.tables_accountability import (  # noqa: E402
    directive_recipients,
    directives,
    lead_assignments,
    officials,
    wait_segments,
)
from common import machine, start_process, write_section  # noqa: E402

SECRET = "bench-secret-" + "x" * 40
PASSWORD = "bench password 2020"
CITY = "420100000000"
FIRST_DAY = date(2020, 1, 20)  # local days, Asia/Shanghai
HEX = "0" * 64
TITLES = {"city": "市指挥部总指挥", "district": "区指挥部指挥长", "street": "街道党工委书记", "community": "社区书记"}

# the priority class a person waits in, the bed they get, the service-level target (hours, policy.toml) and
# how long admission takes: (median hours, spread of the log-normal); about a quarter of critical and severe
# patients wait past their target
CLASS_BED = {
    "critical": "icu",
    "severe": "severe",
    "confirmed_risk": "general",
    "confirmed": "shelter",
    "suspected": "single_room",
    "fever": "observation",
    "contact": "quarantine_room",
}
DELAY = {
    "critical": (0.6, 0.8),
    "severe": (2.5, 0.7),
    "confirmed_risk": (8.0, 0.9),
    "confirmed": (10.0, 0.9),
    "suspected": (5.0, 0.8),
    "fever": (5.0, 0.8),
    "contact": (10.0, 0.9),
}
NEVER_ADMITTED = {"critical": 0.02, "severe": 0.03}  # others: 0.11 (about 10% in all still waiting)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class City:
    """What the generator needs to remember about the city it built."""

    def __init__(self) -> None:
        self.units: dict[str, str] = {}  # code -> level
        self.population: dict[str, int] = {}
        self.official_of: dict[str, int] = {}  # unit -> first lead
        self.counts: Counter[str] = Counter()


def build_units(ctx: Context, rng: random.Random, city: City, communities: tuple[int, int] = (8, 20)) -> None:
    """Districts and streets from the data, 8-20 communities a street (or `communities`: the least and most);
    every unit has a population."""
    divisions = read_divisions()
    rows: list[dict[str, str | None]] = []
    streets_of: dict[str, list[str]] = {}
    for d in divisions:
        city.units[d["code"]] = d["level"]
        if d["level"] == "street":
            streets_of.setdefault(d["code"][:6], []).append(d["code"])
    for d in divisions:
        row: dict[str, str | None] = {k: d.get(src) for src, k in UNIT_HEADERS.items() if src in d}
        if d["level"] == "district":
            district_pop = round(float(d["approx_population_10k"]) * 10000)
            city.population[d["code"]] = district_pop
            streets = streets_of[d["code"][:6]]
            weights = [rng.uniform(0.5, 1.5) for _ in streets]
            for code, w in zip(streets, weights, strict=True):
                city.population[code] = round(district_pop * w / sum(weights))
        rows.append(row)
    for row in rows:
        code = str(row["code"])
        if city.units[code] == "street":
            row["population"] = str(city.population[code])
            serials = range(1, rng.randint(*communities) + 1)
            weights = [rng.uniform(0.5, 1.5) for _ in serials]
            for serial, w in zip(serials, weights, strict=True):
                community = f"{code[:9]}{serial:03d}"
                city.units[community] = "community"
                city.population[community] = round(city.population[code] * w / sum(weights))
    rows += [
        {"code": c, "name": f"社区{c[-3:]}", "population": str(city.population[c])}
        for c, level in city.units.items()
        if level == "community"
    ]
    summary = import_units(ctx, cli_actor(), enumerate(rows, start=2))
    assert summary.rejected == 0, summary.rejections[:3]
    city.population[CITY] = sum(p for c, p in city.population.items() if city.units[c] == "district")
    load_demo_facilities(ctx, cli_actor(), rng, divisions)


def build_officials(ctx: Context, rng: random.Random, city: City, t0: datetime, end: datetime) -> list[str]:
    """One lead per unit from 31 days before the first day; ~2% handed over to another official half-way."""
    led = sorted(c for c, level in city.units.items() if level in TITLES)
    handed = sorted(rng.sample(led, max(1, round(len(led) * 0.02))))
    official_rows, lead_rows = [], []
    next_id = 1
    for code in led:
        for serial in (1, 2) if code in handed else (1,):
            official_rows.append(
                {
                    "id": next_id,
                    "name": f"干部{code[-6:]}-{serial}",
                    "title": TITLES[city.units[code]],
                    "home_unit": code,
                    "active": True,
                    "created_at": t0 - timedelta(days=40),
                }
            )
            next_id += 1
        first = next_id - (2 if code in handed else 1)
        city.official_of[code] = first
        starts = t0 - timedelta(days=31)
        if code in handed:
            at = t0 + timedelta(minutes=rng.randrange(24 * 60, int((end - t0).total_seconds() // 60) - 24 * 60))
            lead_rows.append(_lead(code, first, starts, at, None))
            lead_rows.append(_lead(code, first + 1, at, None, "交接"))
        else:
            lead_rows.append(_lead(code, first, starts, None, None))
    with ctx.engine.begin() as conn:
        bulk_insert(conn, officials, official_rows)
        bulk_insert(conn, lead_assignments, lead_rows)
    city.counts["officials"] = len(official_rows)
    city.counts["handovers"] = len(handed)
    return led


def _lead(code: str, official_id: int, starts: datetime, ends: datetime | None, reason: str | None) -> dict[str, Any]:
    return {
        "unit_code": code,
        "official_id": official_id,
        "starts_at": starts,
        "ends_at": ends,
        "assigned_by": "bench",
        "reason": reason,
    }


def build_people(
    ctx: Context,
    rng: random.Random,
    city: City,
    n: int,
    t0: datetime,
    end: datetime,
    chunk: int = 50_000,
    never_admitted: dict[str, float] | None = None,
) -> None:
    """`n` people identified along an epidemic curve; most admitted some hours later, the rest still waiting.
    `never_admitted`: the share of each priority class never admitted (a class not named: none), instead of
    NEVER_ADMITTED and 0.11 for the others."""
    communities = [c for c, level in city.units.items() if level == "community"]
    cumulative, total = [], 0
    for c in communities:
        total += city.population[c]
        cumulative.append(total)
    with ctx.engine.connect() as conn:
        pools = conn.execute(text("SELECT facility_code, bed_type FROM bed_pools")).all()
    beds: dict[str, list[str]] = {}
    for facility, bed in pools:
        beds.setdefault(bed, []).append(facility)
    span = (end - t0).total_seconds()
    statuses, status_weights = [s.value for s, _ in CATEGORY_MIX], [w for _, w in CATEGORY_MIX]
    severities, severity_weights = [s for s, _ in SEVERITY_MIX], [w for _, w in SEVERITY_MIX]
    started = time.perf_counter()
    for lo in range(0, n, chunk):
        person_rows, event_rows, segment_rows = [], [], []
        units = rng.choices(communities, cum_weights=cumulative, k=min(chunk, n - lo))
        for offset, unit in enumerate(units):
            pid = lo + offset + 1
            status = rng.choices(statuses, status_weights)[0]
            severity, risks = None, ""
            if status == "confirmed":
                severity = rng.choices(severities, severity_weights)[0]
                if severity in ("critical", "severe"):
                    cls = severity
                else:
                    risks = "comorbidity" if rng.random() < 0.2 else ""
                    cls = "confirmed_risk" if risks else "confirmed"
            else:
                cls = status
            # an epidemic curve over the days (more in the middle), over a low steady background
            x = rng.betavariate(2, 2) if rng.random() < 0.85 else rng.random()
            identified = t0 + timedelta(seconds=int(x * span))
            admitted = None
            share = NEVER_ADMITTED.get(cls, 0.11) if never_admitted is None else never_admitted.get(cls, 0.0)
            if rng.random() >= share:
                median, sigma = DELAY[cls]
                at = identified + timedelta(seconds=int(3600 * rng.lognormvariate(math.log(median), sigma)) + 60)
                admitted = at if at < end else None
            facility = bed = None
            if admitted is not None:
                bed = CLASS_BED[cls]
                facility = rng.choice(beds[bed])
            name = f"病例{pid}"
            person_rows.append(
                {
                    "id": pid,
                    "name": name,
                    "unit_code": unit,
                    "status": status,
                    "severity": severity,
                    "risks": risks,
                    "placement": "admitted" if admitted else "waiting",
                    "identified_at": identified,
                    "status_since": identified,
                    "waiting_since": None if admitted else identified,
                    "facility_code": facility,
                    "bed_type": bed,
                    "version": 2 if admitted else 1,
                    "created_at": identified,
                    "updated_at": admitted or identified,
                }
            )
            data = {
                "name": name,
                "unit_code": unit,
                "status": status,
                "severity": severity,
                "risks": [risks] if risks else [],
            }
            event_rows.append(_event(pid, 1, "identified", identified, data))
            if admitted is not None:
                event_rows.append(_event(pid, 2, "admitted", admitted, {"facility_code": facility, "bed_type": bed}))
            segment_rows.append(
                {
                    "person_id": pid,
                    "unit_code": unit,
                    "priority_class": cls,
                    "wait_started_at": identified,
                    "started_at": identified,
                    "ended_at": admitted,
                    "outcome": "admitted" if admitted else None,
                }
            )
        with ctx.engine.begin() as conn:
            bulk_insert(conn, persons, person_rows)
            bulk_insert(conn, person_events, event_rows)
            bulk_insert(conn, wait_segments, segment_rows)
        city.counts["people"] += len(person_rows)
        city.counts["events"] += len(event_rows)
        city.counts["segments"] += len(segment_rows)
        city.counts["admitted"] += len(event_rows) - len(person_rows)
        log(f"  people {lo + len(person_rows):,} ({time.perf_counter() - started:.0f} s)")
    # the beds in use, so that every pool says what the people say (occupied <= capacity)
    occupied = (
        "(SELECT count(*) FROM persons p WHERE p.facility_code = bed_pools.facility_code "
        "AND p.bed_type = bed_pools.bed_type AND p.placement = 'admitted')"
    )
    with ctx.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE bed_pools SET occupied = {occupied}, capacity = {occupied} + reserved + out_of_service + 10")
        )


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


def build_reports(ctx: Context, rng: random.Random, city: City, t0: datetime, hours: int, now: datetime) -> None:
    """Every district, street and community reports every hour: ~92% on time, ~5% late, ~3% never."""
    reporting = sorted(c for c, level in city.units.items() if level in ("district", "street", "community"))
    hour, grace = timedelta(hours=1), timedelta(minutes=10)
    report_id = 0
    last_hash: dict[str, str] = {}  # each unit's reports chained (one report per link)
    started = time.perf_counter()
    problem_types = ["beds", "transport", "supplies", "staff", "testing", "data", "other"]
    for day_start in range(0, hours, 24):
        report_rows, discrepancy_rows, problem_rows = [], [], []
        for h in range(day_start, min(day_start + 24, hours)):
            period_start = t0 + h * hour
            period_end = period_start + hour
            deadline = period_end + grace
            for code in reporting:
                draw = rng.random()
                if draw < 0.03:
                    continue  # never sent
                if draw < 0.08:
                    received = deadline + timedelta(seconds=rng.randrange(60, 2 * 3600))
                else:
                    received = period_end - timedelta(seconds=rng.randrange(-600, 1800))
                report_id += 1
                prev, last_hash[code] = last_hash.get(code, ""), f"{report_id:064x}"
                report_rows.append(
                    {
                        "id": report_id,
                        "unit_code": code,
                        "period_start": period_start,
                        "period_end": period_end,
                        "deadline": deadline,
                        "version": 1,
                        "supersedes_id": None,
                        "received_at": received,
                        "on_time": received <= deadline,
                        "reporter": "bench",
                        "attested_by": "值班员",
                        "reported": {},
                        "registry": {},
                        "field": {},
                        "prev_hash": prev,
                        "hash": f"{report_id:064x}",
                    }
                )
                if rng.random() < 0.02:
                    registry = rng.randrange(0, 50)
                    discrepancy_rows.append(
                        {
                            "report_id": report_id,
                            "unit_code": code,
                            "period_start": period_start,
                            "figure": "waiting",
                            "reported": registry + rng.randrange(2, 20),
                            "registry": registry,
                        }
                    )
                if rng.random() < 0.003:
                    problem_rows.append(_problem(rng, report_id, code, received, now, problem_types))
        with ctx.engine.begin() as conn:
            bulk_insert(conn, reports, report_rows)
            bulk_insert(conn, discrepancies, discrepancy_rows)
            bulk_insert(conn, report_problems, problem_rows)
        city.counts["reports"] += len(report_rows)
        city.counts["discrepancies"] += len(discrepancy_rows)
        city.counts["problems"] += len(problem_rows)
        city.counts["problems needing help"] += sum(1 for p in problem_rows if p["needs_help"])
        log(f"  reports: day {day_start // 24 + 1}, {report_id:,} ({time.perf_counter() - started:.0f} s)")


def _problem(
    rng: random.Random, report_id: int, code: str, raised: datetime, now: datetime, types: list[str]
) -> dict[str, Any]:
    severity = rng.choice(list(ProblemSeverity))
    needs_help = rng.random() < 0.5
    due = raised + PROBLEM_DUE[severity] if needs_help else None
    resolved = None
    if needs_help and rng.random() < 0.75:
        resolved = raised + PROBLEM_DUE[severity] * rng.uniform(0.2, 1.5)
        resolved = resolved if resolved < now else None
    return {
        "report_id": report_id,
        "unit_code": code,
        "type": rng.choice(types),
        "description": "需要支援",
        "severity": severity.value,
        "needs_help": needs_help,
        "status": ("resolved" if resolved else "open") if needs_help else "noted",
        "owner_unit": parent_of(code) if needs_help else None,
        "due_at": due,
        "escalations": 0,
        "raised_at": raised,
        "resolved_at": resolved,
        "resolved_by": "bench" if resolved else None,
        "resolution_note": "已协调解决" if resolved else None,
    }


def build_directives(ctx: Context, rng: random.Random, city: City, t0: datetime, days: int, now: datetime) -> None:
    """Each day: one directive to every district, one to every street, one to the communities of a district;
    about 75% done on time, 12% late, the rest still open."""
    levels = {lv: sorted(c for c, x in city.units.items() if x == lv) for lv in ("district", "street", "community")}
    directive_rows, recipient_rows = [], []
    directive_id = 0
    for day in range(days):
        district = rng.choice(levels["district"])
        for level, to in (
            ("district", levels["district"]),
            ("street", levels["street"]),
            (None, [c for c in levels["community"] if c.startswith(district[:6])]),
        ):
            directive_id += 1
            issued = t0 + timedelta(days=day, hours=rng.uniform(1, 12))
            due = issued + timedelta(hours=rng.choice((6, 12, 24)))
            directive_rows.append(
                {
                    "id": directive_id,
                    "issuer": "bench",
                    "issuer_unit": CITY,
                    "title": f"指令 {directive_id}",
                    "body": "按要求完成并报告",
                    "issued_at": issued,
                    "due_at": due,
                    "target": {"kind": "reported", "priority_class": None, "at_most": 0},
                    "broadcast_level": level,
                }
            )
            for code in to:
                draw = rng.random()
                completed = None
                if draw < 0.75:
                    completed = issued + (due - issued) * rng.uniform(0.1, 0.95)
                elif draw < 0.87:
                    completed = due + timedelta(hours=rng.uniform(0.5, 12))
                if completed is not None and completed > now:
                    completed = None
                recipient_rows.append(
                    {
                        "directive_id": directive_id,
                        "unit_code": code,
                        "official_id": city.official_of.get(code),
                        "due_at": due,
                        "status": "completed" if completed else ("acknowledged" if draw < 0.95 else "open"),
                        "acknowledged_at": issued + timedelta(minutes=10) if draw < 0.95 else None,
                        "acknowledged_by": "bench" if draw < 0.95 else None,
                        "completed_at": completed,
                        "completed_by": "bench" if completed else None,
                        "completion_note": "已完成" if completed else None,
                    }
                )
    with ctx.engine.begin() as conn:
        bulk_insert(conn, directives, directive_rows)
        bulk_insert(conn, directive_recipients, recipient_rows)
    city.counts["directives"] = len(directive_rows)
    city.counts["directive recipients"] = len(recipient_rows)


def finish_load(ctx: Context, postgres: bool) -> None:
    """Sequences past the ids given explicitly, and fresh statistics (as autovacuum keeps them)."""
    if not postgres:
        return
    with ctx.engine.begin() as conn:
        for table in ("persons", "reports", "officials", "directives"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


# ------------------------------------------------------------------------------------------------------------
# measuring


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    runs, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), runs, result


def baseline(ctx: Context, day: date) -> dict[str, int]:
    """Plain SQL counts of the same facts: the day's events by unit and kind, the wait segments overlapping
    the day by unit and class, the reports for the day's periods by unit and on time."""
    start, end = day_window(day, ctx)
    window = {"start": start, "end": end}
    with ctx.engine.connect() as conn:
        events = conn.execute(
            text(
                "SELECT p.unit_code, e.kind, count(*) FROM person_events e JOIN persons p ON p.id = e.person_id "
                "WHERE e.occurred_at >= :start AND e.occurred_at < :end GROUP BY p.unit_code, e.kind"
            ),
            window,
        ).all()
        waits = conn.execute(
            text(
                "SELECT unit_code, priority_class, count(*) FROM wait_segments "
                "WHERE started_at < :end AND (ended_at IS NULL OR ended_at > :start) GROUP BY unit_code, priority_class"
            ),
            window,
        ).all()
        due = conn.execute(
            text(
                "SELECT unit_code, on_time, count(*) FROM reports WHERE period_start >= :start AND period_start < :end "
                "AND version = 1 GROUP BY unit_code, on_time"
            ),
            window,
        ).all()
    return {
        "events": sum(r[2] for r in events),
        "segments": sum(r[2] for r in waits),
        "reports": sum(r[2] for r in due),
    }


def stored_rows(ctx: Context, day: date) -> dict[str, int]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT subject_kind, count(*) FROM scorecards WHERE day = :day GROUP BY subject_kind"),
            {"day": day.isoformat() if ctx.engine.dialect.name == "sqlite" else day},
        ).all()
    return {kind: int(n) for kind, n in rows}


def http_route_exists(ctx: Context) -> bool:
    from admitall.api.app import create_app

    paths = create_app(ctx).openapi().get("paths", {})  # every route, however the routers are included
    return any(re.fullmatch(r"/api/scorecards/units/\{[^}]+\}", p) and "get" in ops for p, ops in paths.items())


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ADMITALL_DATABASE_URL": url, "ADMITALL_SECRET_KEY": SECRET, "ADMITALL_RUN_JOBS": "false"}
    command = [sys.executable, "-m", "admitall.cli", "serve", "--port", str(port)]
    return start_process(command, env, port, ROOT)


def server_version(ctx: Context) -> str:
    with ctx.engine.connect() as conn:
        if ctx.engine.dialect.name == "sqlite":
            return "SQLite " + str(conn.exec_driver_sql("SELECT sqlite_version()").scalar_one())
        return "PostgreSQL " + str(conn.exec_driver_sql("SHOW server_version").scalar_one()).split()[0]


def revision() -> str:
    """The commit measured, and whether src/ had changes not yet committed (others may be editing it)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "an unknown commit"
    return f"commit {head.stdout.strip()}" + (" with uncommitted changes in src/" if dirty.stdout.strip() else "")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each full day (median)")
    parser.add_argument("--page-repeat", type=int, default=5, help="runs of each unit page (median)")
    parser.add_argument("--sqlite", action="store_true", help="an embedded SQLite file instead of PostgreSQL")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.days < 3:
        parser.error("--days must be at least 3")

    server, tmp = None, None
    if args.sqlite:
        tmp = tempfile.TemporaryDirectory(prefix="admitall-bench-")
        url = f"sqlite:///{tmp.name}/scorecards.db"
    else:
        server = PostgresServer()
        url = server.fresh_database()
    settings = Settings(database_url=url, secret_key=SECRET, run_jobs=False)
    engine = make_engine(url)
    init_database(engine)
    t0, _ = day_window(FIRST_DAY, Context(engine, ManualClock(datetime.now(UTC)), settings))
    end = t0 + timedelta(days=args.days)
    now = end + timedelta(hours=3)  # every day closed and final
    # units and facilities are set up a month before: every unit is expected to report from the first day
    setup_ctx = Context(engine, ManualClock(t0 - timedelta(days=32)), settings)
    ctx = Context(engine, ManualClock(now), settings)
    rng = random.Random(args.seed)
    city = City()

    t = time.perf_counter()
    log("units, facilities, officials")
    build_units(setup_ctx, rng, city)
    led = build_officials(ctx, rng, city, t0, end)
    log(f"people ({args.people:,})")
    build_people(ctx, rng, city, args.people, t0, end)
    log("reports")
    build_reports(ctx, rng, city, t0, args.days * 24, now)
    build_directives(ctx, rng, city, t0, args.days, now)
    finish_load(ctx, server is not None)
    setup_seconds = time.perf_counter() - t
    levels = Counter(city.units.values())
    log(f"city built in {setup_seconds:.0f} s: {dict(levels)}, {dict(city.counts)}")

    mid_day = FIRST_DAY + timedelta(days=args.days // 2)
    last_day = FIRST_DAY + timedelta(days=args.days - 1)
    live_day = mid_day - timedelta(days=1)
    days = {"middle": mid_day, "last": last_day}

    full: dict[str, tuple[float, list[float], Any]] = {}
    base: dict[str, tuple[float, list[float], Any]] = {}
    stored: dict[str, dict[str, int]] = {}
    for label, day in days.items():
        log(f"store_day {day} ({label})")
        full[label] = timed(lambda day=day: store_day(ctx, day), args.repeat)
        log(f"  {', '.join(f'{x:.2f}' for x in full[label][1])} s: {full[label][2]}")
        base[label] = timed(lambda day=day: baseline(ctx, day), args.repeat)
        log(f"  baseline {', '.join(f'{x:.3f}' for x in base[label][1])} s: {base[label][2]}")
        stored[label] = stored_rows(ctx, day)
    led_units = len(led)
    cards_ok = all(stored[label].get("unit") == led_units for label in days)

    actor = cli_actor()
    district = sorted(c for c, lv in city.units.items() if lv == "district")[0]
    street = sorted(c for c, lv in city.units.items() if lv == "street" and c.startswith(district[:6]))[0]
    community = sorted(c for c, lv in city.units.items() if lv == "community" and c.startswith(street[:9]))[0]
    pages = {"city": CITY, "district": district, "street": street, "community": community}
    page_stored: dict[str, tuple[float, list[float], Any]] = {}
    page_live: dict[str, tuple[float, list[float], Any]] = {}
    for label, code in pages.items():
        page_stored[label] = timed(lambda code=code: unit_card(ctx, actor, code, day=mid_day), args.page_repeat)
        page_live[label] = timed(lambda code=code: unit_card(ctx, actor, code, day=live_day), args.page_repeat)
        assert page_stored[label][2]["stored"] and not page_live[label][2]["stored"]
        log(f"  page {label} {code}: stored {ms(page_stored[label][0])} ms, live {ms(page_live[label][0])} ms")
    city_card = page_stored["city"][2]["card"]
    log(f"city card {mid_day}: score {city_card['score']}, components " + str(city_card["components"]))

    http: dict[str, tuple[float, float]] | None = None
    if http_route_exists(ctx):
        add_user(ctx, cli_actor(), username="hq", password=PASSWORD, role="commander", unit_code=CITY)
        port = free_port()
        app = start_server(url, port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
                token = client.post("/api/auth/token", data={"username": "hq", "password": PASSWORD}).json()
                client.headers["Authorization"] = f"Bearer {token['access_token']}"
                http = {}
                for label, code in pages.items():
                    figures = []
                    for day in (mid_day, live_day):

                        def get(code: str = code, day: date = day) -> None:
                            response = client.get(f"/api/scorecards/units/{code}", params={"day": day.isoformat()})
                            assert response.status_code == 200, response.text[:300]

                        figures.append(timed(get, args.page_repeat)[0])
                    http[label] = (figures[0], figures[1])
        finally:
            app.terminate()
            app.wait(timeout=30)
    else:
        log("no GET /api/scorecards/units/{code} route in admitall.api: HTTP timings skipped")

    version = server_version(ctx)
    code_revision = revision()
    engine.dispose()
    if server is not None:
        server.drop(url)
        server.stop()
    if tmp is not None:
        tmp.cleanup()

    worst_full = max(full[label][0] for label in days)
    worst_page = max(page_stored[label][0] for label in pages)
    command = (
        f"python bench/scorecards.py --people {args.people} --days {args.days} --repeat {args.repeat} "
        f"--page-repeat {args.page_repeat} --seed {args.seed}" + (" --sqlite" if args.sqlite else "")
    )
    official_rows = ", ".join(f"{stored[label].get('official', 0):,} ({day})" for label, day in days.items())
    lines = []
    for label, day in days.items():
        (f_med, f_runs, _), (b_med, b_runs, counts) = full[label], base[label]
        lines.append(
            f"| `store_day` {day} ({label} of the epidemic): every unit and official | {f_med:.2f} | "
            f"{', '.join(f'{x:.2f}' for x in f_runs)} |"
        )
        lines.append(
            f"| baseline for {day}: SQL counts ({counts['events']:,} events, {counts['segments']:,} segments, "
            f"{counts['reports']:,} reports) | {b_med:.3f} | {', '.join(f'{x:.3f}' for x in b_runs)} |"
        )
    page_lines = []
    for label, code in pages.items():
        http_text = f"{ms(http[label][0])} | {ms(http[label][1])}" if http else "— | —"
        page_lines.append(f"| {label} {code} | {ms(page_stored[label][0])} | {ms(page_live[label][0])} | {http_text} |")
    ratios = ", ".join(f"{label} day {full[label][0] / base[label][0]:.0f}×" for label in days)
    components = ", ".join(
        f"{name} {part['value']}" if isinstance(part, dict) and "value" in part else name
        for name, part in city_card["components"].items()
    )
    http_note = (
        "over HTTP: `GET /api/scorecards/units/{code}?day=` against `admitall serve` (one process), median of "
        f"{args.page_repeat}."
        if http
        else "over HTTP: not measured — `GET /api/scorecards/units/{code}` does not exist in `admitall.api` yet."
    )
    http_worst = f"; over HTTP the slowest was {ms(max(v[0] for v in http.values()))} ms" if http else ""
    section = f"""## Scorecards (issue 5)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, at {code_revision}; {version}{"" if args.sqlite else " (throwaway cluster, Unix socket)"}.
`{command}`: the demo city — {levels["district"]} districts, {levels["street"]} streets, {levels["community"]:,}
communities, {led_units:,} led units with {city.counts["officials"]:,} officials ({city.counts["handovers"]} units handed
over to another official part-way) — and {args.days} days of history from {FIRST_DAY} written straight into the
tables: {city.counts["people"]:,} people identified along an epidemic curve ({city.counts["admitted"]:,} admitted,
the rest still waiting), {city.counts["events"]:,} person events, {city.counts["segments"]:,} wait segments,
{city.counts["reports"]:,} hourly reports ({city.counts["discrepancies"]:,} with discrepancies), {city.counts["directives"]}
directives to {city.counts["directive recipients"]:,} recipients, {city.counts["problems needing help"]:,} problems needing help.
Setup of the city took {setup_seconds:.0f} s (not measured below). Clock: {now:%Y-%m-%d %H:%M} UTC, every day closed.

| what | seconds (median of {args.repeat}) | runs (s) |
| --- | ---: | ---: |
{chr(10).join(lines)}

Ratio `store_day` / baseline: {ratios}. Rows stored a day: {stored["middle"].get("unit", 0):,} unit cards
(one per city/district/street/community unit: {"yes" if cards_ok else "NO"}) and official cards {official_rows}.
The city's card for {mid_day}: score {city_card["score"]}; components {components}.

A single unit's page (`scorecard_views.unit_card`, median of {args.page_repeat}, ms): for {mid_day}, stored; and for
{live_day}, not stored, so computed live for the unit's subtree; {http_note}

| unit | stored day (ms) | live day (ms) | HTTP stored (ms) | HTTP live (ms) |
| --- | ---: | ---: | ---: | ---: |
{chr(10).join(page_lines)}

Targets: a full day's scorecards under 10 s — **{"met" if worst_full < 10 else "MISSED"}** ({worst_full:.2f} s, the slower of
the two days); a single unit's page under 300 ms — **{"met" if worst_page < 0.3 else "MISSED"}** ({ms(worst_page)} ms, the
slowest of the four stored-day pages, in-process{http_worst}).
"""
    print(section)
    if not args.no_write:
        write_section("scorecards", section)


if __name__ == "__main__":
    main()
