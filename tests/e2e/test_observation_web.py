"""Tracing and observation over HTTP and in Chromium at 390 and 1440 px: the team's day of checks recorded on the
phone form (fever moving the person to febrile at once), the case's chain drawn as SVG with its JSON twin, the
clusters page; refusals for those who may not (another unit's team, a masked role's phones, an analyst). Screenshots:
test-artifacts/observation-390.png, observation-1440.png, observation-chain-390.png, observation-chain-1440.png,
observation-tracing-1440.png."""

from __future__ import annotations

from datetime import date

import pytest

from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from admitall.services.tracing import ExposureInput, register_exposures
from tests.e2e.conftest import ARTIFACTS, World, sign_in
from tests.factories import DAZHI_1, id_number, person_row

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def traced(world: World) -> dict[str, int]:
    """A confirmed case in 幸福社区 with four household contacts under observation, and one contact of a contact."""
    names = ["病例甲", "密接一", "密接二", "密接三", "密接四", "次密接"]
    rows = [
        (i + 2, person_row(name=n, id_number=id_number(seq=800 + i), phone=f"1370000{8000 + i}", unit_code=DAZHI_1,
                           category="confirmed" if i == 0 else "contact", severity="mild" if i == 0 else None))
        for i, n in enumerate(names)
    ]  # fmt: skip
    summary = register_batch(world.ctx, cli_actor(), rows, source="e2e")
    ids = [summary.person_ids[i + 2] for i in range(len(names))]
    on = date(2020, 2, 8)
    register_exposures(
        world.ctx,
        cli_actor(),
        [*(ExposureInput(c, ids[0], on, "household") for c in ids[1:5]), ExposureInput(ids[5], ids[1], on, "work")],
    )
    return {"case": ids[0], "first": ids[1], "second": ids[2], "third": ids[3], "deep": ids[5]}


def test_the_due_list_answers_the_team_and_masks_phones_for_a_masked_role(world, traced):
    with world.client("community") as c:
        due = c.get("/api/observation/due").json()
    assert due["total"] == 5 and all(p["phone"] for p in due["people"])
    with world.client("commander") as c:
        masked = c.get("/api/observation/due").json()
    assert masked["total"] == 5 and all(p["phone"] is None for p in masked["people"])
    with world.client("analyst") as c:
        assert c.get("/api/observation/due").status_code == 403
    with world.client("yiyuan") as c:
        assert c.get("/api/observation/due").json()["total"] == 0
        assert c.get(f"/api/observation/due?unit={DAZHI_1}").status_code == 404


def test_a_check_is_refused_to_another_units_team_and_recorded_by_the_own(world, traced):
    body = {"checks": [{"person_id": traced["third"], "temperature": 36.5}]}
    with world.client("yiyuan") as c:
        refused = c.post("/api/observation/checks", json=body).json()
    assert refused["recorded"] == 0 and refused["refused"][0]["code"] == "person.not_found"
    with world.client("community") as c:
        assert c.post("/api/observation/checks", json=body).json()["recorded"] == 1
        again = c.post("/api/observation/checks", json=body).json()
    assert again["refused"][0]["code"] == "check.already_recorded"
    with world.client("analyst") as c:
        assert c.post("/api/observation/checks", json=body).status_code == 403
    # a time without a zone is the city's (09:30 in Wuhan, before now); a time after now is refused
    deep = traced["deep"]
    timed = {
        "checks": [
            {"person_id": deep, "temperature": 36.4, "at": "2020-02-10T09:30:00"},
            {"person_id": deep, "temperature": 36.4, "at": "2020-02-10T23:00:00+08:00"},
        ]
    }
    with world.client("community") as c:
        answer = c.post("/api/observation/checks", json=timed).json()
    assert answer["recorded"] == 1 and [r["code"] for r in answer["refused"]] == ["check.in_future"]


def test_the_chain_and_contacts_have_their_json_twins_and_stay_in_the_jurisdiction(world, traced):
    with world.client("community") as c:
        chain = c.get(f"/api/persons/{traced['first']}/chain").json()
        contacts = c.get(f"/api/persons/{traced['case']}/contacts").json()
        clusters = c.get("/api/tracing/clusters").json()
        counts = c.get("/api/tracing/counts").json()
    ids = {n["id"] for n in chain["nodes"]}
    assert {traced["case"], traced["first"], traced["deep"]} <= ids
    assert len(contacts["contacts"]) == 4
    assert clusters["largest"][0]["size"] == 6
    assert counts["total"]["contacts_traced"] >= 4
    with world.client("yiyuan") as c:
        assert c.get(f"/api/persons/{traced['case']}/chain").status_code == 404
        assert c.get(f"/api/persons/{traced['case']}/contacts").status_code == 404


def _signed_in(browser, world: World, username: str, viewport: dict):
    context = browser.new_context(base_url=world.url, viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    sign_in(page, username)
    return context, page


def _no_sideways_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide at {width} px"


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["390", "1440"])
def test_the_phone_form_records_a_check_and_fever_moves_the_person_at_once(browser, world, traced, viewport):
    context, page = _signed_in(browser, world, "community", viewport)
    try:
        page.goto("/observation")
        width = viewport["width"]
        _no_sideways_scroll(page, width)
        person = traced["first"] if viewport is PHONE else traced["second"]
        card = page.locator(f'li.obs-card[data-person="{person}"]')
        card.locator('input[name="temperature"]').fill("38.2" if viewport is WIDE else "36.6")
        if viewport is PHONE:
            card.locator('input[name="symptoms"][value="cough"]').check()
        card.locator('button[type="submit"]').first.click()
        page.wait_for_load_state("load")
        assert page.locator("#check-result").count() == 1
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(ARTIFACTS / f"observation-{width}.png"), full_page=True)
        with world.client("community") as c:
            status = c.get(f"/api/persons/{person}").json()
        assert (status.get("status") or status.get("person", {}).get("status")) == "fever"
        page.goto(f"/tracing/{traced['case']}")
        assert page.locator("#chain svg.chain-graph").count() == 1
        assert page.locator("#chain svg g.node").count() >= 5
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(ARTIFACTS / f"observation-chain-{width}.png"), full_page=True)
        if viewport is WIDE:
            page.goto("/tracing")
            assert page.locator("#clusters tbody tr").count() >= 1
            page.screenshot(path=str(ARTIFACTS / "observation-tracing-1440.png"), full_page=True)
            for address in ("/tracing", f"/tracing/{traced['case']}", "/observation"):
                served = page.request.get(address).text()  # as the server sent it: no inline style, no script
                assert "style=" not in served and "<script>" not in served
    finally:
        context.close()


