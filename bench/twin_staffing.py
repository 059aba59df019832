"""The twin: what a staff shortage costs (issue 18 §5), measured in one run of this script.

1. `admitall sim compare` on the small scenario with its staff on: as it is, and with its shelter hospital opened
   without nurses (`staffing.local_per_100_beds.shelter_hospital.nurse=0`): people admitted, past their time
   target, waiting, deaths while waiting (sim.compare).
2. wuhan-2020 with the teams' published arrivals (data/wuhan-2020/medical_teams.csv): the shelter hospitals' usable
   beds by date as the arrivals staff them, and without the teams (`staffing.withheld=["shelter_hospital"]`) —
   from the hand-out (sim.staffing) and the policy's ratios, not from a run.

    python bench/twin_staffing.py [--days 10]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import date
from importlib import resources
from pathlib import Path

from admitall.domain.facilities import BedType, FacilityType
from admitall.domain.policy import default_policy
from admitall.domain.staffing import on_shift, staffed_beds
from admitall.sim.compare import compare
from admitall.sim.run import run_scenario
from admitall.sim.scenario import load_scenario
from admitall.sim.staffing import hand_out

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, write_section

SHORTAGE = "staffing.local_per_100_beds.shelter_hospital.nurse=0"
WITHHELD = 'staffing.withheld=["shelter_hospital"]'


def small_with_staff() -> str:
    text = resources.files("admitall").joinpath("data/scenarios/small.toml").read_text("utf-8")
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "small-staffed.toml"
    path.write_text(text.replace("\n[staffing]\non = false\n", "\n[staffing]\non = true\n"), "utf-8")
    return str(path)


def shelter_beds(settings: list[str], days: list[date]) -> list[int]:
    """Usable shelter beds (staffed, at most in service) on each day, from the hand-out of the arrivals."""
    scenario = load_scenario("wuhan-2020", ["staffing.on=true", *settings])
    assert scenario.staffing is not None
    policy = default_policy()
    rows, _ = hand_out(scenario, scenario.staffing, policy)
    shelters = {f.code: f for f in scenario.facilities if f.type is FacilityType.SHELTER_HOSPITAL}
    found = []
    for day in days:
        total = 0
        for code, f in shelters.items():
            if (f.opens is not None and f.opens > day) or (f.closes is not None and f.closes <= day):
                continue
            heads: Counter[str] = Counter()
            for r in rows:
                if r.facility_code == code and r.day <= day:
                    heads.update(r.headcount)
            crew = on_shift(heads, policy.staffing.shifts_per_day)
            total += staffed_beds({BedType.SHELTER: f.beds[BedType.SHELTER]}, crew, policy.staffing)[BedType.SHELTER][0]
        found.append(total)
    return found


def wuhan_runs(path: Path | None, note: str) -> str:
    """The Wuhan what-if as two runs, from `admitall sim compare`'s JSON; or what is not measured."""
    command = f"admitall sim compare wuhan-2020 --base staffing.on=true --set '{WITHHELD}'"
    if path is None:
        return f"Not measured here: the Wuhan what-if as runs. The command is `{command} --days 30`."
    found = json.loads(path.read_text("utf-8"))
    f, daily = found["figures"], found["daily"]
    rows = "\n".join(
        f"| {d['day']} | {d['queue'][0]:,} | {d['queue'][1]:,} | {d['queue'][1] - d['queue'][0]:+,} "
        f"| {d['past_sla'][0]:,} | {d['past_sla'][1]:,} |"
        for d in daily
        if d["day"] >= "2020-02-05" and (d["day"][-2:] in ("05", "08", "12", "15") or d is daily[-1])
    )

    def row(key: str, label: str) -> str:
        return f"| {label} | {f[key]['base']:,} | {f[key]['variant']:,} | {f[key]['difference']:+,} |"

    return f"""**wuhan-2020 as two runs**, {len(daily)} days from 20 January, same seed: `{command} --days {len(daily)}`
({note}).

| figure | with the teams | shelters without them | difference |
| --- | --- | --- | --- |
{row("admitted", "admissions, transfers included")}
{row("peak_past_sla", "peak of people past their time target")}
{row("deaths_waiting", "deaths while waiting")}
{row("deaths", "deaths")}

| day | waiting, with the teams | waiting, without | difference | past their target, with | without |
| --- | --- | --- | --- | --- | --- |
{rows}

The shelter hospitals take the mild confirmed: without the teams that staffed them, about one bed in eight is
usable (the table above), and those people wait at home (counted in the queue and past their target) instead of
in a bed. The severe and critical go to designated hospitals, whose staff this what-if does not touch: deaths while
waiting hardly move (a difference of a few is within the run's noise)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--wuhan-compare",
        type=Path,
        help="the JSON of `admitall sim compare wuhan-2020 --base staffing.on=true --set WITHHELD --days N --json`",
    )
    parser.add_argument("--wuhan-note", default="", help="how that run was made: machine, time, load")
    args = parser.parse_args()
    load_before = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    path = small_with_staff()
    base = run_scenario(load_scenario(path), days=args.days)
    variant = run_scenario(load_scenario(path, [SHORTAGE]), days=args.days)
    result = compare(base.results, variant.results)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    f = result["figures"]
    last = result["daily"][-1]
    days = [date(2020, 2, d) for d in (5, 8, 12, 16, 18, 20)] + [date(2020, 2, 24)]
    staffed, without = shelter_beds([], days), shelter_beds([WITHHELD], days)
    in_service = []
    scenario = load_scenario("wuhan-2020")
    for day in days:
        in_service.append(
            sum(
                x.beds[BedType.SHELTER]
                for x in scenario.facilities
                if x.type is FacilityType.SHELTER_HOSPITAL and (x.opens is None or x.opens <= day)
            )
        )
    table = "\n".join(
        f"| {d:%d %b} | {n:,} | {s:,} | {w:,} |" for d, n, s, w in zip(days, in_service, staffed, without, strict=True)
    )

    def row(key: str, label: str) -> str:
        return f"| {label} | {f[key]['base']} | {f[key]['variant']} | {f[key]['difference']:+} |"

    section = f"""## The twin: what a staff shortage costs (issue 18)

