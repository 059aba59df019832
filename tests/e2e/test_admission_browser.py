"""The dispatcher's board, the admissions desk and the beds page in a real browser, in Chinese and English."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


def test_the_dispatcher_confirms_the_plan_on_the_board(page, world):
    sign_in(page, "dispatcher")
    page.click("text=调度")
    page.wait_for_load_state("load")
    rows = page.locator("#plan tbody tr")
    assert rows.count() == 3  # the three people of the small city, each with a bed
    assert "重型" in page.locator("#plan").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dispatch.png"), full_page=True)
    # leave the contact out of this round
    page.locator("#plan tbody tr", has_text="王五").locator("input[type=checkbox]").uncheck()
    page.click("#confirm")
    page.wait_for_load_state("load")
    assert "已确认 2 人" in page.locator("[role=status]").inner_text()
    assert page.locator("#plan tbody tr").count() == 1
    assert page.locator("[data-figure='backlog.stock.assigned_or_in_transit']").inner_text() == "2"


def test_the_desk_admits_an_arrival_and_the_beds_follow(page, world):
    sign_in(page, "facility")
    page.click("text=本院收治")
    page.wait_for_load_state("load")
    expected = page.locator("#expected tbody tr", has_text="李四")
    assert expected.count() == 1
    reserved_before = int(page.locator("#pools tr[data-bed-type=severe] [data-figure=reserved]").inner_text())
    expected.locator("button.act-admit").click()
    page.wait_for_load_state("load")
    assert page.locator("#admitted tbody tr", has_text="李四").count() == 1
    assert (
        int(page.locator("#pools tr[data-bed-type=severe] [data-figure=reserved]").inner_text()) == reserved_before - 1
    )
    assert page.locator("#pools tr[data-bed-type=severe] [data-figure=occupied]").inner_text() == "1"
    page.screenshot(path=str(ARTIFACTS / "desk.png"), full_page=True)


def test_the_desk_refuses_with_a_reason_and_the_person_goes_back_to_the_queue(page, world):
    with world.client("jiangan") as c:
        pid = c.post(
            "/api/persons",
            json={
                "name": "危重甲",
                "category": "confirmed",
                "severity": "critical",
                "unit_code": "420102002002",
                "phone": "13700000333",
            },
        ).json()["person"]["id"]
    with world.client("dispatcher") as c:
        item = next(a for a in c.get("/api/allocation/plan").json()["assignments"] if a["person"] == pid)
        assert item["facility"] == "H1"
        c.post("/api/allocation/confirm", json={"items": [item | {"person": pid}]})
    sign_in(page, "facility")
    page.goto("/facilities/H1")
    row = page.locator("#expected tbody tr", has_text="危重甲")
    row.locator("input[name=reason]").fill("呼吸机不足")
    row.locator("button.act-refuse").click()
    page.wait_for_load_state("load")
    assert page.locator("#expected tbody tr", has_text="危重甲").count() == 0
    with world.client("dispatcher") as c:
        person = c.get(f"/api/persons/{pid}").json()
    assert person["placement"] == "waiting"


def test_an_administrator_sees_a_desk_but_cannot_act_at_it(page, world):
    sign_in(page, "admin")
    page.goto("/facilities")
    assert page.locator("#facilities tbody tr").count() >= 6
    page.goto("/facilities/Q1")
    assert page.locator("h1").inner_text().startswith("Q1")
    assert page.locator("button.act-admit").count() == 0


def test_the_beds_page_in_english(page, world):
    sign_in(page, "analyst")
    page.click("text=English")
    page.goto("/beds")
    table = page.locator("#beds")
    assert "ICU bed" in table.inner_text() and "quarantine room" in table.inner_text()
    assert page.locator("#beds tr[data-bed-type=icu] [data-figure=free]").inner_text() == "1"
    page.screenshot(path=str(ARTIFACTS / "beds.png"), full_page=True)
    page.goto("/dispatch")
    assert "Something went wrong" in page.content() or page.locator("[role=alert]").count() == 1
