"""The reporting chain over HTTP and in the browser: a phone-sized report form, the board, alerts, problems."""

from __future__ import annotations

import pytest

from admitall.services.watch import watch
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import DAZHI, DAZHI_1, DAZHI_2, WUCHANG_1

START = "2020-02-10T10:00:00+08:00"


def report(unit: str, **extra) -> dict:
    return {"unit_code": unit, "period_start": START, "attested_by": "网格员", "attest": True, **extra}


def test_the_same_idempotency_key_stores_one_report_and_refusals_say_why(world):
    with world.client("dazhi") as c:
        draft = c.get("/api/reports/draft", params={"unit": DAZHI_2, "period_start": START}).json()
        assert draft["figures"]["waiting"]["total"] >= 0
        body = report(DAZHI_2, reported={"waiting": draft["figures"]["waiting"]})
        first = c.post("/api/reports", json=body, headers={"Idempotency-Key": "phone-retry-1"})
        again = c.post("/api/reports", json=body, headers={"Idempotency-Key": "phone-retry-1"})
        assert first.status_code == again.status_code == 201
        assert again.json()["outcome"] == "duplicate" and again.json()["id"] == first.json()["id"]
        other = c.post("/api/reports", json=report(WUCHANG_1), headers={"Accept-Language": "en"})
        assert other.status_code == 404 and "not within your jurisdiction" in other.json()["error"]["message"]
        future = c.post("/api/reports", json=report(DAZHI_1, period_start="2020-02-10T11:00:00+08:00"))
        assert future.status_code == 422 and future.json()["error"]["code"] == "report.future_period"
        unsigned = c.post("/api/reports", json=report(DAZHI_1, attest=False))
        assert unsigned.status_code == 422 and unsigned.json()["error"]["code"] == "report.attestation"
    with world.client("analyst") as c:
        assert c.post("/api/reports", json=report(DAZHI_1)).status_code == 403
        assert c.get("/api/reports/completeness").status_code == 200
        board = c.get("/api/reports/board", params={"unit": DAZHI}).json()
    cells = {r["code"]: r["cells"] for r in board["rows"]}
    assert cells[DAZHI_2] == ["on_time"] and cells[DAZHI_1] == ["pending"]


@pytest.mark.browser
def test_a_community_worker_reports_from_a_phone_and_the_board_shows_it(browser, world):
    context = browser.new_context(base_url=world.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in(page, "community")
    page.goto("/reports/new")
    page.fill("#households_screened", "86")
    page.fill("#problem0-description", "隔离点缺少体温计")
    page.select_option("#problem0-type", "supplies")
    page.check("input[name='problem0.help']")
    page.check("#attest")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-form-phone.png"), full_page=True)
    page.click("#submit-report")
    page.wait_for_load_state("load")
    assert page.locator("[role=status]").count() == 1
    assert "按时" in page.locator(f"#board tr[data-unit='{DAZHI_1}']").inner_text()
    context.close()


@pytest.mark.browser
def test_the_district_sees_the_broken_link_and_acknowledges_it(page, world):
    world.clock.set(world.clock.now().replace(hour=3, minute=10))  # 11:10 in Wuhan: the 10:00 reports are due
    watch(world.ctx)
    sign_in(page, "jiangan")
    page.goto("/reports?unit=" + DAZHI)
    assert "未报" in page.locator(f"#board tr[data-unit='{DAZHI}']").inner_text()  # the street's own report
    assert "按时" in page.locator(f"#board tr[data-unit='{DAZHI_2}']").inner_text()
    page.goto("/alerts")
    row = page.locator(f"#alerts tr[data-unit='{DAZHI}']")
    row.locator("input[name=note]").fill("已电话催报")
    row.locator("button.act-ack").click()
    page.wait_for_load_state("load")
    assert page.locator(f"#alerts tr[data-unit='{DAZHI}']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "alerts.png"), full_page=True)


@pytest.mark.browser
def test_the_street_resolves_the_problem_with_a_note(page, world):
    sign_in(page, "dazhi")
    page.goto("/problems")
    row = page.locator("#problems tr", has_text="体温计")
    row.locator("input[name=note]").fill("街道送去20支体温计")
    row.locator("button.act-resolve").click()
    page.wait_for_load_state("load")
    assert page.locator("#problems tr", has_text="体温计").count() == 0
    with world.client("dazhi") as c:
        resolved = c.get("/api/problems", params={"status": "resolved"}).json()["problems"]
    assert resolved[0]["resolution_note"] == "街道送去20支体温计"


def test_the_city_board_shows_the_districts_and_the_commander_only_reads(world):
    with world.client("commander") as c:
        board = c.get("/api/reports/board").json()
        assert [r["code"] for r in board["rows"]] == ["420102000000", "420106000000"]
        jiangan = board["rows"][0]["subtree"]
        # at 11:10 the 10:00 reports of Jiangan's six reporting units are due; the two sent are counted
        assert (jiangan["expected"], jiangan["received"]) == (6, 2)
        assert c.post("/api/reports", json=report(DAZHI_1)).status_code == 403
        assert c.get("/api/alerts").json()["alerts"]


@pytest.mark.browser
def test_the_board_and_problems_read_in_english(page, world):
    sign_in(page, "jiangan")
    page.click("text=English")
    page.goto("/reports?unit=" + DAZHI)
    assert page.locator("h1").inner_text().startswith("Hourly reports")
    assert "on time" in page.locator(f"#board tr[data-unit='{DAZHI_2}']").inner_text()
    assert "missing" in page.locator(f"#board tr[data-unit='{DAZHI}']").inner_text()
    page.goto("/problems")
    assert "Problems" in page.locator("h1").inner_text()


@pytest.mark.browser
def test_the_report_form_reads_in_english_on_a_phone(browser, world):
    context = browser.new_context(base_url=world.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in(page, "community")
    page.click("text=English")
    page.goto("/reports/new")
    assert page.locator("h1").inner_text().startswith("Hourly report")
    assert "I attest that this report is true and accurate" in page.locator("#report-form").inner_text()
    page.screenshot(path=str(ARTIFACTS / "report-form-en.png"), full_page=True)
    context.close()
