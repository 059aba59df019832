"""What-if: two runs of a scenario that differ by one change, side by side."""

from __future__ import annotations

from typing import Any

from admitall.sim.results import Results

COMPARED = ("deaths_waiting", "deaths_in_bed", "deaths", "admitted", "peak_past_sla", "hours_to_clear_backlog")


def compare(base: Results, variant: Results) -> dict[str, Any]:
    """Each headline figure of both runs and the difference (variant − base); the daily deaths while waiting
    and people past their SLA of both, for the charts."""
    rows = {}
    for key in COMPARED:
        a, b = base.summary.get(key), variant.summary.get(key)
        rows[key] = {"base": a, "variant": b, "difference": b - a if a is not None and b is not None else None}
    days = [
        {
            "day": x["day"],
            "deaths_waiting": [x["deaths_waiting"], y["deaths_waiting"]],
            "past_sla": [x["past_sla"], y["past_sla"]],
            "queue": [sum(x["queue"].values()), sum(y["queue"].values())],
        }
        for x, y in zip(base.daily, variant.daily, strict=False)
    ]
    return {
        "scenario": base.scenario["name"],
        "change": variant.scenario["settings"],
        "figures": rows,
        "daily": days,
    }
