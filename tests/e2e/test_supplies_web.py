"""Supplies over HTTP and in Chromium (issue 18 §1): the API keeps to the jurisdiction and the role; an admissions
desk asks for oxygen from its own facility's page, HQ allocates across the open requests and confirms, a district
reads its shortages, at 1440 and 390 px. Screenshots: test-artifacts/supplies-*.png."""

from __future__ import annotations

import re
from contextlib import closing

import pytest

from tests.e2e.conftest import ARTIFACTS, World, sign_in
from tests.e2e.test_forbidden_pages import ROLES, assert_refusal_in_the_frame, page_routes, session
from tests.factories import CITY, DAZHI_1, JIANGAN

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


def receive(world: World, who: str, kind: str, code: str, item: str, n: int) -> None:
    with world.client(who) as c:
        done = c.post(
            f"/api/supplies/sites/{kind}/{code}/movements", json={"kind": "receipt", "item_code": item, "quantity": n}
        )
        assert done.status_code == 201, done.text


def test_the_api_keeps_to_the_jurisdiction_and_the_role(world):
    receive(world, "commander", "unit", CITY, "n95_mask", 500)
    with world.client("facility") as c:
        asked = c.post(
            "/api/supplies/requests",
            json={
                "site_kind": "facility",
                "site_code": "H1",
                "lines": [{"item_code": "n95_mask", "quantity": 100}],
                "why": "ICU",
            },
        )
        assert asked.status_code == 201, asked.text
        rid = asked.json()["id"]
        assert c.get("/api/supplies/sites/facility/S1").status_code == 404  # another facility
        assert c.get("/api/supplies/shortages").status_code == 403
        line = asked.json()["lines"][0]["id"]
        denied = c.post(f"/api/supplies/requests/{rid}/decision", json={"approved": {line: 0}, "reason": "no"})
        assert denied.status_code == 403
    with world.client("jiangan") as c:  # H1 is in Wuchang
        assert c.get(f"/api/supplies/requests/{rid}").status_code == 404
        assert c.get("/api/supplies/sites/facility/H1").status_code == 404
        assert c.get("/api/supplies/requests").json()["total"] == 0
    with world.client("community") as c:
        assert c.get("/api/supplies/requests", params={"to_decide": True}).status_code == 403
        assert c.get("/api/supplies/allocation", params={"source_code": DAZHI_1}).status_code == 403
    with world.client("analyst") as c:
        assert c.get("/api/supplies/shortages").status_code == 200  # figures, no person in them
        moved = c.post(
            f"/api/supplies/sites/unit/{CITY}/movements",
            json={"kind": "receipt", "item_code": "goggles", "quantity": 1},
        )
        assert moved.status_code == 403
    with world.client("commander") as c:
        assert c.get(f"/api/supplies/requests/{rid}").json()["may_decide"] is True
        assert {i["code"] for i in c.get("/api/supplies/items").json()["items"]} >= {"ventilator", "ecmo"}
        history = c.get(f"/api/supplies/sites/unit/{CITY}/movements").json()
        assert history["total"] >= 1 and history["movements"][0]["kind"] == "receipt"


def test_every_supplies_page_as_every_role_answers_or_refuses_in_the_frame(world):
    """Each page of /supplies (the site's own kind and code filled in), GET and an empty POST, as each demo role:
    never a 500; a refusal is a 403 in the site's frame; what a role may not do is refused."""
    routes = sorted({r for r in page_routes(world) if r[1].startswith("/supplies")})
    assert len(routes) >= 10
    values = {"kind": "unit", "code": CITY, "request_id": "1"}
    refused = set()
    for role in ROLES:
        client, csrf = session(world, role)
        with closing(client):
            for method, template in routes:
                path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
                answer = client.get(path) if method == "GET" else client.post(path, data={"csrf_token": csrf})
                assert answer.status_code != 500, f"{role} {method} {path}: {answer.text[:300]}"
                if answer.status_code == 403:
                    assert_refusal_in_the_frame(answer.text, role, f"{role} {method} {template}")
                    refused.add((role, method, template))
    assert {
        ("analyst", "POST", "/supplies/sites/{kind}/{code}/move"),
        ("community", "GET", "/supplies/allocation"),
        ("admin", "GET", "/supplies/allocation"),
    } <= refused


