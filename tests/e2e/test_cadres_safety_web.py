"""Cadres sent down and staff safety in Chromium and over HTTP (issue 18 §3–4): HQ's command screen carries the two
tiles (not the wall), the coverage page lists the gaps worst first; a district assigns and ends a cadre from the
page (a bad date shown again with its reason); the community desk shows who is on duty today; a facility desk
records its nurse's exposure from /safety; the JSON twins; and the refusals. Screenshots at 1440 and 390 px in
test-artifacts/cadres-*.png and safety-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from admitall.domain.access import Role
from admitall.services import cadres, staffing
from admitall.services.context import Actor, cli_actor
from admitall.services.staff_safety import record_event
from admitall.store.tables import units
from tests.e2e.conftest import ARTIFACTS, World, sign_in
from tests.factories import DAZHI_1, DAZHI_2, officer

pytestmark = pytest.mark.browser
WIDE, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def seeded(world: World) -> Iterator[dict[str, Any]]:
    ctx = world.ctx
    with ctx.engine.begin() as conn:
        conn.execute(update(units).where(units.c.code == DAZHI_2).values(population=26000))
    district = officer("420102000000", username="jiangan")
    for name, community in (("李明", DAZHI_1), ("王芳", DAZHI_2)):
        fields = {"name": name, "department": "市财政局", "community_code": community, "role": "值守卡点",
                  "starts_on": "2020-02-08", "phone": "13900001111"}  # fmt: skip
        cadres.assign_cadre(ctx, district, fields)
    nurses = [
        staffing.add_member(ctx, cli_actor(), "H1", {"name": f"护士{i}", "role": "nurse", "active_from": "2020-02-01"})[
            "id"
        ]
        for i in range(3)
    ]
    desk = Actor("facility", Role.FACILITY_OFFICER, "420100000000", facility_code="H1")
    record_event(ctx, desk, kind="infection", status="confirmed", staff_id=nurses[0], occurred_on="2020-02-09",
                 protection="surgical_mask", place="隔离病区")  # fmt: skip
    yield {"nurses": nurses}


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _page(browser: Any, world: World, username: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(base_url=world.url, viewport=viewport)
    page = context.new_page()
    sign_in(page, username)
    return page


def test_hq_sees_the_tiles_off_the_wall_and_the_gaps_worst_first(browser, world, seeded):
    page = _page(browser, world, "commander", WIDE)
    page.goto("/command")
    assert page.locator("#s-cadres [data-figure='cadres.on_duty']").inner_text() == "2"
    assert page.locator("#s-safety [data-figure='staff_safety.infections']").inner_text() == "1"
    _shot(page, "cadres-command-1440.png")
    page.goto("/command?kiosk=1")
    assert page.locator("#s-cadres").count() == 0 and page.locator("#s-safety").count() == 0
    page.goto("/")
    page.click("nav.main a[href='/cadres']")
    assert "139****1111" in page.locator("#cadres").inner_text()  # a commander sees phones masked
    page.click("#to-coverage")
    rows = page.locator("#communities tbody tr")
    # communities with no household figure first, then the lowest coverage: 王芳 alone for 10,000 households
    assert rows.last.get_attribute("data-community") == DAZHI_2 and rows.count() == 4
    assert page.locator(f"#communities tr[data-community='{DAZHI_2}'] .badge").count() == 1  # 1 per 10,000 households
    _shot(page, "cadres-coverage-1440.png")
    page.goto("/safety")
    assert page.locator("#facilities tr[data-facility='H1']").count() == 1
    assert page.locator("#record-form").count() == 0  # a commander reads; the desks record
    _shot(page, "safety-hq-1440.png")
    twins = {path: page.request.get(path) for path in ("/cadres.json", "/cadres/coverage.json", "/safety.json")}
    assert all(r.status == 200 for r in twins.values())
    assert twins["/cadres/coverage.json"].json()["communities"][-1]["code"] == DAZHI_2
    assert twins["/safety.json"].json()["facilities"][0]["code"] == "H1"
    page.context.close()


def test_a_district_assigns_and_ends_a_cadre_on_a_phone(browser, world, seeded):
    page = _page(browser, world, "jiangan", PHONE)
    page.goto("/cadres")
    page.fill("#a-name", "赵强")
    page.fill("#a-dept", "区教育局")
    page.fill("#a-community", DAZHI_2)
    page.fill("#a-starts", "2020-02-10")
    page.fill("#a-ends", "2020-02-01")  # before the start: refused, the form shown again with the reason
    page.click("#assign-form button[type=submit]")
    assert "结束日期早于开始日期" in page.locator("#error").inner_text()
    assert page.input_value("#a-name") == "赵强"
    page.fill("#a-ends", "")
    page.click("#assign-form button[type=submit]")
    assert "新增 1" in page.locator("#result").inner_text()
    row = page.locator("#cadres tr", has_text="赵强")
    assert "13900001111" not in row.inner_text()
    _shot(page, "cadres-district-390.png")
    with page.expect_navigation():
        row.locator("button").click()
    assert "已结束" not in page.locator("#cadres tr", has_text="赵强").inner_text()  # ends today: still on duty
    data = "姓名,派出单位,社区编码,开始日期\n孙丽,区卫健局,420102002002,2020-02-10\n,区卫健局,420102002002,2020-02-10\n"
    page.set_input_files("#i-file", files=[{"name": "cadres.csv", "mimeType": "text/csv", "buffer": data.encode()}])
    page.click("#import-form button[type=submit]")
    assert "新增 1" in page.locator("#result").inner_text() and "第 3 行" in page.locator("#rejected").inner_text()
    page.goto("/me")
    assert page.locator("#s-on-duty").count() == 0  # a district's lead leads no community: no on-duty list
    page.context.close()


def test_the_community_desk_shows_who_is_on_duty_today(browser, world, seeded):
    page = _page(browser, world, "community", PHONE)
    page.goto("/me")
    duty = page.locator("#on-duty").inner_text()
    assert "李明" in duty and "王芳" not in duty  # another community's cadre is not on this desk
    _shot(page, "cadres-desk-390.png")
    page.context.close()


def test_a_facility_desk_records_its_nurses_exposure(browser, world, seeded):
    page = _page(browser, world, "facility", PHONE)
    page.goto("/safety")
    page.fill("#r-id", str(seeded["nurses"][1]))
    page.select_option("#r-kind", "exposure")
    page.fill("#r-on", "2020-02-10")
    page.fill("#r-place", "发热门诊")
    page.select_option("#r-protection", "n95")
    page.click("#record-form button[type=submit]")
    assert "密切接触者" in page.locator("#made").inner_text()
    assert page.locator("#events tbody tr").count() == 2
    assert page.locator("nav.pager[data-total='2']").count() == 1  # the events' own pager, with the real total
    _shot(page, "safety-desk-390.png")
    page.context.close()


def test_json_twins_and_refusals(world, seeded):
    hq = world.client("commander")
    for path in ("/api/cadres", "/api/cadres/coverage", "/api/safety", "/api/safety/events"):
        response = hq.get(path)
        assert response.status_code == 200, (path, response.text)
    assert hq.get("/api/cadres/coverage").json()["totals"]["on_duty"] >= 2
    analyst = world.client("analyst")
    body = {"name": "钱七", "department": "市统计局", "community_code": DAZHI_1, "starts_on": "2020-02-10"}
    assert analyst.post("/api/cadres", json=body).status_code == 403
    phones = [c["phone"] for c in analyst.get("/api/cadres").json()["cadres"] if c["phone"]]
    assert phones and all("****" in p for p in phones)  # masked
    yiyuan = world.client("yiyuan")  # another street's desk: the community is not found
    assert yiyuan.post("/api/cadres", json=body).status_code == 404
    assert yiyuan.get(f"/api/cadres/coverage?unit={DAZHI_1}").status_code == 404
    event = {"kind": "exposure", "staff_id": seeded["nurses"][2], "occurred_on": "2020-02-10", "protection": "none"}
    assert yiyuan.post("/api/safety/events", json=event).status_code == 404
    assert hq.post("/api/safety/events", json=event).status_code == 403
    listed = {"file": ("c.csv", "name,department,community_code,starts_on\n钱七,市统计局,420102002001,2020-02-10\n")}
    assert analyst.post("/api/cadres/import", files=listed).status_code == 403
    assert world.client("community").post("/api/cadres/import", files=listed).json()["added"] == 1
    assert world.client("facility").post("/api/safety/events", json=event).status_code == 200
