"""The facility desk is safe to use (issue 14 §4): no outcome is chosen for the desk, nothing is saved without a
choice, every outcome (a discharge, a death) is confirmed on a second page before anything changes, the bed-count
inputs are named by their column and row, and the dispatch plan names its facilities."""

from __future__ import annotations

import re
from contextlib import closing

import httpx

from tests.e2e.conftest import World
from tests.factories import PASSWORD

_counter = iter(range(1, 1000))


def pages(world: World, username: str) -> tuple[httpx.Client, str]:
    """A signed-in browser-less session: the client (with its cookie) and the session's CSRF token."""
    client = httpx.Client(base_url=world.url, timeout=30)
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    signed = client.post("/login", data={"username": username, "password": PASSWORD, "login_csrf": token.group(1)})
    assert signed.status_code == 303, signed.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/", follow_redirects=True).text)
    assert csrf is not None
    return client, csrf.group(1)


def admitted_at_h1(world: World, name: str) -> dict:
    """A severe patient registered, planned, confirmed and admitted at H1; the person as the API shows them."""
    n = next(_counter)
    with world.client("jiangan") as c:
        sent = c.post(
            "/api/persons",
            json={
                "name": name,
                "category": "confirmed",
                "severity": "severe",
                "unit_code": "420102002002",
                "phone": f"1370000{n:04d}",
            },
        )
        assert sent.status_code in (200, 201), sent.text
        pid = sent.json()["person"]["id"]
    with world.client("dispatcher") as c:
        item = next(a for a in c.get("/api/allocation/plan").json()["assignments"] if a["person"] == pid)
        assert item["facility"] == "H1"
        assert c.post("/api/allocation/confirm", json={"items": [item]}).json()["confirmed"]
    with world.client("facility") as c:
        person = c.post(f"/api/persons/{pid}/admit", json={}).json()
    assert person["placement"] == "admitted"
    return person


def person(world: World, pid: int) -> dict:
    with world.client("facility") as c:
        return c.get(f"/api/persons/{pid}").json()


