"""Over real HTTP, a district administrator cannot take over what another district owns — not by the import API,
not by the import page, not by the bed counts, not by an official's or a user's username — and cannot change the
reporting schedule the whole city shares; the city HQ can."""

from __future__ import annotations

import re

import httpx

from tests.factories import PASSWORD, WUCHANG_STREET

FACILITIES = "code,name,type,unit_code,icu,severe,general\n"


def csv(*rows: str) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("facilities.csv", (FACILITIES + "\n".join(rows) + "\n").encode(), "text/csv")}


def facility(world, code: str) -> dict:
    with world.client("admin") as c:
        return c.get(f"/api/facilities/{code}").json()


def test_a_district_admin_cannot_move_another_districts_hospital_into_their_own_by_the_import_api(world):
    before = facility(world, "H1")
    with world.client("district_admin") as c:
        sent = c.post(
            "/api/facilities/import",
            files=csv("H1,我的医院,designated_hospital,420102002000,0,0,0"),
            headers={"Accept-Language": "en"},
        )
        assert sent.status_code == 200, sent.text
        result = sent.json()
        assert (result["accepted"], result["updated"], result["rejected"]) == (0, 0, 1)
        assert result["rejections"][0]["field"] == "code"
        # and so its admissions desk stays closed to them
        assert c.get("/api/facilities/H1/desk").status_code == 404
    after = facility(world, "H1")
    assert after == before and after["unit_code"] == WUCHANG_STREET


def test_a_district_admin_cannot_take_over_a_hospital_by_the_import_page_either(world):
    client = httpx.Client(base_url=world.url, timeout=30)
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token is not None
    client.post("/login", data={"username": "district_admin", "password": PASSWORD, "login_csrf": token.group(1)})
    page = client.get("/imports")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    sent = client.post(
        "/imports/facilities",
        data={"csrf_token": csrf.group(1)},
        files=csv("H1,我的医院,designated_hospital,420102002000,0,0,0"),
    )
    client.close()
    assert sent.status_code == 200, sent.text[:300]
    assert facility(world, "H1")["name"] == "H1 机构"


def test_a_district_admin_cannot_zero_the_beds_of_another_districts_hospital(world):
    with world.client("district_admin") as c:
        outside = c.put("/api/facilities/H1/beds/icu", json={"capacity": 0, "out_of_service": 0})
        absent = c.put("/api/facilities/H9/beds/icu", json={"capacity": 0, "out_of_service": 0})
    assert outside.status_code == absent.status_code == 404
    assert outside.json()["error"]["code"] == absent.json()["error"]["code"] == "facility.not_found"
    assert facility(world, "H1")["beds"][0]["capacity"] == 1


def test_a_district_admin_cannot_link_an_official_to_a_user_of_another_district(world):
    with world.client("district_admin") as c:
        # 'facility' is the city's desk clerk at H1 (武昌区): not theirs to hand an official's desk to
        sent = c.post(
            "/api/officials",
            json={"name": "钱多", "title": "干部", "home_unit": "420102002000", "username": "facility"},
        )
    assert sent.status_code == 409 and sent.json()["error"]["code"] == "official.username_taken"


def test_only_the_city_hq_changes_the_schedule_every_district_shares(world):
    with world.client("district_admin") as c:
        before = c.get("/api/reporting/schedules").json()
        for level in ("district", "street", "community"):
            refused = c.put(f"/api/reporting/schedules/{level}", json={"period_minutes": 120, "grace_minutes": 30})
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["code"] == "schedule.not_owner"
        assert c.get("/api/reporting/schedules").json() == before
    with world.client("admin") as c:
        changed = c.put("/api/reporting/schedules/community", json={"period_minutes": 120, "grace_minutes": 10})
        assert changed.status_code == 200, changed.text
        assert {"level": "community", "period_minutes": 120, "grace_minutes": 10} in changed.json()["schedules"]
        c.put("/api/reporting/schedules/community", json={"period_minutes": 60, "grace_minutes": 10})
