"""The HTTP API over a running server: sign-in, scope, masking, audit and the refusals."""

from datetime import timedelta

import httpx
import pytest

from admitall.api.routes_help import PUBLIC
from tests.factories import DAZHI_1, WUCHANG_1, YIYUAN, id_number


def test_every_api_route_but_sign_in_refuses_a_request_without_a_token(world):
    spec = httpx.get(f"{world.url}/openapi.json").json()
    checked = 0
    for path, methods in spec["paths"].items():
        if path == "/api/auth/token":
            continue
        concrete = path.replace("{person_id}", "1").replace("{code}", "420100000000").replace("{request_id}", "1")
        for method in methods:
            if (method, path) in PUBLIC:  # asking for help needs no sign-in (issue 16)
                continue
            response = httpx.request(method.upper(), world.url + concrete)
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "auth.required"
            checked += 1
    assert checked >= 10


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(world):
    wrong = httpx.post(f"{world.url}/api/auth/token", data={"username": "dazhi", "password": "nope"})
    unknown = httpx.post(f"{world.url}/api/auth/token", data={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_an_expired_or_tampered_token_is_refused(world):
    token = world.token("dazhi")
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    bad = httpx.get(f"{world.url}/api/me", headers={"Authorization": f"Bearer {tampered}"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "auth.bad_token"
    world.clock.advance(timedelta(hours=9))
    try:
        expired = httpx.get(f"{world.url}/api/me", headers={"Authorization": f"Bearer {token}"})
    finally:
        world.clock.advance(timedelta(hours=-9))
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "auth.expired"
    assert httpx.get(f"{world.url}/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_street_officer_gets_404_for_a_person_in_another_street(world):
    with world.client("yiyuan") as c:
        response = c.get(f"/api/persons/{world.ids['zhang']}")
        assert response.status_code == 404
        assert "张三" not in response.text
        assert c.get(f"/api/persons/{world.ids['zhang']}/history").status_code == 404
        assert c.get("/api/persons", params={"q": "张三"}).json()["total"] == 0
        assert c.get(f"/api/units/{DAZHI_1}").status_code == 404
        assert c.get("/api/units/root").json()["unit"]["code"] == YIYUAN


def test_the_analyst_sees_counts_only(world):
    with world.client("analyst") as c:
        assert c.get("/api/persons").status_code == 403
        assert c.get(f"/api/persons/{world.ids['li']}").status_code == 403
        stock = c.get("/api/stock")
        assert stock.status_code == 200 and stock.json()["four_categories_total"] >= 3


def test_personal_data_is_masked_for_the_commander_and_shown_to_the_field(world):
    with world.client("commander") as c:
        shown = c.get(f"/api/persons/{world.ids['li']}").json()
    assert shown["masked"] and shown["phone"] == "139****0002"
    assert shown["document"] == id_number(seq=2)[:6] + "********" + id_number(seq=2)[-4:]
    with world.client("dazhi") as c:
        full = c.get(f"/api/persons/{world.ids['li']}").json()
    assert not full["masked"] and full["document"] == id_number(seq=2)
    with world.ctx.uow() as uow:
        reads = uow.audit.entries(actor="dazhi", action="read_person")
    assert reads and reads[0]["target_id"] == str(world.ids["li"])


def test_registering_reclassifying_and_the_history(world):
    body = {
        "name": "周八",
        "category": "fever",
        "unit_code": DAZHI_1,
        "phone": "13700000008",
        "identified_at": "2020-02-10 09:30",
    }
    with world.client("dazhi") as c:
        created = c.post("/api/persons", json=body)
        assert created.status_code == 201, created.text
        pid = created.json()["person"]["id"]
        assert c.post("/api/persons", json={**body, "category": "suspected"}).json()["outcome"] == "merged"
        moved = c.post(
            f"/api/persons/{pid}/reclassify",
            json={"to": "confirmed", "severity": "mild", "reason": "PCR+", "expected_version": 2},
        )
        assert moved.status_code == 200 and moved.json()["status"] == "confirmed"
        stale = c.post(f"/api/persons/{pid}/severity", json={"to": "severe", "expected_version": 2})
        assert stale.status_code == 409
        history = c.get(f"/api/persons/{pid}/history").json()["events"]
    assert [e["kind"] for e in history] == ["identified", "reclassified", "reclassified"]
    assert history[1]["source"] == "api" and history[2]["reason"] == "PCR+"


def test_bad_input_gets_a_clear_error_naming_the_fields(world):
    with world.client("dazhi") as c:
        bad = c.post(
            "/api/persons",
            json={"name": "", "category": "flu", "unit_code": DAZHI_1},
            headers={"Accept-Language": "en"},
        )
        missing = c.post("/api/persons", json={"name": "x"})
        impossible = c.post(f"/api/persons/{world.ids['li']}/reclassify", json={"to": "contact", "reason": "x"})
    assert bad.status_code == 422
    assert "name" in bad.json()["error"]["message"] and "category" in bad.json()["error"]["message"]
    assert missing.status_code == 422 and "category" in missing.json()["error"]["en"]
    assert impossible.status_code == 409
    assert impossible.json()["error"]["code"] == "transition_refused.confirmed_stays_confirmed"
    for response in (bad, missing, impossible):
        assert "Traceback" not in response.text


def test_registering_outside_the_jurisdiction_is_refused(world):
    with world.client("dazhi") as c:
        response = c.post(
            "/api/persons", json={"name": "外人", "category": "contact", "unit_code": WUCHANG_1, "phone": "13700000009"}
        )
    assert response.status_code == 422 and "jurisdiction" in response.json()["error"]["en"]


def test_only_administrators_add_users_and_only_within_their_unit(world):
    body = {"username": "newbie", "password": "long enough pw", "role": "unit_officer", "unit_code": DAZHI_1}
    with world.client("commander") as c:
        assert c.post("/api/users", json=body).status_code == 403
    with world.client("district_admin") as c:
        assert c.post("/api/users", json={**body, "unit_code": WUCHANG_1}).status_code == 404
        assert c.post("/api/users", json=body).status_code == 201
        assert c.post("/api/users", json=body).status_code == 409


def test_importing_a_file_through_the_api(world):
    content = f"姓名,手机号,类别,社区编码\n吴九,13700000019,密接,{DAZHI_1}\n坏行,123,密接,{DAZHI_1}\n".encode("gb18030")
    with world.client("dazhi") as c:
        response = c.post("/api/persons/import", files={"file": ("list.csv", content, "text/csv")})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["rows"], result["accepted"], result["rejected"]) == (2, 1, 1)
    assert result["rejections"][0]["row"] == 3 and result["rejections"][0]["field"] == "phone"
    assert result["encoding"] == "gb18030"


@pytest.mark.parametrize("path", ["/api/persons", "/api/stock"])
def test_a_session_cookie_without_the_csrf_token_cannot_change_anything(world, path):
    with httpx.Client(base_url=world.url) as c:
        login = c.get("/login")
        token = login.text.split('name="login_csrf" value="')[1].split('"')[0]
        c.post(
            "/login", data={"username": "dazhi", "password": "correct horse battery", "login_csrf": token, "next": "/"}
        )
        assert c.get(path).status_code == 200
        response = c.post(
            "/api/persons", json={"name": "csrf", "category": "contact", "unit_code": DAZHI_1, "phone": "13700000011"}
        )
    assert response.status_code == 401 and response.json()["error"]["code"] == "auth.csrf"


def test_the_unit_tree_nests_the_units_below_within_the_jurisdiction(world):
    with world.client("jiangan") as c:
        tree = c.get("/api/units/420102000000/tree", params={"depth": 2}).json()
        assert c.get("/api/units/420100000000/tree").status_code == 404
    assert [s["code"] for s in tree["children"]] == ["420102002000", "420102003000"]
    assert [x["code"] for x in tree["children"][0]["children"]] == [DAZHI_1, "420102002002"]


def test_the_audit_log_is_for_auditors(world):
    with world.client("commander") as c:
        entries = c.get("/api/audit", params={"action": "sign_in"}).json()["entries"]
    assert {"commander"} <= {e["actor"] for e in entries}
    with world.client("dazhi") as c:
        assert c.get("/api/audit").status_code == 403
