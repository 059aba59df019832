"""Help requests over HTTP and in Chromium (issue 16 §1): the public API and pages need no sign-in and tell nothing
but the trail; the staff's list and actions keep to the jurisdiction and the role; a resident asks from a 390 px
phone and follows the request while the community acts on it at 1440 px. Screenshots: test-artifacts/help-*.png."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, World, sign_in
from tests.factories import DAZHI_1, WUCHANG_1

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


def ask(world: World, **fields) -> httpx.Response:
    body = {"name": "赵六", "phone": "13900000066", "unit_code": DAZHI_1, "address": "3栋101", **fields}
    return httpx.post(f"{world.url}/api/help-requests", json=body)


def test_asking_and_following_need_no_sign_in_and_show_only_the_trail(world):
    answer = ask(world, breathless=True, symptoms="高热气促")
    assert answer.status_code == 201, answer.text
    found = answer.json()
    shown = httpx.post(f"{world.url}/api/help-requests/status", json={"number": found["number"], "code": found["code"]})
    assert shown.status_code == 200
    assert "赵六" not in shown.text and "13900000066" not in shown.text and "高热" not in shown.text
    assert [s["kind"] for s in shown.json()["trail"]] == ["received", "assigned"]
    wrong = httpx.post(f"{world.url}/api/help-requests/status", json={"number": found["number"], "code": "ZZZZZZZZ"})
    nobody = httpx.post(f"{world.url}/api/help-requests/status", json={"number": "1000000000", "code": found["code"]})
    assert wrong.status_code == nobody.status_code == 404 and wrong.json() == nobody.json()


def test_a_bad_request_names_every_field_in_the_readers_language(world):
    answer = httpx.post(
        f"{world.url}/api/help-requests",
        json={"name": "", "phone": "1", "unit_code": "420102002000", "address": ""},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 422
    fields = answer.json()["error"]["fields"]
    assert set(fields) == {"name", "phone", "address"} or set(fields) >= {"name", "phone", "address"}
    assert all(not re.search("[\u4e00-\u9fff]", text) for text in fields.values())


def test_the_community_search_names_the_whole_path_and_is_capped(world):
    found = httpx.get(f"{world.url}/api/help/communities", params={"q": "幸福"}).json()
    assert found["communities"] == [{"code": DAZHI_1, "name": "幸福社区", "label": "江岸区 / 大智街道 / 幸福社区"}]
    by_street = httpx.get(f"{world.url}/api/help/communities", params={"q": "大智"}).json()["communities"]
    assert {c["code"] for c in by_street} == {DAZHI_1, "420102002002"}
    assert httpx.get(f"{world.url}/api/help/communities", params={"q": ""}).json()["communities"] == []


def test_staff_see_their_subtree_and_act_only_where_they_may(world):
    ask(world, name="钱七", phone="13900000077", unit_code=WUCHANG_1)
    with world.client("community") as c:
        mine = c.get("/api/help-requests").json()
        assert mine["requests"] and all(r["unit_code"] == DAZHI_1 for r in mine["requests"])
        rid = mine["requests"][0]["id"]
        assert mine["requests"][0]["may_act"] is True
    with world.client("yiyuan") as c:  # another street
        assert c.get(f"/api/help-requests/{rid}").status_code == 404
        assert c.post(f"/api/help-requests/{rid}/actions", json={"action": "called"}).status_code == 404
    with world.client("commander") as c:
        listed = c.get("/api/help-requests").json()
        assert listed["masked"] is True and all(not r["may_act"] for r in listed["requests"])
        assert c.post(f"/api/help-requests/{rid}/actions", json={"action": "called"}).status_code == 403
    with world.client("analyst") as c:
        assert c.get("/api/help-requests").status_code == 403
    assert httpx.get(f"{world.url}/api/help-requests").status_code == 401
    with world.client("community") as c:
        done = c.post(f"/api/help-requests/{rid}/actions", json={"action": "visited"})
        assert done.status_code == 200 and done.json()["trail"][-1]["kind"] == "visited"


def test_the_pages_have_their_json_twins(world):
    form = httpx.get(f"{world.url}/help.json").json()
    assert "unit_code" in form["required"] and form["submit_to"] == "/api/help-requests"
    assert httpx.get(f"{world.url}/help/status.json").json()["fields"] == ["number", "code"]
    with world.client("community") as c:
        assert c.get("/help-requests.json").status_code == 401  # pages sign in with the session, not a token


def _phone_context(browser, world):
    return browser.new_context(base_url=world.url, viewport=PHONE, is_mobile=True)


@pytest.mark.browser
def test_a_resident_asks_from_a_phone_and_follows_while_the_community_acts(browser, world):
    ARTIFACTS.mkdir(exist_ok=True)
    resident = _phone_context(browser, world)
    page = resident.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))  # help.js must not fail (nor break the CSP)
    page.goto("/help")
    page.click("#help-send")  # nothing filled: every required field is named
    page.wait_for_load_state("load")
    assert page.locator(".field-error").count() >= 4
    page.fill("#f-cq", "幸福")
    page.wait_for_selector(f"#f-unit_code option[value='{DAZHI_1}']", state="attached")  # filled by help.js
    page.select_option("#f-unit_code", DAZHI_1)
    page.fill("#f-name", "孙八")
    page.fill("#f-phone", "139 0000 0088")
    page.fill("#f-address", "5栋2单元")
    page.check("input[name=breathless]")
    page.fill("#f-fever_days", "4")
    page.fill("#f-age", "71")
    page.fill("#f-symptoms", "咳嗽，气促")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / "help-390.png"), full_page=True)
    page.click("#help-send")
    page.wait_for_selector("#help-code")
    number, code = page.inner_text("#help-number"), page.inner_text("#help-code")
    page.screenshot(path=str(ARTIFACTS / "help-done-390.png"), full_page=True)

    staff = browser.new_context(base_url=world.url, viewport=WIDE)
    desk = staff.new_page()
    sign_in(desk, "community")
    desk.goto("/help-requests")
    row = desk.locator(f"tr:has-text('{number}')")
    assert row.get_attribute("data-urgency") == "critical"
    assert desk.locator("#help-requests tbody tr").first.get_attribute("data-urgency") == "critical"
    desk.screenshot(path=str(ARTIFACTS / "help-desk-1440.png"), full_page=True)
    row.locator("button.act-called").click()
    desk.wait_for_selector(".notice")
    desk.goto(f"/help-requests/{row.get_attribute('data-request')}")
    desk.select_option("#close-reason", "helped")
    desk.click("#close button.act-closed")
    desk.wait_for_selector(".notice")
    assert desk.locator("#help-actions").count() == 0  # closed: no button that would answer 403
    desk.screenshot(path=str(ARTIFACTS / "help-request-1440.png"), full_page=True)
    staff.close()

    page.goto("/help/status")
    page.fill("#f-number", number)
    page.fill("#f-code", code.lower())
    page.click("#help-status-form button")
    page.wait_for_selector("#help-trail")
    kinds = page.eval_on_selector_all("#help-trail li", "items => items.map(i => i.dataset.kind)")
    assert kinds == ["received", "assigned", "called", "closed"]
    assert "孙八" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "help-status-390.png"), full_page=True)
    page.goto("/lang/en?next=/help")
    assert page.locator("h1").inner_text() == "Ask for help"
    resident.close()
    assert errors == []


def test_the_command_screen_counts_the_open_requests_critical_first(world):
    ask(world, name="周九", phone="13900000099", breathless=True)
    with world.client("commander") as c:
        screen = c.get("/api/command").json()["help_requests"]
        listed = c.get("/api/help-requests").json()
    assert screen["open"] == listed["total"] >= 1 and screen["items"][0]["urgency"] == "critical"
    assert all("name" not in item and "phone" not in item for item in screen["items"])
