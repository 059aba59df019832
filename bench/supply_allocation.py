"""HQ supply allocation at city scale (issue 18 §1): 50 items x 2,000 sites x 5,000 open requests, the optimiser
(allocation.supplies.allocate: one min-cost flow for all items) beside a greedy first-come baseline measured in the
same run, and how many critical-care sites each leaves short.

The data are synthetic and seeded: 2,000 sites, 15 % of them critical-care (ICU or severe beds); each site uses
each item at a rate drawn per site and item and holds 0-6 days of it; 5,000 requests in the order they came, each
asking for 1-5 items, 2-10 days' use of each; HQ holds 40 % of what is asked of each item (scarce stock).

"Left short": a critical-care site left with under 3 days of cover (the policy's shortage threshold) of an item it
asked for. Timing: the pure call only (nothing from the database), median of 5 runs, wall and CPU time.

    .venv/bin/python bench/supply_allocation.py [--no-write]

Target: the optimiser ≤ 1 s. Results: bench/RESULTS.md, section "Supply allocation (issue 18)".
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).parent))

from admitall.allocation.supplies import Ask, Grant, Need, allocate, greedy_first_come  # noqa: E402
from common import machine, write_section  # noqa: E402

ITEMS, SITES, REQUESTS = 50, 2000, 5000
THRESHOLD_DAYS = 3.0


def data(seed: int = 18) -> tuple[dict[str, int], list[Ask], dict[tuple[str, str], Need]]:
    rng = random.Random(seed)
    items = [f"item{i:02d}" for i in range(ITEMS)]
    sites = [f"site{i:04d}" for i in range(SITES)]
    critical = {s for s in sites if rng.random() < 0.15}
    rate = {(s, i): rng.uniform(2, 40) * (3 if s in critical else 1) for s in sites for i in items}
    needs = {(s, i): Need(round(rng.uniform(0, 6) * r), r, s in critical) for (s, i), r in rate.items()}
    asks, line = [], 0
    for request in range(REQUESTS):
        site = rng.choice(sites)
        for item in rng.sample(items, rng.randint(1, 5)):
            line += 1
            asks.append(Ask(line, request, site, item, max(1, round(rate[(site, item)] * rng.uniform(2, 10)))))
    asked: dict[str, int] = defaultdict(int)
    for a in asks:
        asked[a.item] += a.quantity
    stock = {item: int(asked[item] * 0.4) for item in items}
    return stock, asks, needs


def short_critical(grants: list[Grant], needs: dict[tuple[str, str], Need]) -> int:
    """Critical-care sites left under the threshold's days of cover of an item they asked for."""
    got: dict[tuple[str, str], int] = defaultdict(int)
    for g in grants:
        got[(g.site, g.item)] += g.granted
    short = set()
    for (site, item), n in got.items():
        need = needs[(site, item)]
        if need.critical and (need.on_hand + n) / need.per_day < THRESHOLD_DAYS:
            short.add(site)
    return len(short)


def timed(fn: Callable[[], list[Grant]], runs: int = 5) -> tuple[list[Grant], float, float]:
    walls, cpus, result = [], [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return result, statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print the section, leave RESULTS.md alone")
    args = parser.parse_args()
    stock, asks, needs = data()
    critical_asking = len({a.site for a in asks if needs[(a.site, a.item)].critical})
    ours, wall, cpu = timed(lambda: allocate(stock, asks, needs))
    greedy, g_wall, g_cpu = timed(lambda: greedy_first_come(stock, asks, needs))
    for grants in (ours, greedy):  # both hand out exactly the stock (or all asked), never more than asked
        assert all(0 <= g.granted <= g.asked for g in grants)
    handed = sum(g.granted for g in ours)
    assert handed == sum(g.granted for g in greedy)
    load = os.getloadavg()
    section = "\n".join(
        [
            "## Supply allocation (issue 18)",
            "",
            f"Machine: {machine()}. Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average "
            f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (the machine is shared by 8 sessions).",
            "",
            f"Data (synthetic, seeded): {ITEMS} items x {SITES:,} sites x {REQUESTS:,} open requests "
            f"({len(asks):,} lines); {critical_asking} critical-care sites among those asking; HQ holds 40 % of "
            "what is asked of each item. Timing: the pure call, median of 5 runs.",
            "",
            "| | wall | CPU | critical-care sites left under 3 days of cover |",
            "|---|---:|---:|---:|",
            f"| optimiser (`allocation.supplies.allocate`, one min-cost flow) | {wall * 1000:.0f} ms | "
            f"{cpu * 1000:.0f} ms | {short_critical(ours, needs)} |",
            f"| baseline: greedy first-come | {g_wall * 1000:.0f} ms | {g_cpu * 1000:.0f} ms | "
            f"{short_critical(greedy, needs)} |",
            "",
            f"Both hand out the same {handed:,} units. Target: the optimiser ≤ 1 s — "
            + ("met." if wall <= 1 else f"**missed** ({wall:.2f} s)."),
        ]
    )
    print(section)
    if not args.no_write:
        write_section("supply-allocation", section)


if __name__ == "__main__":
    main()
