"""The command screen's tracing tile at city scale: the tree's top unit's figures are kept by the watch's round, a
smaller unit's found from the data; either way they are what a computation from nothing over the exposures
finds (contacts in observation, clusters as connected components with their growth in 7 days), within the unit's
subtree, and a kept tile says when it was found."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from admitall.domain.access import Role
from admitall.services.command import command_screen
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.tracing import KEPT_FOR, ExposureInput, register_exposures, screen_tile
from admitall.services.watch import watch
from tests.factories import CITY, DAZHI_1, JIANGAN, WUCHANG, WUCHANG_1, YIYUAN_1, id_number, load_small_city, person_row

UNITS = (DAZHI_1, YIYUAN_1, WUCHANG_1)


def _people(ctx: Any, n: int, seq: int) -> dict[int, str]:
    """n people in the three communities, a quarter confirmed and the rest contacts: id → community."""
    rows = [
        (i + 2, person_row(name=f"张{seq + i}", id_number=id_number(seq=seq + i), phone=f"139{seq + i:08d}",
                           category="confirmed" if i % 4 == 0 else "contact", unit_code=UNITS[i % 3],
                           source_ref=f"T{seq + i}"))
        for i in range(n)
    ]  # fmt: skip
    ids = register_batch(ctx, cli_actor(), rows, source="lab").person_ids
    return {ids[i + 2]: UNITS[i % 3] for i in range(n)}


def _exposures(ctx: Any, rng: random.Random, ids: list[int], n: int, on: date) -> None:
    items = []
    for _ in range(n):
        contact, case = rng.sample(ids, 2)
        items.append(ExposureInput(contact, case, on, rng.choice(["household", "work"])))
    register_exposures(ctx, cli_actor(), items, source="tile-test")


@pytest.fixture
def world(ctx, clock):
    """Three communities in two districts, exposures recorded over ten days (some older than 7 days)."""
    load_small_city(ctx)
    rng = random.Random(17)
    ids = list(_people(ctx, 90, 800))
    _exposures(ctx, rng, ids, 40, clock.now().date())
    clock.advance(timedelta(days=9))
    more = list(_people(ctx, 30, 900))
    _exposures(ctx, rng, ids + more, 25, clock.now().date())
    return ctx


def from_nothing(ctx: Any, root: str, now: datetime, size: int = 5) -> dict[str, Any]:
    """The tile computed from nothing: every exposure whose contact is within `root`, its components by a plain
    search, the first exposure of each contact, the contacts with an active observation."""
    with ctx.engine.connect() as conn:
        low, high = root, root.rstrip("0") + "9" * (12 - len(root.rstrip("0")))
        rows = conn.execute(
            text(
                "SELECT e.case_id, e.contact_id, e.recorded_at FROM exposures e JOIN persons p ON p.id = e.contact_id "
                "WHERE p.unit_code BETWEEN :low AND :high"
            ),
            {"low": low, "high": high},
        ).all()
        observed = conn.execute(
            text(
                "SELECT count(DISTINCT p.id) FROM persons p JOIN observations o ON o.person_id = p.id "
                "WHERE o.state = 'active' AND p.status = 'contact' AND p.unit_code BETWEEN :low AND :high"
            ),
            {"low": low, "high": high},
        ).scalar()
    near: dict[int, set[int]] = {}
    first: dict[int, datetime] = {}
    for case, contact, at in rows:
        near.setdefault(case, set()).add(contact)
        near.setdefault(contact, set()).add(case)
        at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        at = at.replace(tzinfo=now.tzinfo) if at.tzinfo is None else at
        first[contact] = min(first.get(contact, at), at)
    seen: set[int] = set()
    groups = []
    for start in sorted(near):
        if start in seen:
            continue
        group, stack = {start}, [start]
        while stack:
            for other in near[stack.pop()] - group:
                group.add(other)
                stack.append(other)
        seen |= group
        groups.append(group)
    groups.sort(key=lambda g: (-len(g), min(g)))
    fresh = {c for c, at in first.items() if at >= now - timedelta(days=7)}
    return {
        "in_observation": observed,
        "clusters": len(groups),
        "largest": [{"index_person": min(g), "size": len(g), "new_in_7_days": len(g & fresh)} for g in groups[:size]],
    }


def _tile(ctx: Any, root: str, now: datetime) -> dict[str, Any]:
    with ctx.uow() as uow:
        return screen_tile(uow, root, now)


def _figures(tile: dict[str, Any]) -> dict[str, Any]:
    return {k: tile[k] for k in ("in_observation", "clusters", "largest")}


def test_the_tile_is_what_a_computation_from_nothing_finds_kept_or_not(world, clock):
    now = clock.now()
    expected = from_nothing(world, CITY, now)
    assert expected["clusters"] > 1 and expected["largest"][0]["size"] > 2
    assert 0 < expected["largest"][0]["new_in_7_days"] < expected["largest"][0]["size"]
    live = _tile(world, CITY, now)
    assert _figures(live) == expected
    assert watch(world)["tracing_tiles_kept"] == 1
    kept = _tile(world, CITY, now)
    assert _figures(kept) == expected and kept["as_of"] == now.isoformat()
    for district in (JIANGAN, WUCHANG):  # found from the data, within the district
        assert _figures(_tile(world, district, now)) == from_nothing(world, district, now)


def test_a_kept_tile_is_the_rounds_until_the_next_round_then_the_datas_when_too_old(world, clock):
    watch(world)
    found_at = clock.now()
    then = from_nothing(world, CITY, found_at)
    clock.advance(timedelta(minutes=10))
    rng = random.Random(5)
    more = list(_people(world, 12, 950))
    _exposures(world, rng, more, 10, clock.now().date())
    kept = _tile(world, CITY, clock.now())
    assert _figures(kept) == then != from_nothing(world, CITY, clock.now())  # as the round found them
    assert kept["as_of"] == found_at.isoformat()
    watch(world)
    assert _figures(_tile(world, CITY, clock.now())) == from_nothing(world, CITY, clock.now())
    _exposures(world, rng, more, 10, clock.now().date())
    clock.advance(KEPT_FOR + timedelta(minutes=1))  # no round since: the tile finds its figures itself
    assert _figures(_tile(world, CITY, clock.now())) == from_nothing(world, CITY, clock.now())


def test_a_districts_screen_shows_its_own_clusters_not_the_citys_kept_ones(world, clock):
    watch(world)
    now = clock.now()
    district = command_screen(world, Actor("cmd", Role.COMMANDER, WUCHANG))["tracing"]
    assert _figures(district) == from_nothing(world, WUCHANG, now) != from_nothing(world, CITY, now)
    city = command_screen(world, Actor("hq", Role.COMMANDER, None))["tracing"]
    assert _figures(city) == from_nothing(world, CITY, now)