`python bench/twin_staffing.py --days {args.days}` — {date.today().isoformat()}, {machine()}; load average
{load_before[0]:.1f} (shared machine); the two runs took {wall:.0f} s wall, {cpu:.0f} s CPU.

**The small scenario, staff on** (every facility has its own staff for all its beds at the policy's ratios; no
teams arrive), against the same with its shelter hospital (SH-WC, 60 beds, open from 25 January) opened without
nurses — `admitall sim compare <small with staffing.on=true> --set {SHORTAGE}`, {args.days} days, same seed:

| figure | staffed | shelter without nurses | difference |
| --- | --- | --- | --- |
{row("admitted", "people admitted")}
{row("peak_past_sla", "peak of people past their time target")}
{row("deaths_waiting", "deaths while waiting")}
| waiting on the last day ({last["day"]}) | {last["queue"][0]} | {last["queue"][1]} | {last["queue"][1] - last["queue"][0]:+} |

Nobody died waiting in either run: the people the shelter would have taken are mild, and the small city's
designated beds kept the severe and critical. The cost of the shortage here is people admitted and time waited.

**wuhan-2020, the shelter hospitals' usable beds** with the medical teams arriving on their published dates
(`--set staffing.on=true`), and without the teams (`{WITHHELD}`: each keeps its own staff, 2 nurses and 1 doctor
per 100 beds, chosen) — computed from the hand-out and the policy's ratios (1 nurse per 20 shelter beds and 1
doctor per 50 on shift, three shifts), not from a run:

| day | shelter beds in service | usable with the teams | usable without them |
| --- | --- | --- | --- |
{table}

{wuhan_runs(args.wuhan_compare, args.wuhan_note)}
"""
    print(section)
    if not args.no_write:
        write_section("twin_staffing", section)


if __name__ == "__main__":
    main()
