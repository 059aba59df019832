"""Benchmark: the Wuhan scenario end to end (20 January – 10 March 2020, hourly allocation) through the real system.

Measured: the wall time and the peak memory (resident set) of `run_scenario("wuhan-2020")` on its own SQLite file,
and, as the baseline in the same run, the outbreak model alone (`simulate_outbreak` for the same city: everyone
the city will find, with their timelines, without a database). Also: how the run's daily curves compare with the
published figures it used as inputs — confirmations against the published daily series (its testing capacity),
and the beds open and in use against the published designated-hospital totals.

Target (issue 6): under 5 minutes on this machine. Results go to bench/RESULTS.md.

    python bench/sim_wuhan.py [--days 51] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from admitall.clock import ManualClock  # noqa: E402
from admitall.services.context import make_context  # noqa: E402
from admitall.settings import Settings  # noqa: E402
from admitall.sim.city import build_city, local_midnight  # noqa: E402
from admitall.sim.epidemic import simulate_outbreak  # noqa: E402
from admitall.sim.reference import capacity_events, daily_cases  # noqa: E402
from admitall.sim.run import run_scenario  # noqa: E402
from admitall.sim.scenario import load_scenario  # noqa: E402
from admitall.store.db import init_database  # noqa: E402
from common import machine, write_section  # noqa: E402

CHECK_DAYS = ("2020-01-26", "2020-02-04", "2020-02-12", "2020-02-17", "2020-02-23", "2020-03-01", "2020-03-10")
DESIGNATED = ("icu", "severe", "general")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def baseline(scenario, tmp: Path) -> tuple[float, Counter[str]]:
    """The outbreak model alone, for the same city (built once in a scratch database, not timed)."""
    settings = Settings(database_url=f"sqlite:///{tmp / 'city.db'}", run_jobs=False)
    probe = make_context(settings)
    init_database(probe.engine)
    ctx = make_context(settings, ManualClock(local_midnight(probe, scenario) - timedelta(days=1)))
    city = build_city(ctx, scenario)
    started = time.perf_counter()
    outbreak = simulate_outbreak(scenario, city.communities, city.populations)
    return time.perf_counter() - started, Counter(a.kind for a in outbreak.agents)


def revision() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True)
    return f"commit {head.stdout.strip()}" + (" with uncommitted changes in src/" if dirty.stdout.strip() else "")


def published_designated(day: date) -> int | None:
    """The latest published designated-hospital bed total on or before `day` (Huoshenshan and Leishenshan apart)."""
    found = None
    for e in capacity_events():
        if e["kind"] == "designated_beds_total" and date.fromisoformat(e["date"]) <= day:
            found = int(e["beds"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=None, help="run only this many days (a quick check)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json-out", type=Path, default=None, help="keep the whole results here")
    args = parser.parse_args()
    scenario = load_scenario("wuhan-2020")
    measured = revision()  # the code as it was when the run began (others may commit while it runs)
    with tempfile.TemporaryDirectory(prefix="admitall-bench-") as tmp:
        log("baseline: the outbreak model alone")
        base_seconds, kinds = baseline(scenario, Path(tmp))
        log(f"  {base_seconds:.1f} s, {sum(kinds.values()):,} people ({dict(kinds)})")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def progress(k: int, n: int) -> None:
        if k % 24 == 0:
            log(f"  day {k // 24}/{n // 24} ({time.perf_counter() - started:.0f} s)")

    log("the scenario through the real system")
    started = time.perf_counter()
    finished = run_scenario(scenario, days=args.days, progress=progress)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results = finished.results
    if args.json_out:
        args.json_out.write_text(json.dumps(results.as_dict(), ensure_ascii=False), encoding="utf-8")
    s = results.summary
    log(f"{seconds:.0f} s, peak {peak:.0f} MB: {json.dumps(s, ensure_ascii=False)}")

    published: dict[str, int] = {}  # new confirmed since 20 January, cumulative (the run starts that day)
    running = 0
    for d, new, _ in daily_cases():
        running += new
        published[d.isoformat()] = running
    cumulative = 0
    rows = []
    for day in results.daily:
        cumulative += day["confirmed"]
        if day["day"] not in CHECK_DAYS:
            continue
        beds = day["beds"]
        capacity = sum(beds.get(b, {}).get("capacity", 0) for b in DESIGNATED)
        occupied = sum(beds.get(b, {}).get("occupied", 0) for b in DESIGNATED)
        shelter = beds.get("shelter", {})
        rows.append(
            f"| {day['day']} | {published.get(day['day'], 0):,} | {cumulative:,} | {published_designated(date.fromisoformat(day['day'])) or '—'} "
            f"| {capacity:,} | {occupied:,} | {shelter.get('occupied', 0):,} / {shelter.get('capacity', 0):,} "
            f"| {day['in_beds'].get('confirmed', 0):,} | {day['queue'].get('confirmed', 0):,} "
            f"| {day['queue'].get('suspected', 0) + day['queue'].get('fever', 0):,} | {day['past_sla']:,} "
            f"| {day['deaths_waiting']} |"
        )
    days_run = len(results.daily)
    target = "met" if seconds < 300 else "MISSED"
    section = f"""## The Wuhan scenario end to end (issue 6)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, at {measured}; SQLite (the run's own file).
`python bench/sim_wuhan.py{f" --days {args.days}" if args.days else ""}`: scenario `wuhan-2020` (docs/scenario-wuhan-2020.md),
{days_run} days from 2020-01-20, seed {scenario.seed}, a tick of {scenario.operations.tick_minutes} min, allocation by the real engine every
{scenario.operations.allocate_every_minutes} min, reports on the scenario's schedules, the watch every {scenario.operations.watch_every_minutes} min.
People found: {s["identified"]:,} ({", ".join(f"{k} {v:,}" for k, v in s["found"].items())}); confirmed {s["confirmed"]:,};
admissions {s["admitted"]:,}; deaths {s["deaths"]:,} of which {s["deaths_waiting"]:,} while waiting; waiting at the end {s["waiting_at_end"]:,}.

| what | figure |
| --- | ---: |
| wall time, end to end (city, outbreak, operations, results) | {seconds:,.0f} s |
| peak memory (resident set of the process) | {peak:,.0f} MB (before the run: {rss_before:,.0f} MB) |
| baseline: the outbreak model alone, same city | {base_seconds:.1f} s ({sum(kinds.values()):,} people) |
| ratio | {seconds / base_seconds:,.0f}× |

Target: under 5 minutes — **{target}** ({seconds / 60:.1f} min).

The run against the published figures it used (confirmed: the published daily series is the testing capacity,
summed from the run's first day; designated beds: published totals, Huoshenshan and Leishenshan apart, against the open designated
beds of the run, which include them from their opening days; in beds and waiting: the run's stock at the day's end):

| day | published: confirmed since 20 Jan | run: confirmed since 20 Jan | published designated beds | run: designated beds open | run: designated beds occupied | run: shelter beds occupied / open | run: confirmed in beds | run: confirmed waiting | run: suspected and febrile waiting | run: past their SLA | run: deaths while waiting that day |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}
"""
    print(section)
    if not args.no_write:
        write_section("sim-wuhan", section)


if __name__ == "__main__":
    main()
