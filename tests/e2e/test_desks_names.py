"""One person, one name (issue 14 §4): a user who signs in as an official is shown by that official's name and
title in the header, on /me and on the directives they issued or acknowledged; a user who is no official keeps
their display name. A directive the registry completed says so in the page's language only."""

from __future__ import annotations

import re
from contextlib import closing
from datetime import timedelta

from admitall.services.directives import complete_measured
from admitall.services.watch import watch
from tests.e2e.conftest import World
from tests.e2e.test_desks_web import pages
from tests.e2e.test_forbidden_pages import visible_text
from tests.factories import JIANGAN, YIYUAN

HQ = "王忠 市指挥部副指挥长"  # the official the e2e world's `commander` signs in as (tests.factories.LEADS)


def header_name(page: str) -> str:
    found = re.search(r'<span title="(?:当前用户|Signed in as)">([^<]+) · ', page)
    assert found is not None, "no signed-in name in the header"
    return found.group(1)


def issue(world: World, title: str, unit: str, target: dict | None = None) -> dict:
    with world.client("commander") as c:
        sent = c.post(
            "/api/directives", json={"title": title, "due_at": "2020-02-10T20:00", "units": [unit], "target": target}
        )
    assert sent.status_code == 201, sent.text
    return sent.json()


def test_a_user_linked_to_an_official_is_shown_by_the_officials_name_and_title(world):
    client, _ = pages(world, "commander")
    with closing(client):
        home = client.get("/", follow_redirects=True).text
        me = client.get("/me").text
    assert header_name(home) == header_name(me) == HQ
    assert re.search(r"<h1>[^<]*王忠 <small class=\"muted\">市指挥部副指挥长", me)
    with world.client("commander") as api:
        assert api.get("/api/me").json()["display_name"] == HQ


def test_a_user_who_is_no_official_keeps_the_display_name(world):
    client, _ = pages(world, "dispatcher")
    with closing(client):
        assert header_name(client.get("/", follow_redirects=True).text) == "dispatcher"


def test_a_directive_shows_its_issuer_and_who_acknowledged_it_by_name_and_title(world):
    sent = issue(world, "核查发热门诊登记", JIANGAN)
    assert sent["issuer"] == "commander" and sent["issuer_name"] == HQ  # JSON: the username and the name
    recipient = sent["recipients"][0]["id"]
    with world.client("jiangan") as c:
        assert c.post(f"/api/directives/recipients/{recipient}/acknowledge").status_code == 200
    district, _ = pages(world, "jiangan")
    with closing(district):
        received = district.get("/directives").text
    row = re.search(rf'<tr id="r-{recipient}".*?</tr>', received, re.S)
    assert row is not None and f"下达人：{HQ}" in row.group(0) and ">commander<" not in row.group(0)
    hq, _ = pages(world, "commander")
    with closing(hq):
        issued = hq.get("/directives").text
    item = re.search(rf'<li id="i-{recipient}".*?</li>', issued, re.S)
    assert item is not None and "确认收悉 李江 区委副书记" in visible_text(item.group(0))


def test_a_directive_the_registry_completed_says_so_in_one_language(world):
    sent = issue(world, "一元街道清零", YIYUAN, {"kind": "none_waiting"})
    recipient = sent["recipients"][0]["id"]
    with world.ctx.uow(write=True) as uow:
        assert complete_measured(uow, world.clock.now()) >= 1
        uow.commit()
    client, _ = pages(world, "commander")
    with closing(client):
        zh = visible_text(client.get("/directives").text)
        en = visible_text(client.get("/directives?lang=en").text)
    zh_item = zh[zh.index("一元街道清零") :]
    assert "系统核实：全部类别：待收治 0 人" in zh_item and "registry" not in zh
    assert "The registry shows: any class: nobody left waiting" in en and "系统核实" not in en
    with world.client("commander") as c:
        view = c.get(f"/api/directives/{sent['id']}").json()["recipients"][0]
    assert (view["id"], view["completed_by"], view["completed_by_registry"]) == (recipient, "system", True)
    assert view["verified"] == {"zh": "全部类别：待收治 0 人", "en": "any class: nobody left waiting"}


def test_the_audit_log_and_a_persons_history_name_who_did_it(world):
    issue(world, "核查隔离点登记", JIANGAN)
    with world.client("jiangan") as c:
        pid = c.post(
            "/api/persons",
            json={"name": "记录甲", "category": "contact", "unit_code": "420102002002", "phone": "13500000099"},
        ).json()["person"]["id"]
    client, _ = pages(world, "commander")
    with closing(client):
        audit = client.get("/audit?action=issue_directive").text
        history = client.get(f"/people/{pid}").text
    row = re.search(r'<tr data-entry="\d+">.*?</tr>', audit, re.S)
    assert row is not None and f"{HQ} commander" in " ".join(visible_text(row.group(0)).split())
    table = re.search(r'<table class="grid" id="history">.*?</table>', history, re.S)
    assert table is not None and "李江 区委副书记" in visible_text(table.group(0))


def test_an_acknowledged_alert_names_who_acknowledged_it(world):
    watch(world.ctx)  # the chain's watch: its first round starts the count, the next raises what went missing
    world.clock.advance(timedelta(hours=2))  # the last test of the module: the clock stays on
    watch(world.ctx)
    with world.client("dazhi") as c:
        alerts = c.get("/api/alerts", params={"state": "open", "size": 200}).json()
        mine = next(a for a in alerts["alerts"] if a.get("may_acknowledge"))
        assert c.post(f"/api/alerts/{mine['id']}/acknowledge", json={"note": "已电话督促"}).status_code == 200
    client, _ = pages(world, "dazhi")
    with closing(client):
        listed = client.get("/alerts.json", params={"state": "all", "size": 200}).json()
    seen = next(a for a in listed["alerts"] if a["id"] == mine["id"])
    assert (seen["acknowledged_by"], seen["acknowledged_by_name"]) == ("dazhi", "张智 街道工委书记")
