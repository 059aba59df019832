"""What the supplies tests share: the small city with its facilities, the actors (HQ, two districts, a street, a
community, an admissions desk) and the few steps they take (a movement, the stock held, beds occupied)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import update

from admitall.domain.access import Role
from admitall.services import supplies as sup
from admitall.services.context import Actor, Context
from admitall.store.tables import bed_pools
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    JIANGAN,
    WUCHANG,
    WUCHANG_STREET,
    load_small_city,
    load_small_facilities,
    officer,
)

HQ = Actor("hq", Role.COMMANDER, CITY)
WUCHANG_OFFICER = officer(WUCHANG, username="wuchang")
JIANGAN_OFFICER = officer(JIANGAN, username="jiangan")
DAZHI_OFFICER = officer(DAZHI, username="dazhi")
COMMUNITY = officer(DAZHI_1, username="community")
H1_DESK = Actor("h1desk", Role.FACILITY_OFFICER, WUCHANG_STREET, facility_code="H1")


def small_city(ctx: Context) -> Context:
    """The small city's tree and facilities (each test module's `city` fixture)."""
    load_small_city(ctx)
    load_small_facilities(ctx)
    return ctx


def move(ctx: Context, actor: Actor, site_kind: str, code: str, **form: Any) -> dict[str, Any]:
    return sup.record_movement(ctx, actor, site_kind, code, {k: str(v) for k, v in form.items()})


def held(ctx: Context, actor: Actor, kind: str, code: str) -> dict[str, Any]:
    return {i["item_code"]: i["on_hand"] for i in sup.site_stock(ctx, actor, kind, code)["items"]}


def occupy(ctx: Context, facility: str, bed: str, n: int) -> None:
    with ctx.uow(write=True) as uow:
        uow.conn.execute(
            update(bed_pools)
            .where(bed_pools.c.facility_code == facility, bed_pools.c.bed_type == bed)
            .values(occupied=n)
        )
        uow.commit()


def at_once(n: int, step: Callable[[], str]) -> list[str]:
    """Run `step` in n threads released together; what each returned, sorted."""
    start, outcomes = threading.Barrier(n), []

    def run() -> None:
        start.wait()
        outcomes.append(step())

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)