def test_every_page_of_tracing_and_observation_answers_every_role_without_a_server_error(world, traced):
    """Each role on each of these pages (GET and an empty POST): never a server error; a refusal is a 403 in the
    site's frame naming no permission; a person outside the jurisdiction is a 404."""
    from contextlib import closing

    from tests.e2e.test_forbidden_pages import ROLES, assert_refusal_in_the_frame, session

    case = traced["case"]
    pages = [
        ("GET", "/observation"),
        ("GET", "/observation.json"),
        ("GET", "/tracing"),
        ("GET", "/tracing.json"),
        ("GET", f"/tracing/{case}"),
        ("GET", f"/tracing/{case}.json"),
        ("POST", "/observation/checks"),
        ("POST", f"/observation/{traced['third']}/release"),
        ("POST", "/tracing/import"),
        ("POST", f"/tracing/{case}/contacts"),
    ]
    for role in ROLES:
        client, csrf = session(world, role)
        with closing(client):
            for method, path in pages:
                answer = client.get(path) if method == "GET" else client.post(path, data={"csrf_token": csrf})
                assert answer.status_code < 500, f"{role} {method} {path}: {answer.text[:300]}"
                if answer.status_code == 403 and not path.endswith(".json"):
                    assert_refusal_in_the_frame(answer.text, role, f"{role} {method} {path}")
            if role == "analyst":
                assert client.get("/observation").status_code == 403
                assert client.get(f"/tracing/{case}").status_code == 403
    client, _ = session(world, "yiyuan")
    with closing(client):
        assert client.get(f"/tracing/{case}").status_code == 404


def test_a_missed_check_is_an_alert_of_the_team_with_a_link_to_the_person(world, traced):
    from datetime import UTC, datetime

    from admitall.services import watch

    world.clock.set(datetime(2020, 2, 10, 12, 30, tzinfo=UTC))  # 20:30 in Wuhan: the evening's deadline passed
    assert watch.watch(world.ctx)["missed_checks_raised"] >= 1
    with world.client("community") as c:
        listed = c.get("/api/alerts", params={"kind": "missed_check"}).json()
    assert listed["total"] >= 1 and {a["unit_code"] for a in listed["alerts"]} == {DAZHI_1}, list(listed)
    from contextlib import closing

    from tests.e2e.test_forbidden_pages import session

    client, _ = session(world, "community")
    with closing(client):
        page = client.get("/alerts", params={"kind": "missed_check"}).text
    assert 'href="/tracing/' in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pages_speak_one_language_at_a_time(world, traced, lang):
    """Tracing and observation with their data in Chinese and in English: no word of the other language but data
    (names, units) and the allowed codes and units."""
    from contextlib import closing

    from tests.e2e.language_walk import DataWords, foreign_words, visible_text
    from tests.e2e.test_forbidden_pages import session

    data = DataWords.read(world.ctx.engine)
    client, _ = session(world, "community")
    found = {}
    with closing(client):
        for path in ("/observation", "/tracing", f"/tracing/{traced['case']}", f"/tracing/{traced['first']}"):
            page = client.get(path, params={"lang": lang})
            assert page.status_code == 200, path
            found[path] = list(foreign_words(visible_text(page.text), lang, data))
    assert {k: v for k, v in found.items() if v} == {}


def test_a_contact_list_uploaded_on_the_page_accounts_for_every_row(world, traced):
    """The upload on /tracing (Chinese headers, CSV): accepted, merged and rejected rows counted, each rejection
    with its row, field and reason; the person's page links to their contacts and chain."""
    import re
    from contextlib import closing

    from tests.e2e.test_forbidden_pages import session

    case = traced["case"]
    csv = (
        "姓名,手机号,社区编码,病例编号,接触日期,接触场所\n"
        f"上传一,13600000001,{DAZHI_1},{case},2020-02-08,家庭\n"
        f"上传二,13600000002,{DAZHI_1},{case},2020-02-09,工作场所\n"
        f"上传三,13600000003,{DAZHI_1},999999,2020-02-09,家庭\n"
    ).encode()
    client, csrf = session(world, "community")
    with closing(client):
        answer = client.post(
            "/tracing/import",
            data={"csrf_token": csrf},
            files={"file": ("密接名单.csv", csv, "text/csv")},
        )
        assert answer.status_code == 200, answer.text[:300]
        result = re.search(r'id="import-result">([^<]+)<', answer.text)
        assert result is not None and "3" in result.group(1)
        assert answer.text.count("<tr><td>4</td>") == 1  # the row naming no case, rejected with its reason
        person = client.get(f"/people/{case}").text
    assert f'href="/tracing/{case}"' in person
    with world.client("community") as c:
        names = {x["name"] for x in c.get(f"/api/persons/{case}/contacts").json()["contacts"]}
    assert {"上传一", "上传二"} <= names and "上传三" not in names
