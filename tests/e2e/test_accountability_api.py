"""The accountability API over real HTTP: the successes, and the refusals (no token, wrong role, wrong place)."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
from openpyxl import load_workbook

from admitall.services.scorecards import store_day, today
from tests.factories import CITY, DAZHI, DAZHI_1, DAZHI_2, JIANGAN, WUCHANG, YIYUAN

DUE = "2020-02-11T10:00:00+08:00"


def test_every_accountability_route_needs_a_token(world):
    for path in (
        "/api/officials",
        "/api/directives",
        "/api/me/desk",
        f"/api/scorecards/units/{CITY}",
        "/api/briefs/daily",
    ):
        assert httpx.get(world.url + path).status_code == 401, path
    assert httpx.post(world.url + "/api/directives", json={"title": "x", "due_at": DUE}).status_code == 401


def test_hq_issues_a_directive_and_the_district_acknowledges_and_completes_it(world):
    with world.client("commander") as hq:
        sent = hq.post(
            "/api/directives", json={"title": "核查辖区隔离点床位", "due_at": DUE, "units": [JIANGAN, WUCHANG]}
        )
        assert sent.status_code == 201, sent.text
        body = sent.json()
        assert {r["unit_code"] for r in body["recipients"]} == {JIANGAN, WUCHANG}
    mine = next(r for r in body["recipients"] if r["unit_code"] == JIANGAN)
    with world.client("jiangan") as district:
        inbox = district.get("/api/directives").json()["received"]
        assert [x["title"] for x in inbox] == ["核查辖区隔离点床位"]
        assert district.post(f"/api/directives/recipients/{mine['id']}/acknowledge").json()["status"] == "acknowledged"
        empty = district.post(f"/api/directives/recipients/{mine['id']}/complete", json={"note": ""})
        assert empty.status_code == 422 and empty.json()["error"]["code"] == "directive.needs_note"
        done = district.post(f"/api/directives/recipients/{mine['id']}/complete", json={"note": "已核查 12 处"})
        assert done.json()["status"] == "completed"
        other = next(r for r in body["recipients"] if r["unit_code"] == WUCHANG)
        assert district.post(f"/api/directives/recipients/{other['id']}/acknowledge").status_code == 404
        to_street = district.post("/api/directives", json={"title": "逐户排查", "due_at": DUE, "units": [DAZHI]}).json()
        assert [x["title"] for x in district.get("/api/directives").json()["received"]] == ["核查辖区隔离点床位"]
        street_copy = to_street["recipients"][0]["id"]
        in_its_place = district.post(f"/api/directives/recipients/{street_copy}/acknowledge")
        assert in_its_place.status_code == 403 and in_its_place.json()["error"]["code"] == "directive.not_yours"
    with world.client("dazhi") as street:
        assert street.post(f"/api/directives/recipients/{street_copy}/acknowledge").json()["status"] == "acknowledged"


def test_directives_go_only_down_and_only_from_those_who_command(world):
    with world.client("dazhi") as street:
        sibling = street.post("/api/directives", json={"title": "支援", "due_at": DUE, "units": [YIYUAN]})
        assert sibling.status_code == 404
        itself = street.post(
            "/api/directives",
            json={"title": "自查", "due_at": DUE, "units": [DAZHI]},
            headers={"Accept-Language": "en"},
        )
        assert itself.status_code == 403 and "goes only to units below" in itself.json()["error"]["message"]
        broadcast = street.post(
            "/api/directives", json={"title": "入户排查", "due_at": DUE, "broadcast_level": "community"}
        )
        assert {r["unit_code"] for r in broadcast.json()["recipients"]} == {DAZHI_1, DAZHI_2}
        past = street.post(
            "/api/directives", json={"title": "x", "due_at": "2020-02-01T10:00:00+08:00", "units": [DAZHI_1]}
        )
        assert past.status_code == 422 and past.json()["error"]["code"] == "directive.due_in_past"
    for username in ("analyst", "dispatcher", "facility", "admin"):
        with world.client(username) as c:
            refused = c.post("/api/directives", json={"title": "x", "due_at": DUE, "units": [JIANGAN]})
            assert refused.status_code == 403, username


def test_officials_and_handovers_are_for_hq_and_administrators(world):
    with world.client("dazhi") as street:
        assert street.post("/api/officials", json={"name": "x", "home_unit": DAZHI_1}).status_code == 403
        assert street.get(f"/api/units/{JIANGAN}/leads").status_code == 404  # above the street: not its business
        assert street.get(f"/api/units/{DAZHI_1}/leads").json()["lead"]["official_name"] == "刘幸"
    with world.client("commander") as hq:
        new = hq.post(
            "/api/officials", json={"name": "钱新", "title": "市直下沉干部", "home_unit": CITY, "phone": "13912345678"}
        )
        assert new.status_code == 201
        moved = hq.post(f"/api/units/{WUCHANG}/lead", json={"official_id": new.json()["id"], "reason": "下沉包保"})
        assert moved.json()["previous_official_id"] is not None
        listed = {o["name"]: o for o in hq.get("/api/officials").json()["officials"]}
        assert listed["钱新"]["phone"] == "13912345678" and listed["钱新"]["leads"][0]["code"] == WUCHANG
    with world.client("analyst") as analyst:
        masked = {o["name"]: o for o in analyst.get("/api/officials").json()["officials"]}
        assert masked["钱新"]["phone"] == "139****5678"


def test_scorecards_are_limited_to_the_jurisdiction(world):
    store_day(world.ctx, today(world.ctx))
    with world.client("community") as community:
        assert community.get(f"/api/scorecards/units/{DAZHI_1}").status_code == 200
        assert community.get(f"/api/scorecards/units/{DAZHI_2}").status_code == 404
        desk = community.get("/api/me/desk").json()
        assert [u["code"] for u in desk["leads"]] == [DAZHI_1] and "score" in desk
    with world.client("commander") as hq:
        ranking = hq.get("/api/scorecards/ranking", params={"level": "district"}).json()
        assert {e["subject"] for e in ranking["entries"]} == {JIANGAN, WUCHANG}
        sheet = hq.get("/api/scorecards/ranking.xlsx", params={"level": "区"})  # a level by its Chinese name
        assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(sheet.content))
        names = {row[2] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
        assert names == {"江岸区", "武昌区"}
        yesterday = (today(world.ctx) - timedelta(days=1)).isoformat()
        assert hq.get(f"/api/scorecards/units/{CITY}", params={"day": yesterday}).json()["stored"] is False
        bad = hq.get(f"/api/scorecards/units/{CITY}", params={"day": "10/02/2020"})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "scorecard.bad_day"
    with world.client("jiangan") as district:
        streets = district.get("/api/scorecards/ranking", params={"level": "street", "kind": "official"}).json()
        assert all(u["code"].startswith("420102") for e in streets["entries"] for u in e["units"])
    with world.client("dispatcher") as dispatcher:  # not an official
        refused = dispatcher.get("/api/me/desk", headers={"Accept-Language": "en"})
        assert refused.status_code == 404 and "not linked to an official" in refused.json()["error"]["message"]