def test_an_in_patient_row_has_no_outcome_chosen(world):
    p = admitted_at_h1(world, "住院甲")
    client, _ = pages(world, "facility")
    with closing(client):
        html = client.get("/facilities/H1").text
    select = re.search(rf'<select id="out-{p["id"]}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None and "required" in select.group(0)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    assert options[0] == (' value="" selected', "选择结果…")
    assert all("selected" not in attributes for attributes, _ in options[1:])
    assert [label for _, label in options[1:]] == ["治愈出院", "解除观察", "已排除", "死亡"]


def test_saving_without_an_outcome_says_so_and_changes_nothing(world):
    p = admitted_at_h1(world, "住院乙")
    client, csrf = pages(world, "facility")
    with closing(client):
        sent = client.post(
            f"/facilities/H1/people/{p['id']}/outcome",
            data={"csrf_token": csrf, "version": p["version"], "outcome": "", "reason": ""},
        )
    assert sent.status_code == 422
    assert 'data-code="admission.no_outcome"' in sent.text and "请先选择结局" in sent.text
    assert 'id="admitted"' in sent.text  # the desk itself, with the rows, not a dead end
    after = person(world, p["id"])
    assert (after["placement"], after["version"]) == ("admitted", p["version"])


def test_a_discharge_is_asked_again_and_only_the_confirmed_form_discharges(world):
    p = admitted_at_h1(world, "住院丙")
    client, csrf = pages(world, "facility")
    form = {"csrf_token": csrf, "version": p["version"], "outcome": "recovered", "reason": "两次核酸阴性"}
    with closing(client):
        asked = client.post(f"/facilities/H1/people/{p['id']}/outcome", data=form)
        assert asked.status_code == 200 and 'id="confirm-outcome"' in asked.text
        assert "确认为 住院丙 办理“治愈出院”" in asked.text and "H1 机构" in asked.text
        assert 'name="confirm" value="yes"' in asked.text and "两次核酸阴性" in asked.text
        assert person(world, p["id"])["placement"] == "admitted"  # asking changed nothing

        done = client.post(f"/facilities/H1/people/{p['id']}/outcome", data={**form, "confirm": "yes"})
        assert done.status_code == 303 and "flash=desks_outcome_saved" in done.headers["location"]
        desk = client.get(done.headers["location"])
    assert "已登记结局，床位已释放" in desk.text
    after = person(world, p["id"])
    assert (after["status"], after["facility_code"]) == ("recovered", None)  # on to a recovery station


def test_a_death_sent_without_the_confirmation_is_not_recorded(world):
    p = admitted_at_h1(world, "住院丁")
    client, csrf = pages(world, "facility")
    with closing(client):
        for confirm in ("", "no", "1"):  # only the confirmation page's own value confirms
            sent = client.post(
                f"/facilities/H1/people/{p['id']}/outcome",
                data={"csrf_token": csrf, "version": p["version"], "outcome": "dead", "confirm": confirm},
            )
            assert sent.status_code == 200 and "确认死亡" in sent.text
    after = person(world, p["id"])
    assert (after["status"], after["placement"]) == ("confirmed", "admitted")
    with world.client("facility") as c:  # leave the bed free for the other tests
        c.post(f"/api/persons/{p['id']}/outcome", json={"outcome": "recovered"})


def test_the_confirmation_is_not_offered_to_whoever_may_not_discharge(world):
    p = admitted_at_h1(world, "住院戊")
    client, csrf = pages(world, "dispatcher")
    with closing(client):
        sent = client.post(
            f"/facilities/H1/people/{p['id']}/outcome",
            data={"csrf_token": csrf, "version": p["version"], "outcome": "recovered"},
        )
    assert sent.status_code == 403 and "confirm-outcome" not in sent.text
    with world.client("facility") as c:
        c.post(f"/api/persons/{p['id']}/outcome", json={"outcome": "recovered"})


def test_a_stale_confirmation_is_refused_without_changing_anyone(world):
    p = admitted_at_h1(world, "住院己")
    client, csrf = pages(world, "facility")
    with world.client("facility") as c:
        c.post(f"/api/persons/{p['id']}/severity", json={"to": "critical", "reason": "加重"})
    with closing(client):
        sent = client.post(
            f"/facilities/H1/people/{p['id']}/outcome",
            data={"csrf_token": csrf, "version": p["version"], "outcome": "dead", "confirm": "yes"},
        )
    assert sent.status_code == 409
    assert person(world, p["id"])["placement"] == "admitted"
    with world.client("facility") as c:
        c.post(f"/api/persons/{p['id']}/outcome", json={"outcome": "recovered"})


def test_every_bed_count_input_is_named_by_its_column_and_its_row(world):
    client, _ = pages(world, "facility")
    with closing(client):
        html = client.get("/facilities/H1").text
    ids = dict(re.findall(r'<th scope="(?:col|row)"[^>]* id="([^"]+)"[^>]*>([^<]+)</th>', html))
    assert ids["h-capacity"] == "容量" and ids["h-out_of_service"] == "停用" and ids["r-severe"] == "重症床"
    inputs = re.findall(r'<input id="(cap|oos)-(\w+)" form="beds-\2"[^>]*aria-labelledby="([^"]+)"', html)
    assert {(kind, bed) for kind, bed, _ in inputs} == {
        (k, b) for k in ("cap", "oos") for b in ("icu", "severe", "general")
    }
    for _, _, names in inputs:
        assert all(part in ids for part in names.split())
    assert html.count('<form method="post" action="/facilities/H1/beds/') == 3


def test_the_dispatch_plan_names_each_facility_with_its_code_beside_it(world):
    with world.client("jiangan") as c:
        sent = c.post(
            "/api/persons",
            json={
                "name": "待派甲",
                "category": "confirmed",
                "severity": "critical",
                "unit_code": "420102002002",
                "phone": "13600000001",
            },
        )
        assert sent.status_code in (200, 201), sent.text
    with world.client("dispatcher") as c:
        plan = c.get("/api/allocation/plan").json()
    item = next(a for a in plan["assignments"] if a["name"] == "待派甲")
    assert (item["facility"], item["facility_name"]) == ("H1", "H1 机构")
    client, _ = pages(world, "dispatcher")
    with closing(client):
        html = client.get("/dispatch").text
    assert re.search(r'<a href="/facilities/H1">H1 机构</a> <small class="muted mono">H1</small>', html)
