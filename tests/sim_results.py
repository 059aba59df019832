"""Simulation results for the tests: one real run of the small scenario (run once per process, ≈7 s), and
what-if variants of it made by hand, whose daily rows and summary are recomputed from their hours the way a
run computes them."""

from __future__ import annotations

import copy
from collections import Counter
from functools import cache
from typing import Any

from admitall.sim.results import Results, summarise
from admitall.sim.run import run_scenario
from admitall.sim.scenario import load_scenario


@cache
def _small_run() -> dict[str, Any]:
    return run_scenario(load_scenario("small"), days=2).results.as_dict()


def results_of(data: dict[str, Any]) -> Results:
    data = copy.deepcopy(data)
    return Results(data["scenario"], data["summary"], data["daily"], data["hourly"], data["refused"])


def small_run() -> Results:
    """The small scenario, two days, its own seed: a real run through the services (a fresh copy each call)."""
    return results_of(_small_run())


def variant(
    base: Results,
    change: str,
    *,
    deaths_waiting: dict[int, int] | None = None,
    past_sla: dict[int, int] | None = None,
) -> Results:
    """`base` with `change` added to its settings, deaths while waiting added at some hours, and (if given)
    people past their SLA at these hours and none at the others (hour index → count); each day's row and the
    summary follow from the hours."""
    data = copy.deepcopy(base.as_dict())
    data["scenario"]["settings"] = [*data["scenario"]["settings"], change]
    hourly, daily = data["hourly"], data["daily"]
    for i, n in (deaths_waiting or {}).items():
        hourly[i]["deaths_waiting"] += n
    if past_sla is not None:
        for i, hour in enumerate(hourly):
            hour["past_sla"] = past_sla.get(i, 0)
    for d, day in enumerate(daily):
        hours = hourly[24 * d : 24 * d + 24]
        day["deaths_waiting"] = sum(h["deaths_waiting"] for h in hours)
        day["past_sla"] = hours[-1]["past_sla"]
    data["summary"] = summarise(hourly, daily, Counter(data["summary"]["found"]))
    return results_of(data)
