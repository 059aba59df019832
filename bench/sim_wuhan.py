"""Benchmark: the Wuhan scenario end to end (20 January – 10 March 2020, hourly allocation) through the real system.

Measured: the wall time and the peak memory (resident set) of `run_scenario("wuhan-2020")` on its own SQLite file,
and, as the baseline in the same run, the outbreak model alone (`simulate_outbreak` for the same city: everyone
the city will find, with their timelines, without a database). Also: how the run's daily curves compare with the
published figures it used as inputs — confirmations against the published daily series (its testing capacity),
and the beds open and in use against the published designated-hospital totals.

Targets (issue 13): under 5 minutes on this machine with the real city (3,495 communities), at most 60 times the
outbreak model alone, and each simulated day's wall time within ±50 % of the median day from day 10 to the end (the
series is printed and written). Results go to bench/RESULTS.md; `--json-out` keeps the whole results, for the
charts of docs/scenario-wuhan-2020.md (bench/sim_charts.py).

    python bench/sim_wuhan.py [--days 51] [--until HH:MM] [--no-write] [--json-out FILE]

`--until` (UTC) ends the run at the first local midnight after that time and reports the days it ran, marked as
stopped (for a run that does not fit the time there is).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from admitall.clock import ManualClock  # noqa: E402
from admitall.services.context import make_context  # noqa: E402
from admitall.services.verify import verify  # noqa: E402
from admitall.settings import Settings  # noqa: E402
from admitall.sim.city import build_city, local_midnight  # noqa: E402
from admitall.sim.epidemic import simulate_outbreak  # noqa: E402
from admitall.sim.reference import capacity_events, daily_cases  # noqa: E402
from admitall.sim.results import registry_states  # noqa: E402
from admitall.sim.run import run_scenario  # noqa: E402
from admitall.sim.runner import Run  # noqa: E402
from admitall.sim.scenario import load_scenario  # noqa: E402
from admitall.store.db import init_database  # noqa: E402
from common import machine, write_section  # noqa: E402
from sim_charts import charts  # noqa: E402

CHECK_DAYS = (
    "2020-01-23",
    "2020-01-26",
    "2020-01-30",
    "2020-02-04",
    "2020-02-08",
    "2020-02-12",
    "2020-02-17",
    "2020-02-23",
    "2020-03-01",
    "2020-03-10",
)


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
    parser.add_argument("--until", default=None, help="UTC HH:MM: stop at the first simulated midnight after it")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json-out", type=Path, default=None, help="keep the whole results here")
    parser.add_argument(
        "--charts",
        type=Path,
        default=None,
        help="write the run's charts here (default: docs/images for a whole run written to RESULTS.md)",
    )
    args = parser.parse_args()
    scenario = load_scenario("wuhan-2020")
    measured = revision()  # the code as it was when the run began (others may commit while it runs)
    with tempfile.TemporaryDirectory(prefix="admitall-bench-") as tmp:
        log("baseline: the outbreak model alone")
        base_seconds, kinds = baseline(scenario, Path(tmp))
        log(f"  {base_seconds:.1f} s, {sum(kinds.values()):,} people ({dict(kinds)})")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    day_seconds: list[float] = []
    day_cpu: list[float] = []  # CPU seconds of each day: less sensitive than wall time to a shared machine
    last = [0.0, time.process_time()]

    def progress(k: int, n: int) -> None:
        if k % 24 == 0:
            elapsed = time.perf_counter() - started
            day_seconds.append(elapsed - last[0])
            day_cpu.append(time.process_time() - last[1])
            last[0], last[1] = elapsed, time.process_time()
            log(f"  day {k // 24}/{n // 24} ({elapsed:.0f} s, this day {day_seconds[-1]:.1f} s)")

    statements = [0]
    per_hour: list[int] = []  # statements each simulated hour (all of the run's engines)

    def count(*_: object) -> None:
        statements[0] += 1

    conservation: list[str] = []  # the local midnights where the registry and the run disagree

    def hour_done(run: Run, hour: float) -> None:
        per_hour.append(statements[0])
        if round(hour) % 24 == 0:  # each day's close: everyone in one state, as the registry has them
            stored = registry_states(run.ctx)
            kept: Counter[str] = Counter()
            for (state, _, _), n in run.recorder.stock.items():
                kept[state] += n
            if +kept != +stored or sum(stored.values()) != len(run.tracked):
                conservation.append(run.moment(hour).isoformat())
        statements[0] = 0

    event.listen(Engine, "before_cursor_execute", count)
    log("the scenario through the real system")
    started = time.perf_counter()
    deadline = None
    if args.until:
        hours, minutes = (int(x) for x in args.until.split(":"))
        deadline = datetime.now(UTC).replace(hour=hours, minute=minutes, second=0, microsecond=0)
        if deadline < datetime.now(UTC):
            deadline += timedelta(days=1)

    def stop() -> bool:
        return deadline is not None and datetime.now(UTC) >= deadline

    finished = run_scenario(scenario, days=args.days, progress=progress, on_hour=hour_done, stop=stop)
    event.remove(Engine, "before_cursor_execute", count)
    seconds = time.perf_counter() - started
    after = seconds - sum(day_seconds)  # the results, after the last day
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results = finished.results
    log("verify: the simulated database's chains, projections and records")
    verified_at = time.perf_counter()
    checked = verify(finished.context)
    verify_seconds = time.perf_counter() - verified_at
    verdict = (
        f"**passes** ({checked['events_checked']:,} events, {checked['reports_checked']:,} reports checked, "
        f"{verify_seconds:.0f} s, not in the wall time)"
        if checked["ok"]
        else f"**FAILS**: {checked['problems'][:3]}"
    )
    kept_days = len(per_hour) // 24
    balance = (
        f"**hold** at every local midnight ({kept_days} checked; the recorder also checks its own states every hour)"
        if not conservation
        else f"**FAIL** at {', '.join(conservation[:3])}"
    )
    if args.json_out:
        args.json_out.write_text(json.dumps(results.as_dict(), ensure_ascii=False), encoding="utf-8")
    whole = args.days is None and len(results.daily) == scenario.days
    charts_dir = args.charts or (ROOT / "docs" / "images" if not args.no_write and whole else None)
    if charts_dir is not None:
        charts_dir.mkdir(parents=True, exist_ok=True)
        note = f"AdmitAll twin, wuhan-2020 seed {scenario.seed}, {len(results.daily)} days, {measured}"
        for name, svg in charts(results.as_dict(), note).items():
            (charts_dir / name).write_text(svg, encoding="utf-8")
            log(f"wrote {charts_dir / name}")
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
        by_kind = day["by_kind"]
        designated, shelter = by_kind.get("designated_hospital", {}), by_kind.get("shelter_hospital", {})
        in_beds, waiting = day["in_beds_confirmed_by_severity"], day["queue_confirmed_by_severity"]
        rows.append(
            f"| {day['day']} | {published.get(day['day'], 0):,} | {cumulative:,} "
            f"| {published_designated(date.fromisoformat(day['day'])) or '—'} "
            f"| {designated.get('open', 0):,} | {designated.get('occupied', 0):,} "
            f"| {shelter.get('occupied', 0):,} / {shelter.get('open', 0):,} "
            f"| {sum(in_beds.values()):,} | {sum(waiting.values()):,} ({waiting['severe'] + waiting['critical']:,}) "
            f"| {day['suspected_stock']:,} | {day['past_sla']:,} | {day['deaths_total']:,} | {day['discharged_total']:,} "
            f"| {day['reports']['completeness']} |"
        )
    tail = day_seconds[9:]
    median = statistics.median(tail) if tail else None
    flat = (
        "—"
        if median is None
        else f"days 10–{len(day_seconds)}: median {median:.1f} s, from {min(tail):.1f} to {max(tail):.1f} s "
        f"({100 * (min(tail) / median - 1):+.0f} % to {100 * (max(tail) / median - 1):+.0f} %) — **"
        + ("met" if all(0.5 * median <= s <= 1.5 * median for s in tail) else "MISSED")
        + "**"
    )
    midnights = per_hour[23::24]
    others = [n for i, n in enumerate(per_hour) if i % 24 != 23]
    counted = (
        f"{statistics.mean(others):,.0f} a simulated hour (max {max(others):,}), {statistics.mean(midnights):,.0f} "
        f"at local midnight (the communities' daily reports; max {max(midnights):,})"
        if midnights and others
        else "—"
    )
    series = " · ".join(f"{i}: {s:.1f}" for i, s in enumerate(day_seconds, start=1))
    cpu_series = " · ".join(f"{i}: {s:.1f}" for i, s in enumerate(day_cpu, start=1))
    days_run = len(results.daily)
    asked = args.days or scenario.days
    stopped = (
        f" **Stopped at the deadline after {days_run} of {asked} days** (`--until {args.until}`): the whole run did not fit."
        if days_run < asked
        else ""
    )
    target = "met" if seconds < 300 and not stopped else "MISSED"
    ratio = seconds / base_seconds
    section = f"""## The Wuhan scenario end to end (issues 6 and 13)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, at {measured}; SQLite (the run's own file).
