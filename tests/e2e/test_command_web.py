"""The command screen in a real browser over a real server: a commander signs in, sees the city, drills into the
district with a broken reporting link, acknowledges the alert and sees the screen change; a district officer
sees only the district; every figure on the screen is the API's figure; screenshots for review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from admitall.domain.access import Role
from admitall.services import reporting, watch
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting import ReportInput
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import CITY, JIANGAN, PASSWORD, WUCHANG, WUCHANG_1, WUCHANG_STREET, id_number, person_row

REPORTING = ["420102000000", "420102002000", "420102002001", "420102002002", "420102003000", "420102003001"]
REPORTING += [WUCHANG, WUCHANG_STREET]  # every unit but Wuchang's community (长春社区)


@pytest.fixture(scope="module")
def broken_link(world):
    """Every unit reports the 10:00 hour except 长春社区; at 11:15 the watch has raised the alert to its street."""
    start = world.clock.now()
    world.clock.set(start + timedelta(minutes=40))
    officer = Actor("officer", Role.UNIT_OFFICER, CITY)
    for unit in REPORTING:
        reporting.submit(
            world.ctx,
            officer,
            ReportInput(unit_code=unit, period_start=start, reported={}, attested_by="值班员", attest=True),
        )
    world.clock.set(start + timedelta(hours=1, minutes=15))
    watch.watch(world.ctx)
    return world


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"command-{name}.png"), full_page=True)


def figure_at(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def assert_screen_matches_api(page, api: dict[str, Any]) -> int:
    figures = page.eval_on_selector_all(
        "[data-figure]", "els => els.map(e => [e.getAttribute('data-figure'), e.textContent.trim()])"
    )
    checked = 0
    for path, shown in figures:
        value = figure_at(api, path)
        if isinstance(value, int | float):
            assert shown == str(value), (path, shown, value)
            checked += 1
    return checked


def test_a_commander_drills_into_the_broken_link_and_acknowledges_it(page, broken_link):
    world = broken_link
    sign_in(page, "commander")
    assert page.url.endswith(f"/command/{CITY}")
    assert page.locator("h1").inner_text().startswith("武汉市")
    with world.client("commander") as api:
        city = api.get(f"/api/command/{CITY}").json()
    assert assert_screen_matches_api(page, city) > 30
    assert page.locator("[data-figure='alerts.open']").inner_text() == "1"
    shot(page, "city")
    # the map: a region per district, each a link into that district's screen, reachable by keyboard
    region = page.locator("#command-map a[href='/command/420106000000']")
    assert region.count() == 1
    region.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/command/{WUCHANG}")
    assert page.locator("h1").inner_text().startswith("武昌区")
    with world.client("commander") as api:
        district = api.get(f"/api/command/{WUCHANG}").json()
    assert assert_screen_matches_api(page, district) > 20
    assert page.locator("#late-or-missing").inner_text().count("长春社区") == 1
    assert page.locator("[data-figure='alerts.broken_links']").inner_text() == "1"
    shot(page, "district")
    alert = page.locator("#alert-list li[data-alert]")
    assert alert.count() == 1 and "长春社区" in alert.inner_text()
    page.fill("#alert-list input[name=note]", "已电话联系社区书记")
    page.click("#alert-list button.act-ack")
    page.wait_for_url(f"**/command/{WUCHANG}")
    assert page.locator("[data-figure='alerts.open']").inner_text() == "0"
    with world.client("commander") as api:
        after = api.get(f"/api/command/{WUCHANG}").json()
        assert after["alerts"]["open"] == 0
        audit = api.get("/api/alerts", params={"all": "true"})
    if audit.status_code == 200:
        acknowledged = [a for a in audit.json()["alerts"] if a["unit_code"] == WUCHANG_1]
        assert acknowledged and acknowledged[0]["note"] == "已电话联系社区书记"


def test_the_open_screen_follows_the_registry_without_reloading(page, broken_link):
    world = broken_link
    sign_in(page, "commander")
    page.goto(f"/command/{JIANGAN}?refresh=2")
    before = int(page.locator("[data-figure='categories.now.contact']").inner_text())
    page.evaluate("window.__same_page = true")
    row = person_row(name="赵六", id_number=id_number(seq=77), phone="13900000077", category="contact")
    register_batch(world.ctx, cli_actor(), [(2, row)], source="e2e")
    # expect() polls without evaluating a string in the page, which the pages' CSP (no unsafe-eval) refuses
    expect(page.locator("[data-figure='categories.now.contact']")).to_have_text(str(before + 1), timeout=15_000)
    assert page.evaluate("window.__same_page") is True  # updated in place, not reloaded
    assert "更新" in page.locator("#live-status").inner_text()


def test_a_district_officer_sees_the_district_and_nothing_else(page, broken_link):
    sign_in(page, "jiangan")
    assert page.url.endswith(f"/command/{JIANGAN}")
    hrefs = page.eval_on_selector_all("#command-map a", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith("/command/420102") for h in hrefs)
    assert "武昌" not in page.locator("main").inner_text()
    page.keyboard.press("Tab")  # the first stop skips the menus to the content
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    waiting = page.locator("#s-backlog a.tile").first  # the stock drills down to the people waiting
    assert waiting.get_attribute("href") == f"/people?placement=waiting&unit={JIANGAN}"
    for elsewhere in (CITY, WUCHANG, WUCHANG_1):
        response = page.goto(f"/command/{elsewhere}")
        assert response.status == 404
        assert "Traceback" not in page.content()
    with broken_link.client("jiangan") as api:
        assert api.get(f"/api/command/{WUCHANG}").status_code == 404
        assert api.get("/api/command").json()["unit"]["code"] == JIANGAN


def test_the_wall_display_and_the_phone(browser, broken_link):
    context = browser.new_context(base_url=broken_link.url, viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    sign_in(page, "commander")
    page.goto(f"/command/{CITY}?kiosk=1")
    assert page.locator("header.top nav").is_hidden()
    assert "kiosk" in page.locator("body").get_attribute("class")
    shot(page, "kiosk")
    context.close()
    phone = browser.new_context(base_url=broken_link.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    sign_in(page, "commander")
    page.goto(f"/lang/en?next=/command/{WUCHANG}")
    assert "Command screen" in page.locator("h1").inner_text()
    # nothing wider than the phone but the tables, which scroll inside their own box
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390 + 1
    shot(page, "phone")
    phone.close()


def test_the_screen_needs_a_sign_in_and_its_twin_is_the_api(broken_link):
    with broken_link.client() as anonymous:
        assert anonymous.get(f"/api/command/{CITY}").status_code == 401
        assert anonymous.get(f"/command/{CITY}.json", follow_redirects=False).status_code in (303, 401)
    with broken_link.client("commander") as api:
        assert api.get(f"/api/command/{CITY}").json()["categories"] == api.get("/api/command").json()["categories"]


def test_an_analyst_sees_the_figures_but_no_way_to_the_people_behind_them(page, broken_link):
    sign_in(page, "analyst")
    assert page.url.endswith(f"/command/{CITY}")
    assert page.locator("[data-figure='categories.total']").inner_text() != ""
    assert page.locator("main a[href^='/people']").count() == 0
    assert page.locator("#alert-list form").count() == 0  # nor acknowledge alerts
    assert page.goto("/people").status == 403


def test_acknowledging_from_the_screen_returns_only_to_a_page_of_this_site(broken_link):
    world = broken_link
    world.clock.advance(timedelta(hours=1))
    watch.watch(world.ctx)  # the next hour's reports are missing too: new alerts
    with httpx.Client(base_url=world.url, timeout=30) as c:
        token = c.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
        c.post("/login", data={"username": "commander", "password": PASSWORD, "login_csrf": token, "next": "/"})
        screen = c.get(f"/command/{WUCHANG}").text
        csrf = screen.split('name="csrf_token" value="')[1].split('"')[0]
        alert = screen.split('data-alert="')[1].split('"')[0]
        sent = c.post(
            f"/alerts/{alert}/acknowledge",
            data={"csrf_token": csrf, "next": "//evil.example/phish", "note": "已核实"},
            follow_redirects=False,
        )
        assert sent.status_code == 303 and sent.headers["location"] == "/"
        other = screen.split('data-alert="')[2].split('"')[0]
        forged = c.post(
            f"/alerts/{other}/acknowledge", data={"csrf_token": "forged", "next": "/"}, follow_redirects=False
        )
        assert forged.status_code == 303 and forged.headers["location"].startswith("/login")
    with world.client("commander") as api:
        still_open = {a["id"] for a in api.get(f"/api/command/{WUCHANG}").json()["alerts"]["items"]}
    assert int(other) in still_open and int(alert) not in still_open
