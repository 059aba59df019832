"""What observation and the door-to-door survey cost the Wuhan twin (issue 17): the first days of wuhan-2020 played
three times in one process on a fresh SQLite database each — neither, observation only, observation and the
survey — and the CPU seconds (time.process_time) and wall seconds of each simulated day, read at each local
midnight. The survey is moved to the run's days 2 to 4 (`operations.survey.starts`), so that its three campaign
days are measured over the whole city's 69,900 households without playing the month before 17 February; the ill
it finds then are January's (fewer than February's), its visits and households are the same.

`python bench/twin_operations.py --days 4`. Results: bench/RESULTS.md, section "The twin's observation and survey
(issue 17)".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from sqlalchemy import text  # noqa: E402

from admitall.sim.run import run_scenario  # noqa: E402
from admitall.sim.runner import Run  # noqa: E402
from admitall.sim.scenario import load_scenario  # noqa: E402
from common import machine, write_section  # noqa: E402

OFF = ["operations.observation=false", "operations.survey.on=false"]
CONFIGS = {
    "neither (baseline)": OFF,
    "observation": ["operations.survey.on=false"],
    "observation and survey": [],
}


def play(days: int, settings: list[str], survey_from: str) -> dict[str, Any]:
    scenario = load_scenario("wuhan-2020", [f"operations.survey.starts={survey_from}", *settings])
    marks: list[tuple[float, float]] = []

    def midnight(run: Run, hour: float) -> None:
        if round(hour) % 24 == 0:
            marks.append((time.process_time(), time.perf_counter()))

    started = (time.process_time(), time.perf_counter())
    finished = run_scenario(scenario, days=days, on_hour=midnight)
    cpu = [b[0] - a[0] for a, b in zip([started, *marks], marks, strict=False)]
    wall = [b[1] - a[1] for a, b in zip([started, *marks], marks, strict=False)]
    with finished.context.engine.connect() as conn:
        counts = {
            name: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for name, table in (
                ("exposures", "exposures"),
                ("checks", "observation_checks"),
                ("converted", "observations WHERE state = 'converted'"),
                ("missed_check_alerts", "alerts WHERE kind = 'missed_check'"),
                ("people", "persons"),
            )
        }
    return {"cpu": cpu, "wall": wall, "counts": counts, "survey": finished.results.summary.get("survey")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    base = load_scenario("wuhan-2020")
    survey_from = (base.start + timedelta(days=1)).isoformat()
    load = os.getloadavg()
    results = {name: play(args.days, settings, survey_from) for name, settings in CONFIGS.items()}
    after = os.getloadavg()
    days = range(args.days)
    head = "| run | " + " | ".join(f"day {d + 1} CPU s" for d in days) + " | all days CPU s | wall s |"
    lines = [
        "## The twin's observation and survey (issue 17)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; load average {load[0]:.1f} before, "
        f"{after[0]:.1f} after (the machine shared by other sessions: wall times are theirs as much as ours, CPU "
        f"is this process's). The first {args.days} days of wuhan-2020 (from {base.start}), each run in one process "
        "on its own fresh SQLite database: without observation and survey (the baseline), with observation, with "
        f"both; the survey moved to days 2–{min(args.days, 4)} ({survey_from} for 3 days), all its 69,900 "
        "households. `python bench/twin_operations.py --days N`.",
        "",
        head,
        "|" + " --- |" * (args.days + 3),
    ]
    for name, r in results.items():
        cells = " | ".join(f"{c:.1f}" for c in r["cpu"])
        lines.append(f"| {name} | {cells} | {sum(r['cpu']):.1f} | {sum(r['wall']):.0f} |")
    lines.append("")
    for name, r in results.items():
        c = r["counts"]
        lines.append(
            f"- {name}: {c['people']:,} people registered, {c['exposures']:,} exposures, {c['checks']:,} checks, "
            f"{c['converted']:,} contacts moved to fever by a check, {c['missed_check_alerts']:,} missed-check alerts"
        )
    s = results["observation and survey"]["survey"]
    if s:
        lines.append(
            f"- the survey: {s['households_visited']:,} of {s['households_planned']:,} households visited "
            f"({s['households_done']:,} done, counting those found empty twice), {s['visits']:,} visits, people "
            f"found {s['found']}, {s['registered_before_coming_forward']:,} registered before they came forward; "
            f"the hook's own CPU {s['cpu_seconds']:.1f} s"
        )
    base_cpu, obs_cpu, both_cpu = (results[k]["cpu"] for k in CONFIGS)
    campaign = slice(1, min(args.days, 4))
    lines += [
        "",
        f"Observation: {sum(obs_cpu) - sum(base_cpu):+.1f} CPU s over the {args.days} days "
        f"({(sum(obs_cpu) / sum(base_cpu) - 1) * 100:+.0f} %). The survey: {sum(both_cpu) - sum(obs_cpu):+.1f} CPU s "
        f"over the run ({(sum(both_cpu) / sum(obs_cpu) - 1) * 100:+.0f} %): its set-up at midnight before its first "
        f"day (HQ's campaign, the households listed) falls in day 1's figure ({both_cpu[0] - obs_cpu[0]:+.1f} s), "
        f"its three days of visits are days 2–{campaign.stop} ({sum(both_cpu[campaign]):.1f} CPU s with it, "
        f"{sum(obs_cpu[campaign]):.1f} without, {sum(both_cpu[campaign]) - sum(obs_cpu[campaign]):+.1f} s).",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("twin_operations", text)


if __name__ == "__main__":
    main()
