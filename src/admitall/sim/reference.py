"""The published Wuhan figures the scenarios use and the results are compared with (data/wuhan-2020)."""

from __future__ import annotations

import csv
from datetime import date
from functools import cache
from importlib import resources


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files("admitall").joinpath(f"data/wuhan-2020/{name}").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def daily_cases() -> tuple[tuple[date, int, int], ...]:
    """(day, new confirmed, cumulative confirmed), 2020-01-20 .. 2020-03-10."""
    return tuple(
        (date.fromisoformat(r["date"]), int(r["new_confirmed"]), int(r["cum_confirmed"]))
        for r in _rows("daily_cases.csv")
    )


@cache
def capacity_events() -> tuple[dict[str, str], ...]:
    """The dated capacity facts with their sources, as published."""
    return tuple(_rows("capacity_events.csv"))


@cache
def communities_by_street() -> dict[str, tuple[tuple[str, str], ...]]:
    """Wuhan's 3,495 real communities and villages, (code, name) in code order, by the code of their street."""
    found: dict[str, list[tuple[str, str]]] = {}
    for r in sorted(_rows("communities.csv"), key=lambda r: r["code"]):
        found.setdefault(r["parent_code"], []).append((r["code"], r["name"]))
    return {street: tuple(members) for street, members in found.items()}
