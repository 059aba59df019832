"""Benchmark: a province on PostgreSQL (issue 15) — 10,000,000 people, 30,000 units, 10,000 facilities, 30 days.

    python bench/province.py generate --url URL [--people 10000000] [--report-hours 48]
    python bench/province.py measure --url URL [--repeat 20] [--skip-burst]
    python bench/province.py burst --url URL        (the burst alone, added to the last measure's figures)

`generate` fills an empty database (bench/province_data.py says how, and what); `measure` takes the kept database
and measures, each figure with the load average beside it (the machine's 2 cores are shared): the province's
command screen from the shared cache and uncached, a name search, a burst of 30,000 unit reports through the
HTTP API with `serve --workers 2` beside bench/bare_app.py's one-row insert with the same workers, the watch's
round and `admitall verify`. Results go to bench/RESULTS.md, section "A province (issue 15)".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from admitall.clock import ManualClock  # noqa: E402
from admitall.services.context import Context  # noqa: E402
from admitall.settings import Settings  # noqa: E402
from admitall.store.db import alembic_config, make_engine  # noqa: E402
from province_data import _people as people_range  # noqa: E402
from province_data import build, finish, finish_people, log, secondary_indexes  # noqa: E402

SECRET = "bench-secret-" + "x" * 40
STATE = Path("/tmp/admitall-province-bench.json")


def load() -> float:
    return os.getloadavg()[0]


def generate(args: argparse.Namespace) -> None:
    engine = make_engine(args.url)
    started = time.perf_counter()
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.upgrade(config, "0022_province_level")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ctx = Context(engine, ManualClock(now), Settings(database_url=args.url, secret_key=SECRET, run_jobs=False))
    load_before = load()

    def parts(ranges: list[tuple[int, int]]) -> None:
        script = str(Path(__file__).resolve())
        running = [
            subprocess.Popen([sys.executable, script, "part", "--url", args.url, "--first", str(lo), "--last", str(hi)])
            for lo, hi in ranges
        ]
        failed = [p.args for p in running if p.wait() != 0]
        if failed:
            raise SystemExit(f"a part failed: {failed}")

    result = build(
        ctx,
        people=args.people,
        now=now,
        days=30,
        report_hours=args.report_hours,
        seed=args.seed,
        parts=parts,
        jobs=args.jobs,
    )
    result["jobs"] = args.jobs
    result["total_seconds"] = time.perf_counter() - started
    result["load"] = [load_before, load()]
    with engine.connect() as conn:
        result["database_bytes"] = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
    STATE.write_text(json.dumps(result, indent=1))
    log(json.dumps(result, indent=1))


def _kept(args: argparse.Namespace) -> tuple[Context, datetime, datetime]:
    engine = make_engine(args.url)
    with engine.connect() as conn:
        t0 = conn.exec_driver_sql("SELECT min(created_at) FROM facilities").scalar_one()
    now = t0 + timedelta(days=30)
    return (
        Context(engine, ManualClock(now), Settings(database_url=args.url, secret_key=SECRET, run_jobs=False)),
        t0,
        now,
    )


def part(args: argparse.Namespace) -> None:
    """People `--first` to `--last` into a database whose generation stopped after its first people (a second
    process writes another range at the same time: the machine's other core)."""
    ctx, t0, now = _kept(args)
    people_range(ctx, args.last, t0, now, {}, first=args.first, setup=False, finish=False)


def finish_kept(args: argparse.Namespace) -> None:
    """What `generate` does after the people, for a database filled by `part`: indexes from a migrated template."""
    ctx, t0, now = _kept(args)
    started = time.perf_counter()
    counts: dict[str, int] = {}
    times: dict[str, float] = {}
    finish_people(ctx, args.people, t0, now, counts)
    template = make_engine(args.template)
    with template.begin() as conn:
        config = alembic_config(template)
        config.attributes["connection"] = conn
        command.upgrade(config, "0022_province_level")
    with template.connect() as conn:
        wanted = secondary_indexes(conn)
    with ctx.engine.connect() as conn:
        present = set(conn.exec_driver_sql("SELECT indexname FROM pg_indexes").scalars())
    finish(ctx, now, args.report_hours, [(n, d) for n, d in wanted if n not in present], counts, times)
    result = {"counts": counts, "times": times, "finish_seconds": time.perf_counter() - started, "load": load()}
    STATE.with_suffix(".finish.json").write_text(json.dumps(result, indent=1))
    log(json.dumps(result, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--url", required=True)
    gen.add_argument("--people", type=int, default=10_000_000)
    gen.add_argument("--report-hours", type=int, default=48)
    gen.add_argument("--seed", type=int, default=15)
    gen.add_argument("--jobs", type=int, default=2, help="processes writing the people at once")
    prt = sub.add_parser("part")
    prt.add_argument("--url", required=True)
    prt.add_argument("--first", type=int, required=True)
    prt.add_argument("--last", type=int, required=True)
    fin = sub.add_parser("finish")
    fin.add_argument("--url", required=True)
    fin.add_argument("--template", required=True, help="an empty database to migrate and read the indexes from")
    fin.add_argument("--people", type=int, default=10_000_000)
    fin.add_argument("--report-hours", type=int, default=48)
    meas = sub.add_parser("measure")
    meas.add_argument("--url", required=True)
    meas.add_argument("--repeat", type=int, default=20)
    meas.add_argument("--screen-repeat", type=int, default=5, help="uncached screens (each computes everything)")
    meas.add_argument("--skip-burst", action="store_true")
    meas.add_argument("--skip-verify", action="store_true")
    meas.add_argument("--verify-timeout", type=int, default=900)
    meas.add_argument("--burst-from", help="take the burst's figures from an earlier measure's JSON")
    meas.add_argument("--verify-from", help="take the verify's figures from an earlier measure's JSON")
    only = sub.add_parser("burst", help="the burst alone, added to the last measure's figures")
    only.add_argument("--url", required=True)
    args = parser.parse_args()
    if args.what == "generate":
        generate(args)
    elif args.what == "part":
        part(args)
    elif args.what == "finish":
        finish_kept(args)
    elif args.what == "burst":
        from province_measure import burst_only

        burst_only(args)
    else:
        from province_measure import measure

        measure(args)


if __name__ == "__main__":
    main()
