"""Who may see and change which person, over real HTTP: a registration that matches someone of another district
is referred to that person's unit (API, form, import) and answers nothing about them; the person's unit applies
or dismisses it; masked roles search by name only; a facility's desk sees only the people its facility has had."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.factories import DAZHI_1, PASSWORD, WUCHANG, id_number, make_user

WANG_ID = id_number(seq=4)  # 王五 of 长春社区 (武昌区), seeded by the e2e world
ZHANG_ID = id_number()  # 张三 of 幸福社区 (大智街道)
ZHANG_PHONE = "13812345678"


@pytest.fixture(scope="module")
def wuchang(world):
    """An officer of 武昌区, where 王五 lives."""
    make_user(world.ctx, "wuchang", "unit_officer", WUCHANG)
    return "wuchang"


@contextmanager
def web(world, username: str) -> Iterator[httpx.Client]:
    """A signed-in browser session (cookie and CSRF token), without a browser."""
    with httpx.Client(base_url=world.url, timeout=30) as client:
        token = client.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
        response = client.post(
            "/login", data={"username": username, "password": PASSWORD, "login_csrf": token, "next": "/"}
        )
        assert response.status_code == 303, response.text
        yield client


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def wang(world) -> dict:
    with world.client("jiangan") as c:  # not 武昌区's: read through the database instead
        assert c.get(f"/api/persons/{world.ids['wang']}").status_code == 404
    with world.ctx.uow() as uow:
        person = uow.persons.get(world.ids["wang"])
    assert person is not None
    return {"status": person.status.value, "severity": person.severity, "version": person.version}


def open_referrals(world, username: str) -> list[dict]:
    with world.client(username) as c:
        response = c.get("/api/referrals")
    assert response.status_code == 200, response.text
    return response.json()["referrals"]


# --- item 1: registrations that reach across jurisdictions -------------------------------------------------------


def test_registering_another_districts_person_through_the_api_answers_202_and_changes_nothing(world, wuchang):
    before = wang(world)
    by_id = {
        "name": "王五",
        "id_number": WANG_ID,
        "category": "confirmed",
        "severity": "critical",
        "unit_code": DAZHI_1,
    }
    by_phone = {"name": "王五", "phone": "13900000004", "category": "confirmed", "unit_code": DAZHI_1}
    with world.client("dazhi") as c:
        answers = [c.post("/api/persons", json=body) for body in (by_id, by_phone)]
    for response in answers:
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["outcome"] == "referred" and body["person"] is None
        assert str(world.ids["wang"]) not in str(body.get("person")) and "13900000004" not in response.text
    assert answers[0].json() == answers[1].json()  # the same words whether the ID or the phone matched
    assert wang(world) == before  # not raised to confirmed, not critical
    mine = [r for r in open_referrals(world, wuchang) if r["submitted_by"] == "dazhi"]
    assert {r["matched_by"] for r in mine} >= {"document", "name_phone"}
    assert all(r["person"]["id"] == world.ids["wang"] for r in mine)
    assert open_referrals(world, "dazhi") == []


def test_the_register_form_answers_referred_without_naming_the_person(world):
    before = wang(world)
    with web(world, "dazhi") as c:
        token = csrf_of(c.get("/people/new").text)
        form = {"csrf_token": token, "name": "某人", "id_number": WANG_ID, "category": "fever", "unit_code": DAZHI_1}
        response = c.post("/people/new", data=form)
        english = c.post("/people/new?lang=en", data=form)
    assert response.status_code == 202 and "已转交该人员所属单位核实" in response.text
    assert english.status_code == 202 and "Referred to the person" in english.text
    assert "王五" not in response.text and "长春社区" not in response.text and "location" not in response.headers
    assert wang(world) == before


def test_an_import_counts_the_row_referred_and_reveals_nothing_of_the_person(world):
    content = (
        "姓名,身份证号,手机号,类别,病情,社区编码\n"
        f"某人,{WANG_ID},13700000301,确诊,重型,{DAZHI_1}\n"
        f"新人,{id_number(seq=301)},13700000302,密接,,{DAZHI_1}\n"
    ).encode()
    before = wang(world)
    with world.client("dazhi") as c:
        response = c.post("/api/persons/import", files={"file": ("scope.csv", content, "text/csv")})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["rows"], result["accepted"], result["merged"], result["referred"], result["rejected"]) == (
        2,
        1,
        0,
        1,
        0,
    )
    assert result["warnings"] == [] and result["rejections"] == []
    assert "王五" not in response.text and "13900000004" not in response.text
    assert wang(world) == before


def test_the_import_page_shows_the_row_referred_and_nothing_of_the_person(world):
    content = f"姓名,手机号,类别,社区编码\n某人,13900000004,确诊,{DAZHI_1}\n".encode()  # 王五's name differs: no match
    named = f"姓名,手机号,类别,社区编码\n王五,13900000004,确诊,{DAZHI_1}\n".encode()
    before = wang(world)
    with web(world, "dazhi") as c:
        token = csrf_of(c.get("/imports").text)
        pages = [
            c.post("/imports/persons", data={"csrf_token": token}, files={"file": ("p.csv", body, "text/csv")})
            for body in (content, named)
        ]
    assert [p.status_code for p in pages] == [200, 200]
    assert 'data-figure="referred">0<' in pages[0].text and 'data-figure="referred">1<' in pages[1].text
    assert "长春社区" not in pages[1].text and str(WANG_ID) not in pages[1].text
    assert wang(world) == before


def test_the_persons_own_unit_applies_or_dismisses_referrals_and_nobody_else_can(world, wuchang):
    with world.client("dazhi") as c:
        c.post(
            "/api/persons", json={"name": "王五", "id_number": WANG_ID, "category": "suspected", "unit_code": DAZHI_1}
        )
        c.post("/api/persons", json={"name": "王五", "id_number": WANG_ID, "category": "fever", "unit_code": DAZHI_1})
    first, second, *_ = [r["id"] for r in open_referrals(world, wuchang)]
    for username in ("dazhi", "jiangan", "community"):
        with world.client(username) as c:
            assert c.post(f"/api/referrals/{first}/apply").status_code == 404
            assert c.post(f"/api/referrals/{first}/dismiss", json={"reason": "x"}).status_code == 404
    with world.client("commander") as c:  # sees people, registers nobody
        assert c.get("/api/referrals").status_code == 403
    with world.client(wuchang) as c:
        assert c.post(f"/api/referrals/{first}/dismiss", json={"reason": ""}).status_code == 422
        dismissed = c.post(f"/api/referrals/{first}/dismiss", json={"reason": "not the same person"})
        assert dismissed.status_code == 200 and dismissed.json()["state"] == "dismissed"
        assert c.post(f"/api/referrals/{first}/apply").status_code == 409
        assert c.post("/api/referrals/99999999/apply").status_code == 404
    with web(world, wuchang) as c:
        page = c.get("/referrals")
        assert page.status_code == 200 and f'data-referral="{second}"' in page.text and "王五" in page.text
        assert c.get("/referrals.json").json()["total"] >= 1
        applied = c.post(f"/referrals/{second}/apply", data={"csrf_token": csrf_of(page.text)})
        assert applied.status_code == 303
        forged = c.post(f"/referrals/{second}/apply", data={"csrf_token": "forged"})
        assert forged.status_code == 303 and forged.headers["location"].startswith("/login")
    assert wang(world)["status"] in ("suspected", "fever", "confirmed")
    with world.client(wuchang) as c:
        states = {r["id"]: r["state"] for r in c.get("/api/referrals", params={"state": "all"}).json()["referrals"]}
    assert (states[first], states[second]) == ("dismissed", "applied")
    with web(world, "dazhi") as c:
        assert f'data-referral="{second}"' not in c.get("/referrals?state=all").text


# --- item 13: masked roles search by name only -------------------------------------------------------------------


@pytest.mark.parametrize("username", ["admin", "commander"])
@pytest.mark.parametrize("q", [ZHANG_PHONE, ZHANG_ID, f" {ZHANG_ID} ", "138 1234 5678"])
def test_a_masked_role_cannot_find_a_person_by_phone_or_id_number(world, username, q):
    with world.client(username) as c:
        found = c.get("/api/persons", params={"q": q}).json()
    assert (found["total"], found["people"]) == (0, [])
    assert found["note"]["code"] == "search.name_only"
    with web(world, username) as c:
        page = c.get("/people.json", params={"q": q}).json()
        html = c.get("/people", params={"q": q, "lang": "en"}).text
    assert page["total"] == 0 and page["note"]["code"] == "search.name_only"
    assert "searches people by name only" in html and "张三" not in html


def test_a_masked_role_still_finds_people_by_name_and_an_unmasked_one_by_phone(world):
    with world.client("admin") as c:
        by_name = c.get("/api/persons", params={"q": "张三"}).json()
    assert by_name["total"] >= 1 and by_name["note"] is None and by_name["people"][0]["masked"]
    with world.client("dazhi") as c:
        by_phone = c.get("/api/persons", params={"q": ZHANG_PHONE}).json()
    assert by_phone["total"] == 1 and by_phone["people"][0]["phone"] == ZHANG_PHONE


# --- item 16: a facility's desk sees the people its facility has had, nobody else --------------------------------


def test_a_facility_officer_sees_only_the_people_their_facility_has_had(world):
    zhang, li = world.ids["zhang"], world.ids["li"]
    with world.client("facility") as c:
        assert c.get("/api/persons").json()["total"] == 0
        assert c.get("/api/persons", params={"q": ZHANG_PHONE}).json()["total"] == 0
        for path in (f"/api/persons/{zhang}", f"/api/persons/{zhang}/history", f"/api/persons/{li}"):
            assert c.get(path).status_code == 404, path
        assert c.get("/api/facilities/S1/desk").status_code == 404  # another facility's desk
        assert c.post(f"/api/persons/{zhang}/reclassify", json={"to": "excluded"}).status_code == 404
    with web(world, "facility") as c:
        assert c.get("/people.json").json()["total"] == 0
        assert c.get(f"/people/{zhang}").status_code == 404
    with world.client("dispatcher") as c:
        item = {"person": li, "facility": "H1", "bed_type": "severe"}
        assert c.post("/api/allocation/confirm", json={"items": [item]}).json()["confirmed"]
    with world.client("facility") as c:
        listed = c.get("/api/persons").json()
        assert [p["id"] for p in listed["people"]] == [li] and listed["people"][0]["phone"] == "13900000002"
        assert c.get(f"/api/persons/{li}/history").status_code == 200
        assert c.post(f"/api/persons/{li}/depart", json={}).status_code == 200
        assert c.post(f"/api/persons/{li}/admit", json={}).status_code == 200
        assert c.post(f"/api/persons/{li}/outcome", json={"outcome": "recovered"}).status_code == 200
        # discharged, the patient stays in the desk's view; the rest of the city does not come into it
        assert [p["id"] for p in c.get("/api/persons").json()["people"]] == [li]
        assert c.get(f"/api/persons/{li}").status_code == 200
        assert c.get(f"/api/persons/{zhang}").status_code == 404
        assert c.get("/api/facilities/H1/desk").status_code == 200


def test_a_masked_role_registering_a_known_id_number_is_not_told_whose_it_is(world):
    body = {"name": "试探", "id_number": ZHANG_ID, "category": "contact", "unit_code": DAZHI_1}
    with world.client("admin") as c:
        response = c.post("/api/persons", json=body)
    assert response.status_code == 201 and response.json()["person"] is None
    assert "张三" not in response.text
    with web(world, "admin") as c:
        token = csrf_of(c.get("/people/new").text)
        page = c.post("/people/new", data={"csrf_token": token, **body})
    assert page.status_code == 200 and "已合并到已登记人员" in page.text and "张三" not in page.text
