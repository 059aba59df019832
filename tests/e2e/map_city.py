"""A served city for the map's and the wall display's browser tests: Wuhan's city, 13 districts and 193 streets with
the packaged district boundaries, a few communities, people waiting in most districts (so the map has classes to
show), the small facilities, a commander, a district officer and an administrator, and an hour without reports
(so the screens have open alerts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from admitall.clock import ManualClock
from admitall.services import watch
from admitall.services.boundaries import import_wuhan_districts
from admitall.services.context import Context, cli_actor
from admitall.services.divisions import read_divisions
from admitall.services.registration import register_batch
from admitall.services.units import UNIT_HEADERS, import_units
from admitall.store.db import init_database
from tests.conftest import make_ctx
from tests.factories import CITY, JIANGAN, SMALL_CITY, id_number, load_small_facilities, make_user, person_row
from tests.live_server import serving

DISTRICTS = [d for d in read_divisions() if d["level"] == "district"]
# people waiting per district, in the order of divisions.csv: a spread of values for the legend's classes
WAITING = [9, 4, 0, 2, 12, 1, 0, 3, 6, 1, 2, 5, 0]


@dataclass
class MapCity:
    url: str
    ctx: Context


def _load(ctx: Context) -> None:
    rows = [{k: d.get(src) for src, k in UNIT_HEADERS.items() if src in d} for d in read_divisions()]
    rows += [{"code": c, "name": n} for c, n in SMALL_CITY if c[-3:] != "000"]  # a few communities
    assert import_units(ctx, cli_actor(), enumerate(rows, start=2)).rejected == 0
    assert import_wuhan_districts(ctx, cli_actor()).matched == 13
    load_small_facilities(ctx)
    people = []
    seq = 1
    for district, n in zip(DISTRICTS, WAITING, strict=True):
        for _ in range(n):
            seq += 1
            people.append(
                person_row(
                    name="张三",
                    id_number=id_number(seq=seq),
                    phone=f"139{seq:08d}",
                    unit_code=district["code"],
                    category="contact",
                )
            )
    summary = register_batch(ctx, cli_actor(), list(enumerate(people, start=2)), source="map test")
    assert summary.rejected == 0, summary.rejections[:3]
    for username, role, unit in (("commander", "commander", CITY), ("jiangan", "unit_officer", JIANGAN)):
        make_user(ctx, username, role, unit)
    make_user(ctx, "admin", "admin", CITY)
    # an hour on, nobody has reported: the watch raises the broken links, so the screen has alerts to show
    clock = ctx.clock
    assert isinstance(clock, ManualClock)
    clock.set(clock.now() + timedelta(hours=1, minutes=15))
    watch.watch(ctx)


@pytest.fixture(scope="module")
def map_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MapCity]:
    path: Path = tmp_path_factory.mktemp("map") / "admitall.db"
    ctx = make_ctx(f"sqlite:///{path}", ManualClock(datetime(2020, 2, 10, 2, 0, tzinfo=UTC)))
    init_database(ctx.engine)
    _load(ctx)
    with serving(ctx) as url:
        yield MapCity(url, ctx)
    ctx.engine.dispose()
