"""Benchmark: the twin's midnight batch of reports (`reporting.submit_many`, as sim/runner.py's `Run.submit` sends
it) on a copy of a twin's database, before and after, in the same run.

At a local midnight every district's last hour, every street's last six hours and every community's day end
together: one batch holds a report of (almost) every unit, each attested as drafted (the registry's figures are its
figures). Each measurement copies the database afresh, runs in a fresh child process with the tree given
(`--before DIR`: a `src` directory, e.g. `git archive` of an earlier commit), submits one district hour first
(warming the statements, not counted), then the midnight batch, and reports the batch's CPU seconds (the child's
`time.process_time`, steady on a shared machine; wall time beside it) and its statement count. Runs alternate
between the trees. Target (issue 13): 0.3 s of CPU for the 3,402 reports of the day-14 database of wuhan-2020.

    python bench/reporting_midnight.py DB [--before /tmp/base/src] [--after SRC] [--repeat 3] [--no-write]

DB is a SQLite database the twin left (e.g. `bench/sim_wuhan.py --days 14`), migrated to this tree's head; its
key file (DB.key) is copied with it. The database is never written: every run works on its own copy.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))
from common import machine, write_section  # noqa: E402

EVERY = {"district": 60, "street": 360, "community": 1440}  # the twin's schedules (minutes)
SKIPPED = 0.08  # the share of units that send nothing, as the twin's late and missing ones


def child(db: str) -> dict[str, Any]:
    """One midnight batch on `db` (a copy), with whatever `admitall` is first on the path."""
    import gc

    from sqlalchemy import event, select

    from admitall.clock import ManualClock
    from admitall.domain.units import level_of
    from admitall.services import reporting, reporting_rules
    from admitall.services.context import make_context
    from admitall.settings import Settings
    from admitall.sim.runner import FIELD
    from admitall.store.tables import reports, units

    ctx = make_context(
        Settings(database_url=f"sqlite:///{db}", run_jobs=False), ManualClock(datetime(2020, 1, 1, tzinfo=UTC))
    )
    with ctx.engine.connect() as conn:
        codes = [r[0] for r in conn.execute(select(units.c.code).order_by(units.c.code))]
        last = conn.execute(select(reports.c.period_start).order_by(reports.c.period_start.desc()).limit(1)).scalar()
    assert last is not None, "no reports in the database: not a twin's"
    # the first local midnight (UTC+8) at least a day after the last report's period
    midnight = (last + timedelta(days=1)).replace(hour=16, minute=0, second=0, microsecond=0)
    levels: dict[str, list[str]] = {}
    for code in codes:
        levels.setdefault(level_of(code).value, []).append(code)
    rng = random.Random(15)
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)  # as sim/run.py sets it for a long run
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    event.listen(ctx.engine, "before_cursor_execute", count)

    def batch(now: datetime, lvls: tuple[str, ...]) -> dict[str, Any]:
        ctx.clock.set(now)
        wanted = [(c, now - timedelta(minutes=EVERY[lvl])) for lvl in lvls for c in levels.get(lvl, [])]
        wanted = [w for w in wanted if rng.random() >= SKIPPED]
        statements[0] = 0
        wall, cpu = time.perf_counter(), time.process_time()
        with ctx.uow() as uow:
            schedules = reporting_rules.schedules_of(uow)
            periods = [(c, reporting_rules.period_of(ctx, schedules[level_of(c)], at)) for c, at in wanted]
        sent = [
            reporting.ReportInput(
                unit_code=c,
                period_start=p.start,
                reported={},
                attested_by=f"值班员{c[-3:]}",
                attest=True,
                idempotency_key=f"sim-{c}-{p.start.isoformat()}",
                as_drafted=True,
            )
            for c, p in periods
        ]
        out = reporting.submit_many(ctx, FIELD, sent)
        return {
            "wall": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu,
            "statements": statements[0],
            "reports": len(sent),
            "stored": out["stored"],
        }

    batch(midnight - timedelta(hours=1), ("district",))  # warm-up, not counted
    result = batch(midnight, ("district", "street", "community"))
    result["midnight"] = midnight.isoformat()
    ctx.engine.dispose()
    return result


def measure(src: Path, db: Path, work: Path) -> dict[str, Any]:
    copy = work / "run.db"
    for suffix in ("", "-wal", "-shm", ".key"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
        if Path(f"{db}{suffix}").exists():
            shutil.copy(f"{db}{suffix}", f"{copy}{suffix}")
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, __file__, "--child", str(copy)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {result}", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", nargs="?", type=Path)
    parser.add_argument("--before", type=Path, help="a src directory to measure beside this tree's")
    parser.add_argument("--after", type=Path, default=SRC, help="the src directory measured as after (this tree's)")
    parser.add_argument("--before-label", default="the commit before this work")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    if args.db is None:
        parser.error("the twin's database to copy is required")
    trees = {"after": args.after, **({"before": args.before} if args.before else {})}
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="admitall-midnight-") as tmp:
        for i in range(args.repeat):
            for label, src in sorted(trees.items(), reverse=i % 2 == 1):
                print(f"{label}, run {i + 1}:", file=sys.stderr)
                runs[label].append(measure(src, args.db, Path(tmp)))
    write(args, runs, load, os.getloadavg()[0])


def write(args: argparse.Namespace, runs: dict[str, list[dict[str, Any]]], load: float, load_after: float) -> None:
    def cell(label: str, key: str) -> str:
        return f"{statistics.median(r[key] for r in runs[label]):.3f}" if runs.get(label) else "—"

    after = runs["after"]
    cpu = statistics.median(r["cpu"] for r in after)
    lines = [
        f"| {label} | {cell(label, 'cpu')} s | {cell(label, 'wall')} s | {runs[label][-1]['statements']} | "
        f"{', '.join(format(r['cpu'], '.3f') for r in runs[label])} |"
        for label in ("before", "after")
        if runs.get(label)
    ]
    section = f"""### The twin's midnight batch of reports (issue 13)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; load average {load:.1f} before, {load_after:.1f}
after. `python bench/reporting_midnight.py <day-14 database of wuhan-2020>{" --before <src>" if args.before else ""}
--repeat {args.repeat}`: {after[-1]["reports"]:,} reports of every level for the midnight of {after[-1]["midnight"]}
(a district's hour, a street's six hours, a community's day), each attested as drafted, in one `submit_many`,
each run on a fresh copy in a fresh process, before and after alternating. "Before" is {args.before_label}.

| tree | CPU (median) | wall (median) | statements | CPU of each run (s) |
| --- | ---: | ---: | ---: | --- |
{chr(10).join(lines)}

Target 0.3 s of CPU: **{"met" if cpu <= 0.3 else "MISSED"}** ({cpu:.3f} s).
"""
    print(section)
    if not args.no_write:
        write_section("reporting-midnight", section)


if __name__ == "__main__":
    main()