The machine was shared with other work while it ran (2 cores): the figures are noisy, and the baseline was measured
in the same run for that reason.
`python bench/sim_wuhan.py{f" --days {args.days}" if args.days else ""}{f" --until {args.until}" if args.until else ""}`:{stopped} scenario `wuhan-2020` (docs/scenario-wuhan-2020.md),
{days_run} days from 2020-01-20, the real city (3,495 communities), seed {scenario.seed}, a tick of {scenario.operations.tick_minutes} min, allocation by the real engine every
{scenario.operations.allocate_every_minutes} min, reports on the scenario's schedules (each hour's in one batch), the watch every {scenario.operations.watch_every_minutes} min.
People found: {s["identified"]:,} ({", ".join(f"{k} {v:,}" for k, v in s["found"].items())}); confirmed {s["confirmed"]:,};
admissions {s["admitted"]:,}; deaths {s["deaths"]:,} of which {s["deaths_waiting"]:,} while waiting; waiting at the end {s["waiting_at_end"]:,}.

| what | figure |
| --- | ---: |
| wall time, end to end (city, outbreak, operations, results) | {seconds:,.0f} s |
| of which the days simulated (day 1 includes building the city and the outbreak model) | {sum(day_seconds):,.0f} s (results after the last day {after:,.0f} s) |
| peak memory (resident set of the process) | {peak:,.0f} MB (before the run: {rss_before:,.0f} MB) |
| baseline: the outbreak model alone, same city | {base_seconds:.1f} s ({sum(kinds.values()):,} people) |
| ratio | {ratio:,.0f}× (target ≤ 60×: **{"met" if ratio <= 60 else "MISSED"}**) |

