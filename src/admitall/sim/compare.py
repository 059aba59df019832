"""What-if: two runs of a scenario that differ by one change, side by side."""

from __future__ import annotations

from typing import Any

from admitall.sim.results import Results

COMPARED = ("deaths_waiting", "deaths_in_bed", "deaths", "admitted", "peak_past_sla", "hours_to_clear_backlog")


def _queued(day: dict[str, Any]) -> int | None:
    """All waiting that day; none if the run did not count them (a recorded run may lack any figure)."""
    queue = day.get("queue")
    return sum(queue.values()) if isinstance(queue, dict) else None


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
            "deaths_waiting": [x.get("deaths_waiting"), y.get("deaths_waiting")],
            "past_sla": [x.get("past_sla"), y.get("past_sla")],
            "queue": [_queued(x), _queued(y)],
        }
        for x, y in zip(base.daily, variant.daily, strict=False)
    ]
    return {
        "scenario": base.scenario["name"],
        "change": variant.scenario["settings"],
        "figures": rows,
        "daily": days,
    }
