"""The twin: what a supply shortage costs (issue 18 §5), measured in one run of this script.

The small scenario with its supplies played (`supplies.on=true`: every facility stocked when it opens and resupplied
in full every 2 days, sim.supplies), against the same with half a ventilator per ICU bed, and against the same
with oxygen and the other consumables delivered at a tenth (one day's stock at opening): people admitted, past
their time target, deaths while waiting, waiting on the last day, and the ICU beds used at the busiest hour.

    python bench/twin_supplies.py [--days 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import text

from admitall.sim.compare import compare
from admitall.sim.run import Finished, run_scenario
from admitall.sim.runner import Run
from admitall.sim.scenario import load_scenario

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, write_section

BASE = ["supplies.on=true"]
VARIANTS = {
    "half a ventilator per ICU bed": ["supplies.ventilators_per_icu_bed=0.5"],
    "consumables delivered at a tenth": ["supplies.resupply_share=0.1", "supplies.opening_days=1"],
}


def played(settings: list[str], days: int) -> tuple[Finished, int]:
    """The run, and the most ICU beds taken (occupied or reserved) at any hour."""
    peak: Counter[str] = Counter()

    def watch(run: Run, hour: float) -> None:
        with run.ctx.engine.connect() as conn:
            used = conn.execute(text("SELECT sum(occupied + reserved) FROM bed_pools WHERE bed_type = 'icu'"))
            peak["icu"] = max(peak["icu"], int(used.scalar_one() or 0))

    return run_scenario(load_scenario("small", settings), days=days, on_hour=watch), peak["icu"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    base, base_icu = played(BASE, args.days)
    rows = []
    for label, change in VARIANTS.items():
        variant, icu = played([*BASE, *change], args.days)
        f = compare(base.results, variant.results)
        last = f["daily"][-1]
        fig = f["figures"]
        rows.append(
            f"| {label} (`{' '.join(change)}`) | {fig['admitted']['variant']} ({fig['admitted']['difference']:+}) "
            f"| {fig['peak_past_sla']['variant']} ({fig['peak_past_sla']['difference']:+}) "
            f"| {fig['deaths_waiting']['variant']} ({fig['deaths_waiting']['difference']:+}) "
            f"| {last['queue'][1]} ({last['queue'][1] - last['queue'][0]:+}) | {icu} |"
        )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    b = base.results.summary
    first = f["daily"][-1]
    stocked = b["supplies"]
    table = "\n".join(rows)
    section = f"""## The twin: what a supply shortage costs (issue 18)

`python bench/twin_supplies.py --days {args.days}` — {date.today().isoformat()}, {machine()}; load average
{load_before:.1f} at the start; the {len(VARIANTS) + 1} runs took {wall:.0f} s wall, {cpu:.0f} s CPU.

The small scenario with its supplies played (`--set supplies.on=true`, sim.supplies: {stocked["facilities_stocked"]}
facilities stocked when they open, resupplied in full every 2 days; {stocked["receipts"]:,} receipts and
{stocked["consumption"]:,} consumption rows over {args.days} days), against one change each, same seed
(`admitall sim compare small --base supplies.on=true --set …`). In brackets: the difference from the base.

| run | people admitted | peak past their time target | deaths while waiting | waiting on the last day ({first["day"]}) | most ICU beds in use |
| --- | --- | --- | --- | --- | --- |
| base: supplied in full | {b["admitted"]} | {b["peak_past_sla"]} | {b["deaths_waiting"]} | {first["queue"][0]} | {base_icu} |
{table}
"""
    print(section)
    if not args.no_write:
        write_section("twin_supplies", section)


if __name__ == "__main__":
    main()