Target: under 5 minutes — **{target}** ({seconds / 60:.1f} min). Per-day time flat within ±50 %: {flat}.

Seconds per simulated day: {series}

CPU seconds of the process per simulated day (the same days): {cpu_series}

SQL statements (all engines, counted by a `before_cursor_execute` listener): {counted}.

`admitall verify` on the simulated database: {verdict}. Conservation (each person in exactly one state, the
registry's count by status and placement equal to the run's): {balance}.

The run against the published figures it used (confirmed: the published daily series is the testing capacity,
summed from the run's first day; designated beds: published totals, Huoshenshan and Leishenshan apart, against the
run's open designated beds, which include them from their opening days). The run's own figures are as of 24:00
(`by_kind`, `in_beds_confirmed_by_severity`, `queue_confirmed_by_severity` with its severe and critical in
brackets, `suspected_stock`, `deaths_total`, `discharged_total`, `reports.completeness`):

| day | published: confirmed since 20 Jan | run: confirmed since 20 Jan | published designated beds | run: designated beds open | run: designated beds occupied | run: shelter beds occupied / open | run: confirmed in beds | run: confirmed waiting (severe+critical) | run: suspected | run: past their SLA | run: deaths | run: discharged | run: reports complete % |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}
"""
    print(section)
    if not args.no_write:
        write_section("sim-wuhan", section)


if __name__ == "__main__":
    main()
