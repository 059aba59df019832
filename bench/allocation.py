"""Benchmark: the admission engine on a generated city of 100,000 waiting people and 2,000 facilities.

Measured in one run, on this machine:
- the engine's whole plan (grouping, building the graph, the solves, handing out first come first served) with
  ample capacity and with a shortage (half the beds needed);
- baseline (a): greedy nearest-free-bed, first come first served — what a dispatcher does by hand: in order of
  waiting, each person takes the nearest free bed of the first bed type of their class that has one; its time,
  and how many critical and severe patients it leaves unplaced that the engine places;
- baseline (b): the per-person min cost flow (every person a node, every eligible pool an arc) on a
  10,000-person instance with 500 facilities: its time, and that its objective equals the engine's.
- with every facility's hourly admission rate binding (issue 13: it may fill only a quarter of its free beds
  this hour), the same ample snapshot;
- with `--baseline-src DIR` (a source tree of an earlier commit, e.g. `git archive <rev> src | tar -x -C DIR`),
  the same scenarios planned by that engine in a subprocess, in the same run, beside this one's;
- the allocation snapshot on a SQLite database (bench/allocation_snapshot.py): reading the waiting list as
  before and as now, whole and brought up to date.
Targets (issue 3): under 1 s with ample capacity, under 3 s in shortage; issue 13: unchanged or better. Results
go to bench/RESULTS.md.

    python bench/allocation.py [--people 100000] [--facilities 2000] [--repeat 3] [--baseline-src DIR]
        [--snapshot-people 20000] [--changed 200]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from admitall.allocation.engine import plan
from admitall.allocation.geo import distance_km
from admitall.allocation.model import Candidate, FreePool, Snapshot
from admitall.allocation.reference import per_person_objective
from admitall.domain.facilities import BedType
from admitall.domain.policy import PriorityClass, default_policy

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, write_section

SCENARIOS = (("ample", 1.5), ("shortage", 0.5))

NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
CLASS_MIX = {
    PriorityClass.CRITICAL: 0.02,
    PriorityClass.SEVERE: 0.06,
    PriorityClass.CONFIRMED_RISK: 0.10,
    PriorityClass.CONFIRMED: 0.20,
    PriorityClass.SUSPECTED: 0.10,
    PriorityClass.FEVER: 0.10,
    PriorityClass.CONTACT: 0.40,
    PriorityClass.RECOVERED: 0.02,
}
# share of facilities by kind, and the bed types each has (relative sizes)
FACILITY_MIX = (
    (0.05, {BedType.ICU: 1, BedType.SEVERE: 4, BedType.GENERAL: 10}),
    (0.025, {BedType.SHELTER: 1}),
    (0.30, {BedType.SINGLE_ROOM: 1}),
    (0.50, {BedType.QUARANTINE_ROOM: 1}),
    (0.10, {BedType.OBSERVATION: 1}),
    (0.025, {BedType.RECOVERY_ROOM: 1}),
)


def streets(rng: random.Random) -> list[tuple[str, float, float, float]]:
    """(street code, lat, lon, weight) for Wuhan's streets, around their district's centre."""
    with resources.files("admitall").joinpath("data/divisions.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    districts = {r["code"][:6]: r for r in rows if r["level"] == "district"}
    result = []
    for r in rows:
        if r["level"] == "street":
            d = districts[r["code"][:6]]
            result.append(
                (
                    r["code"],
                    float(d["approx_lat"]) + rng.uniform(-0.05, 0.05),
                    float(d["approx_lon"]) + rng.uniform(-0.05, 0.05),
                    float(d["approx_population_10k"]),
                )
            )
    return result


def city(people: int, facilities: int, capacity_ratio: float, seed: int) -> Snapshot:
    """`capacity_ratio` beds per person needing that kind of bed: 1.5 is ample, 0.5 a shortage."""
    rng = random.Random(seed)
    places = streets(rng)
    weights = [w for *_, w in places]
    policy = default_policy()
    candidates = []
    classes, shares = list(CLASS_MIX), list(CLASS_MIX.values())
    for pid in range(1, people + 1):
        code, lat, lon, _ = rng.choices(places, weights)[0]
        cls = rng.choices(classes, shares)[0]
        candidates.append(Candidate(pid, cls, NOW - timedelta(minutes=rng.randrange(5 * 24 * 60)), code, lat, lon))
    # beds of each type in proportion to the people whose first choice it is
    first_choice = Counter(policy.eligibility[c.priority_class][0] for c in candidates)
    kinds = []
    for share, beds in FACILITY_MIX:
        kinds.extend([beds] * max(1, round(share * facilities)))
    kinds = kinds[:facilities]
    per_type_facilities = Counter(t for beds in kinds for t in beds)
    pools = []
    for i, beds in enumerate(kinds):
        _, lat, lon, _ = rng.choice(places)
        for bed_type, weight in beds.items():
            total = first_choice[bed_type] * capacity_ratio * weight / sum(beds.values()) * len(beds)
            size = max(1, math.ceil(total / per_type_facilities[bed_type] * rng.uniform(0.6, 1.4)))
            pools.append(
                FreePool(f"F{i:05d}", bed_type, size, lat + rng.uniform(-0.02, 0.02), lon + rng.uniform(-0.02, 0.02))
            )
    return Snapshot(candidates, pools, policy)


def greedy(snapshot: Snapshot) -> tuple[set[int], float]:
    """First come, first served: each person in order of waiting takes the nearest free bed of the first of
    their bed types that has one. Returns who was placed, and the seconds it took.

    Written to be fast, not naive: each place's pools of each type are sorted by distance once, and a pointer
    per (place, type) skips the pools that have filled up (they never free up again within one plan)."""
    start = time.perf_counter()
    free = {(p.facility_code, p.bed_type): p.free for p in snapshot.pools}
    by_type: dict[BedType, list[FreePool]] = {}
    for p in snapshot.pools:
        if p.free > 0:
            by_type.setdefault(p.bed_type, []).append(p)
    nearest_first: dict[tuple[str, BedType], list[tuple[str, BedType]]] = {}
    cursor: dict[tuple[str, BedType], int] = {}
    placed = set()
    for c in sorted(snapshot.candidates, key=lambda c: (c.waiting_since, c.person_id)):
        for bed_type in snapshot.policy.eligibility[c.priority_class]:
            key = (c.origin, bed_type)
            if key not in nearest_first:
                pools = sorted(
                    by_type.get(bed_type, []),
                    key=lambda p: (distance_km(c.lat, c.lon, p.lat, p.lon) or 0.0, p.facility_code),
                )
                nearest_first[key], cursor[key] = [(p.facility_code, p.bed_type) for p in pools], 0
            order, i = nearest_first[key], cursor[key]
            while i < len(order) and free[order[i]] == 0:
                i += 1
            cursor[key] = i
            if i < len(order):
                free[order[i]] -= 1
                placed.add(c.person_id)
                break
    return placed, time.perf_counter() - start


def timed_plan(snapshot: Snapshot, repeat: int) -> tuple[float, list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = plan(snapshot)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def _baseline_rows(before: dict[str, list[float]] | None, after: dict[str, list[float]]) -> str:
    if before is None:
        return ""
    rows = [
        "",
        "Baseline in the same run: the engine before issue 13 (`--baseline-src`, a source tree of commit 52b01ad) "
        "and this one, each planning the same snapshot in a fresh subprocess (the same interpreter state for both), "
        "in turns (each repeat: one plan by the old engine, then one by this):",
        "",
        "| scenario | before (s, median) | before, all runs (s) | now (s, median) | now, all runs (s) | change |",
        "| --- | ---: | --- | ---: | --- | ---: |",
    ]
    for name, times in before.items():
        then, now = statistics.median(times), statistics.median(after[name])
        runs, runs_now = (", ".join(f"{t:.2f}" for t in ts) for ts in (times, after[name]))
        rows.append(f"| {name} | {then:.2f} | {runs} | {now:.2f} | {runs_now} | {(now - then) / then:+.0%} |")
    return "\n".join(rows) + "\n"


def _snapshot_rows(r: dict) -> str:
    """The allocation snapshot on SQLite (bench/allocation_snapshot.py)."""

    def row(what: str, f: dict) -> str:
        return f"| {what} | {f['median']:.3f} | {', '.join(f'{t:.3f}' for t in f['times'])} | {f['statements']} |"

    return "\n".join(
        [
            f"The allocation snapshot on SQLite: {r['people']:,} people waiting (Wuhan's streets, a dozen communities "
            f"each), read for a plan; {r['changed']} registered between plans (setup {r['setup']:.0f} s). "
            "Median of the same repeats; statements per read:",
            "",
            "| read | s (median) | all runs (s) | statements |",
            "| --- | ---: | --- | ---: |",
            row("before: the snapshot as built before (every person built whole; baseline)", r["before"]),
            row("now, read whole: brief rows (a process's first plan; every plan on PostgreSQL)", r["whole"]),
            row(f"now, brought up to date: the {r['changed']} changed read again", r["incremental"]),
            row("the dispatch page's whole plan now (snapshot, engine, view), brought up to date", r["plan"]),
            "",
        ]
    )


def rated(snapshot: Snapshot) -> Snapshot:
    """The same snapshot with every facility able to admit only a quarter of its free beds this hour."""
    beds: Counter[str] = Counter()
    for p in snapshot.pools:
        beds[p.facility_code] += p.free
    slots = {code: max(1, n // 4) for code, n in beds.items()}
    return Snapshot(snapshot.candidates, snapshot.pools, snapshot.policy, slots)


def baseline(src: str, args: argparse.Namespace, scenario: str) -> float:
    """One plan of the scenario by the engine in `src`, in a subprocess (its own interpreter and imports)."""
    env = {**os.environ, "PYTHONPATH": os.path.abspath(src)}
    command = [sys.executable, __file__, "--engine-only", scenario, "--people", str(args.people)]
    command += ["--facilities", str(args.facilities)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return float(json.loads(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--facilities", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-src", default=None)
    parser.add_argument("--engine-only", default=None, help="time one plan of this scenario only (a baseline)")
    parser.add_argument("--snapshot-people", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.engine_only:
        ratio = dict(SCENARIOS)[args.engine_only]
        print(json.dumps(timed_plan(city(args.people, args.facilities, ratio, seed=7), 1)[0]))
        return
    before: dict[str, list[float]] | None = {} if args.baseline_src else None
    after: dict[str, list[float]] = {}
    here = str(Path(__file__).resolve().parents[1] / "src")
    figures = {}
    for name, ratio in SCENARIOS:
        snapshot = city(args.people, args.facilities, ratio, seed=7)
        times = []
        for _ in range(args.repeat):  # the baseline and this engine in turns, so that both see the same load
            if before is not None:
                before.setdefault(name, []).append(baseline(args.baseline_src, args, name))
                after.setdefault(name, []).append(baseline(here, args, name))
            _, once, result = timed_plan(snapshot, 1)
            times.extend(once)
        median = statistics.median(times)
        placed = {a.person_id for a in result.assignments}
        greedy_placed, greedy_seconds = greedy(snapshot)
        classes = {c.person_id: c.priority_class for c in snapshot.candidates}
        lost = Counter(classes[p] for p in placed - greedy_placed)
        figures[name] = {
            "median": median,
            "times": times,
            "placed": len(placed),
            "beds": sum(p.free for p in snapshot.pools),
            "groups": result.stats["groups"],
            "pools": result.stats["pools"],
            "greedy_seconds": greedy_seconds,
            "greedy_placed": len(greedy_placed),
            "greedy_critical_lost": lost[PriorityClass.CRITICAL],
            "greedy_severe_lost": lost[PriorityClass.SEVERE],
        }
        print(name, figures[name], file=sys.stderr)
        if name == "ample":
            limited = rated(snapshot)
            rated_median, rated_times, rated_result = timed_plan(limited, args.repeat)
            taken = Counter(a.facility_code for a in rated_result.assignments)
            assert all(taken[f] <= n for f, n in limited.admission_slots.items())
            figures["rated"] = {
                "median": rated_median,
                "times": rated_times,
                "placed": len(rated_result.assignments),
                "slots": sum(limited.admission_slots.values()),
            }
            print("rated", figures["rated"], file=sys.stderr)
    small = city(10_000, 500, 0.5, seed=11)
    start = time.perf_counter()
    engine_small = plan(small)
    engine_small_seconds = time.perf_counter() - start
    start = time.perf_counter()
    reference = per_person_objective(small)
    reference_seconds = time.perf_counter() - start
    equal = reference == engine_small.objective
    print("per-person", reference_seconds, engine_small_seconds, equal, file=sys.stderr)
    from allocation_snapshot import measure

    reading = measure(args.snapshot_people, args.changed, args.repeat)
    print("snapshot", reading, file=sys.stderr)

    ample, short, limited_figures = figures["ample"], figures["shortage"], figures["rated"]
    section = f"""## Admission engine (issues 3 and 13)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, **shared** with other work while it ran
