"""A live server over a city with lists longer than a page: shared by the lists tests (tests/e2e/test_lists_*.py).

Besides the e2e world's users, `paged_world` registers PEOPLE people in 大智 (幸福社区, one in three waiting, each
identified an hour after the last) and WUCHANG_PEOPLE in 武昌区, so a page of 50 has pages after it and another
district's search has something to not find."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from admitall.clock import ManualClock
from admitall.domain.officials import Official
from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from admitall.store.db import init_database
from tests.conftest import make_ctx
from tests.e2e.conftest import USERS, World
from tests.factories import (
    DAZHI,
    DAZHI_1,
    DAZHI_2,
    PASSWORD,
    WUCHANG_1,
    id_number,
    load_small_city,
    load_small_facilities,
    make_user,
    person_row,
)
from tests.live_server import serving

PEOPLE = 123
WUCHANG_PEOPLE = 7
AUDIT_ENTRIES = 131  # of 幸福社区, over three days: 61, 50 and 20 (each day's entries an actor of its own)
AUDIT_DAYS = ((datetime(2020, 2, 3, 4, 0, tzinfo=UTC), 61), (datetime(2020, 2, 4, 4, 0, tzinfo=UTC), 50))
OFFICIALS = 121  # in 江岸区: 大智's streets and communities, half of them 书记 and half 主任
WUCHANG_OFFICIALS = 4
START = datetime(2020, 2, 1, 0, 0)


def _people_rows() -> list[dict[str, Any]]:
    rows = []
    for i in range(PEOPLE):
        waiting = i % 3 == 0
        rows.append(
            person_row(
                name=f"列表{i:03d}",
                id_number=id_number(seq=100 + i),
                phone=f"139{i:08d}",
                category="confirmed" if waiting else "contact",
                severity=("severe" if i % 2 else "mild") if waiting else None,
                identified_at=(START + timedelta(hours=i)).strftime("%Y-%m-%d %H:%M"),
            )
        )
    for i in range(WUCHANG_PEOPLE):
        rows.append(
            person_row(
                name=f"列表武昌{i}",
                id_number=id_number(seq=500 + i, region="420106"),
                phone=f"137{i:08d}",
                unit_code=WUCHANG_1,
                category="contact",
            )
        )
    return rows


@pytest.fixture(scope="module")
def paged_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("lists") / "admitall.db"
    clock = ManualClock(datetime(2020, 2, 10, 2, 0, tzinfo=UTC))
    ctx = make_ctx(f"sqlite:///{path}", clock)
    init_database(ctx.engine)
    load_small_city(ctx, leads=False)  # every led unit without a lead: the vacancies have pages too
    load_small_facilities(ctx)
    for username, (role, unit, *facility) in USERS.items():
        make_user(ctx, username, role, unit, *facility)
    rows = _people_rows()
    summary = register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="seed")
    ids = {str(r["name"]): summary.person_ids[i] for i, r in enumerate(rows, start=2)}
    _add_officials(ctx)
    _add_audit(ctx)
    with serving(ctx) as url:
        yield World(url, ctx, clock, ids)
    ctx.engine.dispose()


def _add_audit(ctx: Any) -> None:
    """AUDIT_ENTRIES entries of 幸福社区 by 'auditee-N' (N the day), every third a 'test_export'; five of 长春社区."""
    entries = []
    starts = [*AUDIT_DAYS, (datetime(2020, 2, 5, 4, 0, tzinfo=UTC), AUDIT_ENTRIES - 111)]
    for day, (start, n) in enumerate(starts):
        for i in range(n):
            action = "test_export" if i % 3 == 0 else "test_read"
            entries.append((start + timedelta(minutes=i), f"auditee-{day}", action, "person", i, DAZHI_1, {}))
    entries += [(START.replace(tzinfo=UTC), "auditee-w", "test_read", None, None, WUCHANG_1, {})] * 5
    with ctx.uow(write=True) as uow:
        uow.audit.record_many(entries)
        uow.commit()


def _add_officials(ctx: Any) -> None:
    homes = (DAZHI, DAZHI_1, DAZHI_2)
    items = [
        Official(None, f"干部{i:03d}", "书记" if i % 2 else "主任", homes[i % 3], f"1350000{i:04d}")
        for i in range(OFFICIALS)
    ]
    items += [Official(None, f"武昌干部{i}", "书记", WUCHANG_1, None) for i in range(WUCHANG_OFFICIALS)]
    with ctx.uow(write=True) as uow:
        uow.officials.add_many(items, ctx.clock.now())
        uow.commit()


@contextmanager
def web(world: World, username: str) -> Iterator[httpx.Client]:
    """A signed-in browser session (cookie), without a browser."""
    with httpx.Client(base_url=world.url, timeout=30) as client:
        token = client.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
        response = client.post(
            "/login", data={"username": username, "password": PASSWORD, "login_csrf": token, "next": "/"}
        )
        assert response.status_code == 303, response.text
        yield client


def every_page(client: httpx.Client, path: str, key: str, **params: Any) -> tuple[list[Any], int]:
    """All rows of a paged JSON list, page after page, and the total each page claimed (all the same)."""
    rows: list[Any] = []
    totals = set()
    page = 1
    while True:
        body = client.get(path, params={**params, "page": page}).raise_for_status().json()
        totals.add(body["total"])
        if not body[key]:
            break
        rows.extend(body[key])
        page += 1
    assert len(totals) == 1, totals
    return rows, totals.pop()
