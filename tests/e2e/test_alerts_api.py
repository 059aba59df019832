"""The alerts over HTTP: a page with the real total, each alert saying whether I may acknowledge it; several
acknowledged at once with each refusal named; refusals for whoever may not (403), and 404 outside the
jurisdiction; the problems list paged the same way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admitall.domain.access import Role
from admitall.services import reporting, watch
from admitall.services.context import Actor
from admitall.services.reporting import ReportInput
from tests.factories import CITY, DAZHI, DAZHI_1, WUCHANG

SILENT = {DAZHI, DAZHI_1}
REPORTING = ["420102000000", "420102002002", "420102003000", "420102003001", "420106000000", "420106001000"]


@pytest.fixture(scope="module")
def broken(world):
    """The 10:00 hour: every unit reports but 大智街道 and 幸福社区; at 11:15 the watch has raised their alerts."""
    start = world.clock.now()
    world.clock.set(start + timedelta(minutes=40))
    officer = Actor("officer", Role.UNIT_OFFICER, CITY)
    for unit in [*REPORTING, "420106001001"]:
        reporting.submit(
            world.ctx,
            officer,
            ReportInput(unit_code=unit, period_start=start, reported={}, attested_by="值班员", attest=True),
        )
    world.clock.set(start + timedelta(hours=1, minutes=15))
    watch.watch(world.ctx)
    return world


def _ids(client) -> dict[str, int]:
    return {a["unit_code"]: a["id"] for a in client.get("/api/alerts").json()["alerts"]}


def test_a_page_of_alerts_carries_its_total_and_who_may_acknowledge_each(broken):
    with broken.client("dazhi") as c:
        page = c.get("/api/alerts").json()
        assert (page["total"], page["page"], page["size"], page["open"]) == (2, 1, 50, 2)
        may = {a["unit_code"]: a["may_acknowledge"] for a in page["alerts"]}
        assert may == {DAZHI_1: True, DAZHI: False}  # its community's to answer; its own is the district's
        one = c.get("/api/alerts", params={"size": 1, "page": 2}).json()
        assert (one["total"], one["pages"], len(one["alerts"])) == (2, 2, 1)
    with broken.client("community") as c:
        assert [a["may_acknowledge"] for a in c.get("/api/alerts").json()["alerts"]] == [False]


def test_several_at_once_acknowledge_what_is_allowed_and_name_each_refusal(broken):
    with broken.client("jiangan") as c:
        ids = _ids(c)
    with broken.client("dazhi") as c:
        single = c.post(f"/api/alerts/{ids[DAZHI]}/acknowledge", json={"note": "自己确认自己"})
        assert single.status_code == 403 and single.json()["error"]["code"] == "alert.not_yours"
        done = c.post("/api/alerts/acknowledge", json={"ids": [ids[DAZHI_1], ids[DAZHI]], "note": "已电话联系"})
        assert done.status_code == 200
        body = done.json()
        assert body["acknowledged"] == [ids[DAZHI_1]]
        assert [(x["id"], x["code"]) for x in body["refused"]] == [(ids[DAZHI], "alert.not_yours")]
        assert c.get("/api/alerts").json()["total"] == 1
    with broken.client("jiangan") as c:
        assert c.post("/api/alerts/acknowledge", json={"ids": [ids[DAZHI]]}).json()["acknowledged"] == [ids[DAZHI]]
        assert c.get("/api/alerts").json()["total"] == 0
        every = c.get("/api/alerts", params={"state": "all"}).json()
        assert {a["state"] for a in every["alerts"]} == {"acknowledged"}


def test_who_may_not_is_refused_and_outside_the_jurisdiction_is_not_found(broken):
    with broken.client("analyst") as c:
        refused = c.post("/api/alerts/acknowledge", json={"ids": [1]})
        assert refused.status_code == 403
    with broken.client("dazhi") as c:
        outside = c.get("/api/alerts", params={"unit": WUCHANG})
        nowhere = c.get("/api/alerts", params={"unit": "420102002099"})
        assert outside.status_code == nowhere.status_code == 404
        assert c.get("/api/alerts", params={"state": "some"}).status_code == 422
        assert c.post("/api/alerts/acknowledge", json={"ids": []}).status_code == 422
        assert c.get("/api/alerts", params={"size": 500}).status_code == 422


def test_only_who_may_resolve_a_problem_is_offered_to(broken):
    """The community's problem that needs help is the street's to resolve: the street (and the district) are
    offered it, the community sees it without the offer, and a street beside it is answered 404."""
    start = broken.clock.now().replace(minute=0) - timedelta(hours=1)
    problem = {"type": "supplies", "severity": "high", "description": "缺体温枪", "needs_help": True}
    with broken.client("community") as c:
        sent = c.post(
            "/api/reports",
            json={"unit_code": DAZHI_1, "period_start": start.isoformat(), "reported": {}, "attested_by": "网格员",
                  "attest": True, "problems": [problem]},
        )  # fmt: skip
        assert sent.status_code == 201, sent.text
        [mine] = [p for p in c.get("/api/problems").json()["problems"] if p["description"] == "缺体温枪"]
        assert mine["may_resolve"] is False
    for user in ("dazhi", "jiangan"):
        with broken.client(user) as c:
            [seen] = [p for p in c.get("/api/problems").json()["problems"] if p["id"] == mine["id"]]
            assert seen["may_resolve"] is True, user
    with broken.client("yiyuan") as c:
        assert c.post(f"/api/problems/{mine['id']}/resolve", json={"note": "代为解决"}).status_code == 404
    with broken.client("dazhi") as c:
        assert c.post(f"/api/problems/{mine['id']}/resolve", json={"note": "街道送去体温枪"}).status_code == 200


def test_the_problems_list_pages_with_its_total(broken):
    with broken.client("dazhi") as c:
        listed = c.get("/api/problems", params={"status": "all", "size": 1})
        assert listed.status_code == 200
        body = listed.json()
        assert {"total", "page", "size", "pages", "problems"} <= set(body)
        assert c.get("/api/problems", params={"status": "some"}).status_code == 422