@pytest.mark.browser
def test_a_desk_asks_hq_allocates_and_a_district_reads_its_shortages(browser, world):
    ARTIFACTS.mkdir(exist_ok=True)
    receive(world, "commander", "unit", CITY, "oxygen_cylinder", 60)
    receive(world, "commander", "facility", "S1", "protective_suit", 2)
    errors: list[str] = []

    desk_context = browser.new_context(base_url=world.url, viewport=WIDE)
    desk = desk_context.new_page()
    desk.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(desk, "facility")
    desk.click("nav#nav-main a[href='/supplies']")
    desk.wait_for_selector("#supplies-ask")
    assert "/supplies/sites/facility/H1" in desk.url
    desk.fill("#q-oxygen_cylinder", "40")
    desk.fill("#supplies-ask input[name=why]", "重症病人吸氧")
    desk.screenshot(path=str(ARTIFACTS / "supplies-desk-1440.png"), full_page=True)
    desk.click("#supplies-ask button[type=submit]")
    desk.wait_for_selector("#supplies-lines")
    assert "oxygen_cylinder" in desk.inner_html("#supplies-lines")
    assert desk.locator("#supplies-decide").count() == 0  # a desk asks; it never decides
    desk_context.close()

    hq_context = browser.new_context(base_url=world.url, viewport=WIDE)
    hq = hq_context.new_page()
    hq.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(hq, "commander")
    hq.goto("/supplies")
    hq.click("#supplies-links a[href='/supplies/allocation']")
    hq.wait_for_selector("#supplies-proposal")
    row = hq.locator("#supplies-proposal tr[data-item=oxygen_cylinder]")
    assert row.count() == 1 and row.get_attribute("data-critical") is not None
    hq.screenshot(path=str(ARTIFACTS / "supplies-allocation-1440.png"), full_page=True)
    hq.click("#supplies-confirm button")
    hq.wait_for_selector("p.notice")
    hq.goto(f"/supplies/sites/unit/{CITY}/history")
    assert hq.locator("#supplies-history tr[data-kind=transfer_out]").count() >= 1
    hq.goto(f"/command/{CITY}")
    assert hq.locator("#s-supplies").count() == 1  # the tile on the screen itself
    hq.goto(f"/command/{CITY}?kiosk=1")
    assert hq.locator("#s-supplies").count() == 0  # and off the wall display
    hq_context.close()

    district_context = browser.new_context(base_url=world.url, viewport=PHONE, is_mobile=True)
    district = district_context.new_page()
    district.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(district, "jiangan")
    district.goto("/supplies?show=all")
    district.wait_for_selector("#supplies-counts")
    assert district.locator("#supplies-rows tr[data-site='facility:S1']").count() >= 1
    assert district.locator("#supplies-rows tr[data-site='facility:H1']").count() == 0  # Wuchang's
    assert district.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    district.screenshot(path=str(ARTIFACTS / "supplies-district-390.png"), full_page=True)
    district.goto(f"/supplies/sites/unit/{JIANGAN}")
    district.wait_for_selector("#supplies-move")
    district.screenshot(path=str(ARTIFACTS / "supplies-site-390.png"), full_page=True)
    district_context.close()
    assert errors == []


def test_a_shortage_raises_an_alert_the_inbox_links_to_the_site(world):
    from admitall.services.watch import watch

    receive(world, "commander", "unit", JIANGAN, "n95_mask", 10)
    with world.client("commander") as c:
        used = c.post(
            f"/api/supplies/sites/unit/{JIANGAN}/movements",
            json={"kind": "consumption", "item_code": "n95_mask", "quantity": 9},
        )
        assert used.status_code == 201, used.text
    assert watch(world.ctx)["supply_short_raised"] >= 1
    client, _ = session(world, "commander")
    with closing(client):
        inbox = client.get("/alerts?kind=supply_short")
    assert inbox.status_code == 200
    assert f'href="/supplies/sites/unit/{JIANGAN}"' in inbox.text and "物资短缺" in inbox.text


def test_every_supplies_page_has_its_json_twin(world):
    client, _ = session(world, "commander")
    with closing(client):
        for path, key in (
            ("/supplies.json", "rows"),
            (f"/supplies/sites/unit/{CITY}.json", "items"),
            (f"/supplies/sites/unit/{CITY}/history.json", "movements"),
            ("/supplies/requests.json", "requests"),
            ("/supplies/allocation.json", "fingerprint"),
        ):
            answer = client.get(path)
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json"), path
            assert key in answer.json(), path