(figures are noisy; the baseline was run in the same run, beside them).
`python bench/allocation.py --people {args.people} --facilities {args.facilities} --repeat {args.repeat}`: a
generated city on Wuhan's 193 streets, {args.people:,} people waiting in all eight priority classes (2% critical,
6% severe, 10% confirmed with risk, 20% other confirmed, 10% suspected, 10% febrile, 40% contacts, 2% recovered),
{args.facilities:,} facilities of all six kinds. Times are the whole `plan()`: grouping, building the graph, the
solves, and handing out first come first served; median of {args.repeat}.

| scenario | beds free | engine (s, median) | all runs (s) | placed | groups × pools | target |
| --- | ---: | ---: | --- | ---: | --- | --- |
| ample capacity (1.5 beds per person) | {ample["beds"]:,} | {ample["median"]:.2f} | {", ".join(f"{t:.2f}" for t in ample["times"])} | {ample["placed"]:,} | {ample["groups"]} × {ample["pools"]} | < 1 s: **{"met" if ample["median"] < 1 else "MISSED"}** |
| shortage (half the beds needed) | {short["beds"]:,} | {short["median"]:.2f} | {", ".join(f"{t:.2f}" for t in short["times"])} | {short["placed"]:,} | {short["groups"]} × {short["pools"]} | < 3 s: **{"met" if short["median"] < 3 else "MISSED"}** |
| ample, every facility's admission rate binding (a quarter of its free beds this hour: {limited_figures["slots"]:,} admissions) | {ample["beds"]:,} | {limited_figures["median"]:.2f} | {", ".join(f"{t:.2f}" for t in limited_figures["times"])} | {limited_figures["placed"]:,} | {ample["groups"]} × {ample["pools"]} | < 1 s: **{"met" if limited_figures["median"] < 1 else "MISSED"}** |
{_baseline_rows(before, after)}
{_snapshot_rows(reading)}

Baseline (a), greedy nearest-free-bed in order of waiting, same snapshots:

| scenario | greedy (s) | greedy placed | engine placed | critical left unplaced by greedy, placed by engine | severe likewise |
| --- | ---: | ---: | ---: | ---: | ---: |
| ample | {ample["greedy_seconds"]:.2f} | {ample["greedy_placed"]:,} | {ample["placed"]:,} | {ample["greedy_critical_lost"]} | {ample["greedy_severe_lost"]} |
| shortage | {short["greedy_seconds"]:.2f} | {short["greedy_placed"]:,} | {short["placed"]:,} | {short["greedy_critical_lost"]} | {short["greedy_severe_lost"]} |

Baseline (b), the per-person min cost flow on a 10,000-person, 500-facility shortage instance: **{reference_seconds:.1f} s**
against the engine's {engine_small_seconds:.2f} s on the same snapshot ({reference_seconds / engine_small_seconds:.0f}×);
objectives equal: **{equal}** (placed per class {list(engine_small.objective.placed)}, preference
{engine_small.objective.preference}, travel {engine_small.objective.travel / 10:,.1f} km).
"""
    print(section)
    if not args.no_write:
        write_section("allocation", section)


if __name__ == "__main__":
    main()
