"""Benchmark: what one round of the chain watch costs on a city of ~5,000 units, in statements and seconds.

The city of bench/scorecards.py with 20-32 communities a street (~5,000 units, each with a lead; ~3% of them
left without one), `--days` days of history (people identified and admitted, hourly reports from every unit,
directives and problems), the running day 18 hours old. Measured, each with its statement count (SQLAlchemy's
`before_cursor_execute`; an executemany counts once):

- the first round (raises the missing reports of the last 26 hours, the units without a lead, the overdue
  directives; stores three days of scorecards);
- a steady round an hour later, after the hour's reports and a hundred admissions (what the twin's watch does);
- a round with nothing new (16 minutes later, when the running day's scorecards are due again);
- the day's scorecards stored again a minute later, from the round's rollup (only what changed added up again);
- beside them in the same run, the paths they replace: the day's scorecards recomputed whole
  (`scorecards.store_day` with nothing kept from the round before) and the units without a lead raised one alert at a time (`raise_alert` per unit).

    python bench/watch_round.py [--people 30000] [--days 3] [--postgres] [--no-write]

With `--replay DB [--day 2020-01-30] [--hours 0,6,12,18,24]`, the rounds the twin's watch runs, on a copy of a
twin's database with the clock set (nothing written between rounds but what the rounds write): CPU seconds and
statements per round.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from tests.postgres import PostgresServer  # noqa: E402

from admitall.clock import ManualClock  # noqa: E402
from admitall.services import scorecards as scorecards_service  # noqa: E402
from admitall.services.context import Context, cli_actor  # noqa: E402
from admitall.services.officials import NO_LEAD  # noqa: E402
from admitall.services.reporting import set_schedule  # noqa: E402
from admitall.services.scorecards import day_window, store_day, today  # noqa: E402
from admitall.services.watch import watch  # noqa: E402
from admitall.settings import Settings  # noqa: E402
from admitall.store.bulk import bulk_insert  # noqa: E402
from admitall.store.db import init_database, make_engine  # noqa: E402
from admitall.store.tables import reports  # noqa: E402
from admitall.store.tables_accountability import lead_assignments, wait_segments  # noqa: E402
from common import machine, write_section  # noqa: E402
from scorecards import (  # noqa: E402
    FIRST_DAY,
    SECRET,
    City,
    build_directives,
    build_officials,
    build_people,
    build_units,
    finish_load,
    revision,
    server_version,
)

HOURLY = {"district": 60, "street": 60, "community": 60}
TWIN_PERIODS = {"district": 60, "street": 360, "community": 1440}  # data/scenarios/wuhan-2020.toml


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Counter:
    """Statements sent to the database while counting."""

    def __init__(self, engine: Any) -> None:
        self.n = 0
        self.on = False
        self.kinds: collections.Counter[str] = collections.Counter()
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.on:
            self.n += 1
            self.kinds[" ".join(statement.split())[:90]] += 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.n, self.on = 0, True
        self.kinds.clear()
        try:
            yield
        finally:
            self.on = False


def measure(counter: Counter, fn: Callable[[], Any]) -> tuple[float, int, Any]:
    with counter.counting():
        t = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - t
    return seconds, counter.n, result


def send_reports(
    ctx: Context, city: City, periods: dict[str, int], lo: datetime, hi: datetime, rng: random.Random
) -> int:
    """Every district, street and community reports each of its periods that ended in (lo, hi] (its level's
    period, in minutes): ~3% never, ~5% late (when the report would already have come in by `hi`)."""
    grace = timedelta(minutes=10)
    with ctx.engine.connect() as conn:
        next_id = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM reports")).scalar_one()) + 1
        last = dict(
            conn.execute(
                text("SELECT unit_code, hash FROM reports WHERE id IN (SELECT max(id) FROM reports GROUP BY unit_code)")
            ).all()
        )
    rows = []
    t0 = day_window(FIRST_DAY, ctx)[0]
    for code in sorted(c for c, lv in city.units.items() if lv in periods):
        period = timedelta(minutes=periods[city.units[code]])
        k = max(0, (lo - t0) // period)
        while t0 + (k + 1) * period <= hi:
            start, k = t0 + k * period, k + 1
            ended = start + period
            draw = rng.random()
            if ended <= lo or draw < 0.03:
                continue
            received = ended + timedelta(seconds=rng.randrange(0, 540))
            if draw < 0.08 and ended + grace + timedelta(hours=2) <= hi:
                received = ended + grace + timedelta(seconds=rng.randrange(60, 7200))
            rows.append(
                {
                    "id": next_id,
                    "unit_code": code,
                    "period_start": start,
                    "period_end": ended,
                    "deadline": ended + grace,
                    "version": 1,
                    "supersedes_id": None,
                    "received_at": received,
                    "on_time": received <= ended + grace,
                    "reporter": "bench",
                    "attested_by": "值班员",
                    "reported": {},
                    "registry": {},
                    "field": {},
                    "prev_hash": last.get(code, ""),
                    "hash": f"{next_id:064x}",
                }
            )
            last[code] = rows[-1]["hash"]
            next_id += 1
    with ctx.engine.begin() as conn:
        bulk_insert(conn, reports, rows)
    return len(rows)


def admit_some(ctx: Context, at: datetime, n: int = 100) -> int:
    """The oldest `n` open waits end in admission (their segments closed, as the admission closes them)."""
    with ctx.engine.begin() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                select(wait_segments.c.id)
                .where(wait_segments.c.ended_at.is_(None))
                .order_by(wait_segments.c.id)
                .limit(n)
            )
        ]
        conn.execute(update(wait_segments).where(wait_segments.c.id.in_(ids)).values(ended_at=at, outcome="admitted"))
    return len(ids)


def vacate(ctx: Context, city: City, rng: random.Random, at: datetime) -> list[str]:
    """~3% of the led units lose their lead (nobody named yet)."""
    led = sorted(c for c, lv in city.units.items() if lv in ("city", "district", "street", "community"))
    gone = sorted(rng.sample(led, max(1, len(led) * 3 // 100)))
    with ctx.engine.begin() as conn:
        conn.execute(
            update(lead_assignments)
            .where(lead_assignments.c.unit_code.in_(gone), lead_assignments.c.ends_at.is_(None))
            .values(ends_at=at)
        )
    return gone


def per_unit_no_lead(ctx: Context) -> int:
    """The path the watch took before: one SELECT and one INSERT (in a savepoint) per unit without a lead, for an
    alert kind not raised yet; undone afterwards."""
    with ctx.uow(write=True) as uow:
        raised = 0
        for code, since in uow.officials.without_lead(None):
            raised += uow.reports.raise_alert(
                kind=NO_LEAD + "_bench",
                unit_code=code,
                period_start=since,
                target_unit=None,
                step=0,
                consecutive=1,
                at=ctx.clock.now(),
                detail={"since": since.isoformat()},
            )
        # not committed: undone as the unit of work closes
    return raised


def replay(path: str, day: str, hours: list[float]) -> None:
    """Watch rounds on a copy of a twin's database (`/tmp/twin/day14.db`, written by the twin and kept), the clock
    set to hours after the local midnight of `day`; CPU seconds of the process (the machine is shared) and
    statements per round. The first round starts from nothing kept in memory (a fresh process)."""
    import glob
    import shutil

    from admitall.services.context import make_context

    tmp = tempfile.TemporaryDirectory(prefix="admitall-replay-")
    copy = f"{tmp.name}/twin.db"
    for found in glob.glob(path + "*"):  # the database with its -wal, -shm and .key (the chain key)
        shutil.copy(found, copy + found[len(path) :])
    settings = Settings(database_url=f"sqlite:///{copy}", run_jobs=False)
    midnight = datetime.fromisoformat(day).replace(tzinfo=settings.tz)
    clock = ManualClock(midnight)
    ctx = make_context(settings, clock)
    counter = Counter(ctx.engine)
    for hour in hours:
        clock.set(midnight + timedelta(hours=hour))
        with counter.counting():
            cpu = time.process_time()
            result = watch(ctx, holder="bench")
            cpu = time.process_time() - cpu
        stored = ", ".join(f"{c['day']}{' final' if c['final'] else ''}" for c in result["scorecards"])
        log(f"round at {day} +{hour:g} h: {cpu:.2f} s CPU, {counter.n} statements; cards stored: {stored or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replay", metavar="DB", help="rounds on a copy of a twin's SQLite database instead")
    parser.add_argument("--day", default="2020-01-30", help="with --replay: the local day of the rounds")
    parser.add_argument("--hours", default="0,6,12,18,24", help="with --replay: the rounds, hours after its midnight")
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of an embedded SQLite file")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--twin",
        action="store_true",
        help="the twin's schedules: districts hourly, streets 6-hourly, communities daily",
    )
    args = parser.parse_args()
    if args.replay:
        replay(args.replay, args.day, [float(h) for h in args.hours.split(",")])
        return

    server, tmp = None, None
    if args.postgres:
        server = PostgresServer()
        url = server.fresh_database()
    else:
        tmp = tempfile.TemporaryDirectory(prefix="admitall-bench-")
        url = f"sqlite:///{tmp.name}/watch.db"
    settings = Settings(database_url=url, secret_key=SECRET, run_jobs=False)
    engine = make_engine(url)
    init_database(engine)
    t0, _ = day_window(FIRST_DAY, Context(engine, ManualClock(datetime.now(UTC)), settings))
    hours = args.days * 24 - 6  # the running day is 18 hours old
    end = t0 + timedelta(hours=hours)
    clock = ManualClock(end + timedelta(minutes=11))
    setup_ctx = Context(engine, ManualClock(t0 - timedelta(days=32)), settings)
    ctx = Context(engine, clock, settings)
    rng = random.Random(args.seed)
    city = City()

    t = time.perf_counter()
    log("units, facilities, officials")
    build_units(setup_ctx, rng, city, communities=(20, 32))
    build_officials(ctx, rng, city, t0, end)
    vacant = vacate(ctx, city, rng, end - timedelta(hours=5))
    log(f"people ({args.people:,})")
    build_people(ctx, rng, city, args.people, t0, end)
    periods = TWIN_PERIODS if args.twin else HOURLY
    if args.twin:
        for level, minutes in periods.items():
            set_schedule(ctx, cli_actor(), level, period_minutes=minutes, grace_minutes=10)
    log("reports")
    send_reports(ctx, city, periods, t0 - timedelta(seconds=1), end, rng)
    build_directives(ctx, rng, city, t0, args.days, clock.now())
    finish_load(ctx, server is not None)
    n_units = len(city.units)
    log(f"city built in {time.perf_counter() - t:.0f} s: {n_units:,} units, {len(vacant)} without a lead")

    counter = Counter(engine)
    results: dict[str, tuple[float, int, Any]] = {}
    results["first round"] = measure(counter, lambda: watch(ctx, holder="bench"))
    log(f"first round: {results['first round'][:2]}")

    clock.set(clock.now() + timedelta(hours=1))
    sent = send_reports(ctx, city, periods, end, end + timedelta(hours=1), rng)
    admitted = admit_some(ctx, end + timedelta(minutes=30))
    results["an hour later"] = measure(counter, lambda: watch(ctx, holder="bench"))
    log(f"an hour later ({sent:,} reports in, {admitted} waits ended): {results['an hour later'][:2]}")

    clock.set(clock.now() + timedelta(minutes=16))
    results["nothing new"] = measure(counter, lambda: watch(ctx, holder="bench"))
    log(f"nothing new: {results['nothing new'][:2]}")
    for statement, n in counter.kinds.most_common(8):
        log(f"  {n:6,} × {statement}")

    clock.set(clock.now() + timedelta(minutes=1))
    kept = "store_day (from the round's rollup)"
    results[kept] = measure(counter, lambda: store_day(ctx, today(ctx)))
    rollup = (
        scorecards_service.ROLLUPS.get(engine.url.render_as_string(hide_password=True), today(ctx))
        if hasattr(scorecards_service, "ROLLUPS")
        else None
    )
    if rollup is not None:
        changed = f"{len(rollup.changed):,} of {len(rollup.names):,} units added up again"
        kept = f"store_day (from the round's rollup: {changed})"
        results[kept] = results.pop("store_day (from the round's rollup)")
    log(f"store_day, rollup kept: {results[kept][:2]}")
    if hasattr(scorecards_service, "ROLLUPS"):  # (absent from the code before issue 13, for a run of it)
        scorecards_service.ROLLUPS.clear()  # the day's scorecards computed from nothing, as every round did before
    results["store_day (from nothing)"] = measure(counter, lambda: store_day(ctx, today(ctx)))
    log(f"store_day from nothing: {results['store_day (from nothing)'][:2]}")
    results["no-lead, one unit at a time"] = measure(counter, lambda: per_unit_no_lead(ctx))
    log(f"per unit no-lead: {results['no-lead, one unit at a time'][:2]}")
    with engine.connect() as conn:
        raised = dict(conn.execute(text("SELECT kind, count(*) FROM alerts GROUP BY kind")).all())
    log(f"alerts: {raised}")
    assert raised.get(NO_LEAD) == len(vacant), (raised, len(vacant))

    lines = [
        "## The watch round (issue 13)" + (": the twin's schedules" if args.twin else ": every unit reporting hourly"),
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, {server_version(ctx)}, {revision()}; "
        "the machine was shared with other work running at the same time (figures are noisy).",
        f"City: {n_units:,} units ({len(vacant)} without a lead), {args.people:,} people over {args.days} days, "
        f"reports every {periods['district']}/{periods['street']}/{periods['community']} minutes from districts/"
        f"streets/communities; the running day 18 hours old. `python bench/watch_round.py"
        f"{' --twin' if args.twin else ''}{' --postgres' if args.postgres else ''}`.",
        "",
        "| what | seconds | statements |",
        "|---|---:|---:|",
    ]
    lines += [f"| {label} | {s:.2f} | {n:,} |" for label, (s, n, _) in results.items()]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_section("watch_round" + ("_twin" if args.twin else "") + ("_postgres" if args.postgres else ""), section)
    if server is not None:
        server.stop()


if __name__ == "__main__":
    main()
