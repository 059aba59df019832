"""The Wuhan scenario's city is Wuhan's: its 3,495 real communities and villages with their codes and names,
under their real streets, the residents shared among them (SQLite and PostgreSQL); a generated city still works."""

from __future__ import annotations

import csv
from dataclasses import replace
from importlib import resources

from admitall.clock import ManualClock
from admitall.sim.city import build_city, local_midnight
from admitall.sim.scenario import load_scenario


def packaged_communities() -> list[dict[str, str]]:
    with resources.files("admitall").joinpath("data/wuhan-2020/communities.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_wuhan_city_has_every_real_community_under_its_street_with_the_residents_shared(ctx) -> None:
    scenario = load_scenario("wuhan-2020")
    ctx = replace(ctx, clock=ManualClock(local_midnight(ctx, scenario)))
    city = build_city(ctx, scenario)
    real = packaged_communities()
    assert len(real) == 3495 and sorted(city.communities) == sorted(r["code"] for r in real)
    with ctx.uow() as uow:
        stored = {u.code: u for u in uow.units.in_subtree("420100000000")}
    for r in real:
        unit = stored[r["code"]]
        assert unit.name == r["name"] and unit.level.value == "community"
        assert unit.parent_code == r["parent_code"] and stored[r["parent_code"]].level.value == "street"
    # a street's residents are shared equally among its communities (none is left without residents)
    by_street: dict[str, list[int]] = {}
    for code, population in zip(city.communities, city.populations, strict=True):
        by_street.setdefault(stored[code].parent_code or "", []).append(population)
    assert len(by_street) == 193 and all(len(set(p)) == 1 and p[0] > 0 for p in by_street.values())
    assert stored["420102002003"].name == "保成社区"


def test_a_generated_city_still_has_its_made_up_communities(ctx) -> None:
    scenario = load_scenario("small")
    ctx = replace(ctx, clock=ManualClock(local_midnight(ctx, scenario)))
    city = build_city(ctx, scenario)
    assert 12 <= len(city.communities) <= 18 and all(c[-3:] <= "003" for c in city.communities)
    with ctx.uow() as uow:
        names = {u.name for u in uow.units.in_subtree("420100000000") if u.level.value == "community"}
    assert names <= {"第1社区", "第2社区", "第3社区"}
