"""The person page follows the desk's rule (issue 14 §4): no new status or severity is chosen for the user (an empty
first choice; sent without one, the page says so and nothing changes), and recording a death is asked once more:
only the confirmation page's own form records it."""

from __future__ import annotations

import re
from contextlib import closing

from tests.e2e.conftest import World
from tests.e2e.test_desks_web import pages


def registered(world: World, name: str, phone: str, **fields: str) -> dict:
    with world.client("jiangan") as c:
        sent = c.post(
            "/api/persons",
            json={
                "name": name,
                "category": "confirmed",
                "severity": "moderate",
                "unit_code": "420102002002",
                "phone": phone,
                **fields,
            },
        )
    assert sent.status_code in (200, 201), sent.text
    return sent.json()["person"]


def person(world: World, pid: int) -> dict:
    with world.client("jiangan") as c:
        return c.get(f"/api/persons/{pid}").json()


def test_the_person_page_chooses_no_new_status_or_severity(world):
    p = registered(world, "类别甲", "13500000001")
    client, _ = pages(world, "jiangan")
    with closing(client):
        page = client.get(f"/people/{p['id']}").text
    for select_id, first in (("to", "选择新的类别…"), ("sev-to", "选择病情…")):
        select = re.search(rf'<select id="{select_id}" name="to" required>(.*?)</select>', page, re.S)
        assert select is not None, select_id
        options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
        assert options[0] == (' value="" selected', first)
        assert all("selected" not in attributes for attributes, _ in options[1:])


def test_a_change_sent_without_a_choice_says_so_and_changes_nothing(world):
    p = registered(world, "类别乙", "13500000002")
    client, csrf = pages(world, "jiangan")
    with closing(client):
        for path, code in (("reclassify", "status.not_chosen"), ("severity", "severity.not_chosen")):
            sent = client.post(
                f"/people/{p['id']}/{path}", data={"csrf_token": csrf, "version": p["version"], "to": ""}
            )
            assert sent.status_code == 422 and f'data-code="{code}"' in sent.text and "未做任何更改" in sent.text
    after = person(world, p["id"])
    assert (after["status"], after["severity"], after["version"]) == ("confirmed", "moderate", p["version"])


def test_a_death_is_recorded_only_from_the_confirmation_page(world):
    p = registered(world, "类别丙", "13500000003")
    client, csrf = pages(world, "jiangan")
    form = {"csrf_token": csrf, "version": p["version"], "to": "dead", "reason": "抢救无效"}
    with closing(client):
        for confirm in ("", "1"):
            asked = client.post(f"/people/{p['id']}/reclassify", data={**form, "confirm": confirm})
            assert asked.status_code == 200 and 'id="confirm-reclassify"' in asked.text
            assert "确认将 类别丙 登记为“死亡”？" in asked.text and "抢救无效" in asked.text
        assert person(world, p["id"])["status"] == "confirmed"
        done = client.post(f"/people/{p['id']}/reclassify", data={**form, "confirm": "yes"})
    assert done.status_code == 303
    assert person(world, p["id"])["status"] == "dead"


def test_another_reclassification_needs_no_second_step(world):
    p = registered(world, "类别丁", "13500000004", category="suspected")
    client, csrf = pages(world, "jiangan")
    with closing(client):
        sent = client.post(
            f"/people/{p['id']}/reclassify",
            data={"csrf_token": csrf, "version": p["version"], "to": "excluded", "reason": "核酸阴性"},
        )
    assert sent.status_code == 303 and person(world, p["id"])["status"] == "excluded"


def test_the_death_question_is_not_put_to_whoever_may_not_record_it(world):
    p = registered(world, "类别戊", "13500000005")
    client, csrf = pages(world, "dispatcher")
    with closing(client):
        sent = client.post(
            f"/people/{p['id']}/reclassify", data={"csrf_token": csrf, "version": p["version"], "to": "dead"}
        )
    assert sent.status_code == 403 and "confirm-reclassify" not in sent.text
    assert person(world, p["id"])["status"] == "confirmed"
