"""The survey app offline, in Chromium (issue 17 §3): visits recorded with the network off are kept on the phone
(a reload offline still shows the queue) and arrive once when it comes back; a person changed meanwhile comes back
as a conflict shown to the team. Screenshots at 390 and 1440 px in test-artifacts/survey-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from admitall.clock import ManualClock
from admitall.services import survey
from admitall.services.people import reclassify_person
from admitall.store.db import init_database
from admitall.store.tables_survey import survey_visit_people, survey_visits
from tests.conftest import START, make_ctx
from tests.e2e.conftest import ARTIFACTS
from tests.factories import DAZHI, DAZHI_1, JIANGAN, PASSWORD, load_small_city, make_user, officer
from tests.live_server import serving

pytestmark = pytest.mark.browser
TEAM = officer(DAZHI_1, username="team")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    path: Path = tmp_path_factory.mktemp("survey") / "survey.db"
    ctx = make_ctx(f"sqlite:///{path}", ManualClock(START))
    init_database(ctx.engine)
    load_small_city(ctx, leads=False)
    make_user(ctx, "team", "unit_officer", DAZHI_1)
    make_user(ctx, "mate", "unit_officer", DAZHI_1)  # another of the team, on the same phone
    survey.add_households(ctx, TEAM, DAZHI_1, [(2, {"address": "幸福路1号"}), (3, {"address": "幸福路2号"})])
    with serving(ctx) as url:
        yield ctx, url
    ctx.engine.dispose()


def _count(ctx: Any, table: Any) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _queued(page: Any, n: int) -> None:
    page.wait_for_selector(f"#queue-count[data-count='{n}']", state="attached", timeout=15000)


def test_visits_recorded_offline_arrive_once_and_a_conflict_is_shown(browser, world):
    ctx, url = world
    context = browser.new_context(base_url=url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/login?next=/survey/app")
    page.fill("#username", "team")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/survey/app")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    scope = page.evaluate("navigator.serviceWorker.getRegistration('/survey/').then((r) => r.scope)")
    assert scope == f"{url}/survey/"
    manifest = page.evaluate("fetch('/static/survey.webmanifest').then((r) => r.json())")
    assert manifest["start_url"] == "/survey/app" and {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    page.reload()  # now under the worker's control
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    page.click("#load")
    page.wait_for_selector("#household option:nth-child(3)", state="attached")

    context.set_offline(True)
    page.select_option("#household", label="幸福路1号")
    page.click("#add-person")
    page.fill(".person .p-name", "王五")
    page.fill(".person .p-temp", "38.5")
    page.click("#record")
    _queued(page, 1)
    page.select_option("#household", label="幸福路2号")
    page.check("input[name=outcome][value=absent]")
    page.click("#record")
    _queued(page, 2)
    page.reload()  # offline: the worker's shell, the queue from IndexedDB
    _queued(page, 2)
    page.wait_for_selector("#net-state.alert")  # said offline, whatever the phone claims
    assert page.locator("#queue li").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "survey-offline-390.png"), full_page=True)
    assert _count(ctx, survey_visits) == 0

    context.set_offline(False)
    _queued(page, 0)
    page.wait_for_selector("#net-state.notice")
    assert _count(ctx, survey_visits) == 2 and _count(ctx, survey_visit_people) == 1
    page.click("#send")  # nothing left to send: nothing stored twice
    page.wait_for_timeout(300)
    assert _count(ctx, survey_visits) == 2

    # the app loads the household with its person; meanwhile the person is found suspected elsewhere
    page.click("#load")
    page.wait_for_selector("#household option:has-text('✓')", state="attached")
    known = survey.households(ctx, TEAM, DAZHI_1)["households"][0]["people"][0]
    reclassify_person(ctx, officer(DAZHI), known["person_id"], "suspected", expected_version=known["version"])
    page.select_option("#household", label="幸福路1号 ✓")
    assert page.locator(".person .p-name").input_value() == "王五"
    page.click("#record")
    page.wait_for_selector("#conflicts li[data-state=conflict]")
    assert "疑似" in page.locator("#conflicts li").inner_text()
    assert _count(ctx, survey_visits) == 2
    page.screenshot(path=str(ARTIFACTS / "survey-conflict-390.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "survey-conflict-1440.png"), full_page=True)
    # sent again over what is recorded now: stored
    page.click("#conflicts .resend")
    page.wait_for_selector("#flash:has-text('已发送')")
    page.wait_for_selector("#conflicts-section", state="hidden")
    assert _count(ctx, survey_visits) == 3
    context.close()


def test_a_session_that_expired_offline_keeps_the_queue_and_asks_to_sign_in(browser, world):
    ctx, url = world
    context = browser.new_context(base_url=url, viewport={"width": 390, "height": 844})
    page = context.new_page()

    def sign_in(username: str = "team") -> None:
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")

    page.goto("/login?next=/survey/app")
    sign_in()
    page.click("#load")
    page.wait_for_selector("#household option:nth-child(3)", state="attached")
    before = _count(ctx, survey_visits)
    context.set_offline(True)
    page.select_option("#household", index=2)
    page.check("input[name=outcome][value=absent]")
    page.click("#record")
    _queued(page, 1)
    context.clear_cookies()  # the session ends while the phone is offline
    context.set_offline(False)
    page.wait_for_selector("#signin", state="visible", timeout=15000)
    _queued(page, 1)  # kept, not sent, not lost
    assert _count(ctx, survey_visits) == before
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "survey-signin-390.png"), full_page=True)
    # another of the team signs in on this phone: the visit recorded by the first is not sent as theirs
    page.click("#signin-link")
    sign_in("mate")
    assert page.url.endswith("/survey/app")
    page.wait_for_selector("#net-state.notice")
    page.click("#send")
    page.wait_for_timeout(500)
    assert _count(ctx, survey_visits) == before
    with page.expect_navigation():
        page.click("header button[type=submit]")  # sign out
    page.goto("/login?next=/survey/app")
    sign_in()
    assert page.url.endswith("/survey/app")
    _queued(page, 0)
    assert _count(ctx, survey_visits) == before + 1
    context.close()


def test_a_district_sets_a_campaign_on_its_page_and_reads_the_progress(browser, world):
    ctx, url = world
    make_user(ctx, "district", "unit_officer", JIANGAN)
    for width in (1440, 390):
        context = browser.new_context(base_url=url, viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto("/login?next=/survey/campaigns")
        page.fill("#username", "district")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        if width == 1440:
            page.fill("#c-name", "拉网式排查")
            page.fill("#c-starts", "2020-02-10")
            page.fill("#c-ends", "2020-02-12")
            with page.expect_navigation():
                page.click("#campaign-form button[type=submit]")
        else:
            page.click("#campaigns a")
        assert "/survey/campaigns/" in page.url
        assert page.locator("[data-figure='total.planned']").inner_text() == "2"
        page.click(f"#progress a[href*='unit={JIANGAN}']")
        page.click(f"#progress a[href*='unit={DAZHI}']")
        assert page.locator(f"tr[data-unit='{DAZHI_1}'] [data-figure='planned']").inner_text() == "2"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # never sideways
        page.screenshot(path=str(ARTIFACTS / f"survey-campaign-{width}.png"), full_page=True)
        context.close()
