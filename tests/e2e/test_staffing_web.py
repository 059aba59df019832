"""Staffing over HTTP and in Chromium at 1440 and 390 px (issue 18 §2): the city command registers a team, H1's
desk keeps its roster (one typed in, a list imported), the overview shows beds as in service / staffed / usable,
and the command screen and the facilities page show them too; refusals for those who may not (an analyst's
roster, a district's team, another facility's roster), phones masked for a masked role. Screenshots:
test-artifacts/staffing-1440.png, staffing-390.png, staffing-site-1440.png, staffing-site-390.png,
staffing-teams-1440.png."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, World, sign_in
from tests.e2e.lists_world import web

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
TEAM = {"name": "江苏援鄂医疗队", "origin": "江苏", "facility_code": "H1", "arrives_on": "2020-02-09",
        "headcount": {"icu_nurse": 6, "icu_doctor": 3, "nurse": 12, "doctor": 3}}  # fmt: skip


@pytest.fixture(scope="module")
def staffed(world: World) -> dict[str, int]:
    with world.client("commander") as c:
        team = c.post("/api/staffing/teams", json=TEAM)
        assert team.status_code == 200, team.text
    with world.client("facility") as c:
        member = c.post(
            "/api/staffing/sites/H1/staff", json={"name": "王护士", "role": "nurse", "phone": "13812345678"}
        )
        assert member.status_code == 200, member.text
    return {"team": team.json()["id"], "member": member.json()["id"]}


def test_the_api_answers_those_who_may_and_refuses_the_others(world, staffed):
    with world.client("facility") as c:
        roster = c.get("/api/staffing/sites/H1/staff").json()
        assert roster["staff"][0]["phone"] == "13812345678"
        assert c.get("/api/staffing/sites/S1/staff").status_code == 404  # another facility's roster
        csv = "姓名,岗位,电话\n李医生,医生,13900000001\n某人,飞行员,\n".encode()
        imported = c.post("/api/staffing/sites/H1/staff/import", files={"file": ("roster.csv", csv, "text/csv")}).json()
        assert (imported["rows"], imported["added"], len(imported["rejected"])) == (2, 1, 1)
    with world.client("commander") as c:
        assert c.get("/api/staffing/sites/H1/staff").json()["staff"][-1]["phone"] == "138****5678"
        assert c.post("/api/staffing/sites/H1/staff", json={"name": "x", "role": "nurse"}).status_code == 403
    with world.client("analyst") as c:
        assert c.get("/api/staffing/sites/H1/staff").status_code == 403
        assert c.get("/api/staffing/capacity").status_code == 200
    with world.client("jiangan") as c:
        assert c.post("/api/staffing/teams", json=TEAM).status_code == 403
        assert c.get("/api/staffing/sites/H1/staff").status_code == 404  # H1 is in Wuchang
    with world.client("commander") as c:
        capacity = c.get("/api/staffing/capacity").json()
    icu = next(r for r in capacity["totals"] if r["bed_type"] == "icu")
    # 6 ICU nurses and 3 ICU doctors: 2 and 1 on shift cover H1's one ICU bed
    assert (icu["physical"], icu["staffed"], icu["usable"]) == (1, 1, 1)


def test_every_staffing_page_has_its_json_twin(world, staffed):
    with web(world, "commander") as c:
        for path in ("/staffing.json", "/staffing/teams.json", "/staffing/sites/H1.json"):
            response = c.get(path)
            assert response.status_code == 200 and "total" in response.json(), path
        command = c.get("/command/420100000000.json").json()
        assert command["staffed_beds"]["rows"][0]["bed_type"] == "icu"
        facilities = c.get("/facilities.json").json()["facilities"]
        assert "usable" in next(f for f in facilities if f["code"] == "H1")["beds"][0]


@pytest.mark.parametrize("viewport,suffix", [(WIDE, "1440"), (PHONE, "390")])
@pytest.mark.browser
def test_the_pages_in_chromium(browser, world, staffed, viewport, suffix):
    context = browser.new_context(base_url=world.url, viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    try:
        sign_in(page, "commander")
        page.goto("/staffing")
        assert page.locator("#staffing-totals tr[data-bed='icu']").count() == 1
        assert page.locator("nav a[href='/staffing']").count() == 1
        page.screenshot(path=str(ARTIFACTS / f"staffing-{suffix}.png"), full_page=True)
        width = viewport["width"]
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, "sideways scroll"
        page.goto("/staffing/teams")
        assert page.locator("#team-form").count() == 1 and page.locator("#teams tr[data-team]").count() >= 1
        if suffix == "1440":
            page.screenshot(path=str(ARTIFACTS / "staffing-teams-1440.png"), full_page=True)
        page.goto("/staffing/sites/H1")
        assert page.locator("#add-form").count() == 0  # the command reads rosters, it does not keep them
        context.clear_cookies()
        sign_in(page, "facility")
        page.goto("/facilities/H1")  # the desk leads to its roster
        page.click("#desk-staffing")
        page.wait_for_load_state("load")
        page.fill("#m-name", f"赵医生{suffix}")
        page.select_option("#m-role", "doctor")
        page.click("#add-form button[type=submit]")
        page.wait_for_load_state("load")
        assert page.locator("#roster", has_text=f"赵医生{suffix}").count() == 1
        page.screenshot(path=str(ARTIFACTS / f"staffing-site-{suffix}.png"), full_page=True)
        page.goto("/staffing/teams")
        assert page.locator("#team-form").count() == 0  # a desk registers no teams
    finally:
        context.close()


def test_every_staffing_route_refuses_a_request_without_a_token(world):
    with httpx.Client(base_url=world.url, timeout=60) as anonymous:
        for method, path in [
            ("GET", "/api/staffing/capacity"),
            ("GET", "/api/staffing/sites/H1/staff"),
            ("POST", "/api/staffing/sites/H1/staff"),
            ("POST", "/api/staffing/staff/1/end"),
            ("POST", "/api/staffing/sites/H1/staff/import"),
            ("GET", "/api/staffing/teams"),
            ("POST", "/api/staffing/teams"),
            ("POST", "/api/staffing/teams/1/departure"),
        ]:
            assert anonymous.request(method, path).status_code == 401, path
        for path in ("/staffing", "/staffing/teams", "/staffing/sites/H1"):
            response = anonymous.get(path, follow_redirects=False)
            assert response.status_code in (303, 401), path
