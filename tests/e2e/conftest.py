"""A real HTTP server (uvicorn in a thread) over a real SQLite database with a small city and one user per role."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from admitall.clock import ManualClock
from admitall.services.context import Context, cli_actor
from admitall.services.registration import register_batch
from admitall.store.db import init_database
from tests.browser import ARGS as BROWSER_ARGS
from tests.conftest import make_ctx
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    JIANGAN,
    PASSWORD,
    WUCHANG_1,
    YIYUAN,
    id_number,
    load_small_city,
    load_small_facilities,
    make_user,
    person_row,
)
from tests.live_server import serving

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

USERS = {
    "admin": ("admin", CITY),
    "commander": ("commander", CITY),
    "jiangan": ("unit_officer", JIANGAN),
    "dazhi": ("unit_officer", DAZHI),
    "community": ("unit_officer", DAZHI_1),
    "yiyuan": ("unit_officer", YIYUAN),
    "dispatcher": ("dispatcher", CITY),
    "facility": ("facility_officer", CITY, "H1"),
    "analyst": ("analyst", CITY),
    "district_admin": ("admin", JIANGAN),
}


@dataclass
class World:
    url: str
    ctx: Context
    clock: ManualClock
    ids: dict[str, int]

    def token(self, username: str) -> str:
        response = httpx.post(f"{self.url}/api/auth/token", data={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def client(self, username: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(username)}"} if username else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def _seed(ctx: Context) -> dict[str, int]:
    load_small_city(ctx)
    load_small_facilities(ctx)
    for username, (role, unit, *facility) in USERS.items():
        make_user(ctx, username, role, unit, *facility)
    rows = {
        "zhang": person_row(name="张三", unit_code=DAZHI_1),
        "li": person_row(
            name="李四", id_number=id_number(seq=2), phone="13900000002", category="confirmed", severity="severe"
        ),
        "wang": person_row(
            name="王五", id_number=id_number(seq=4), phone="13900000004", unit_code=WUCHANG_1, category="contact"
        ),
    }
    summary = register_batch(ctx, cli_actor(), [(i, r) for i, r in enumerate(rows.values(), start=2)], source="seed")
    return {key: summary.person_ids[i] for i, key in enumerate(rows, start=2)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("e2e") / "admitall.db"
    clock = ManualClock(datetime(2020, 2, 10, 2, 0, tzinfo=UTC))
    ctx = make_ctx(f"sqlite:///{path}", clock)
    init_database(ctx.engine)
    ids = _seed(ctx)
    with serving(ctx) as url:
        yield World(url, ctx, clock, ids)
    ctx.engine.dispose()


# --- a real browser: Debian's chromium driven by Playwright ----------------------------------------------------


def _chromium() -> str | None:
    return os.environ.get("ADMITALL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = _chromium()
    if executable is None:
        reason = "no chromium browser found (install Debian's chromium package)"
        if os.environ.get("ADMITALL_REQUIRE_BROWSER") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=executable,
            args=BROWSER_ARGS,
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, world):
    context = browser.new_context(base_url=world.url, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def sign_in(page, username: str) -> None:
    page.goto("/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
