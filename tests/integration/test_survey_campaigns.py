"""Survey campaigns and households (issue 17 §3): set by a district or HQ over its own subtree, progress by unit
(households visited / planned, done by the campaign's rule, people found by category) limited to the viewer's
jurisdiction, households imported with every row accounted; and over HTTP: the JSON twins, the CSRF token the app
gets from its session, and the refusals."""

from __future__ import annotations

import httpx
import pytest

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.services import survey
from admitall.services.command import command_screen
from admitall.services.survey_progress import campaign_progress, command_tile
from admitall.services.survey_visits import record_visits
from admitall.services.tabular import parse_table
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    DAZHI_2,
    JIANGAN,
    PASSWORD,
    WUCHANG,
    WUCHANG_1,
    YIYUAN,
    load_small_city,
    make_user,
    officer,
)
from tests.live_server import serving

TEAM_1 = officer(DAZHI_1, username="team1")
TEAM_2 = officer(DAZHI_2, username="team2")
DISTRICT = officer(JIANGAN, username="district")


def _campaign(ctx, actor=DISTRICT, units=(JIANGAN,), absent=2):
    return survey.create_campaign(
        ctx,
        actor,
        name="拉网式排查",
        starts_on="2020-02-10",
        ends_on="2020-02-12",
        units_codes=units,
        absent_visits_done=absent,
    )


def _visit(key, hid, outcome="visited", people=()):
    return {
        "key": key,
        "household_id": hid,
        "outcome": outcome,
        "occurred_at": "2020-02-10 09:00",
        "people": list(people),
    }


def test_households_import_accounts_for_every_row(ctx):
    load_small_city(ctx)
    data = (
        "地址,户主,社区编码\n幸福路1号,王,\n幸福路1号,王,\n,李,\n和平路2号,赵,420102002002\n幸福路2号,,420102002001\n"
    )
    table = parse_table(data.encode(), survey.HOUSEHOLD_HEADERS, ("address",))
    result = survey.add_households(ctx, TEAM_1, DAZHI_1, table.rows)
    assert (result["rows"], result["added"], result["already"]) == (5, 2, 1)
    assert [(r["row"], r["field"]) for r in result["rejected"]] == [(4, "address"), (5, "community_code")]
    assert result["added"] + result["already"] + len(result["rejected"]) == result["rows"]
    paged = survey.households(ctx, TEAM_1, DAZHI_1, page=2, size=1)
    assert (paged["total"], paged["pages"], [h["address"] for h in paged["households"]]) == (2, 2, ["幸福路2号"])
    with pytest.raises(NotFound):  # another community answers as one that does not exist
        survey.add_households(ctx, TEAM_1, DAZHI_2, [(2, {"address": "和平路1号"})])
    with pytest.raises(InvalidInput):  # a street is not a community
        survey.households(ctx, officer(DAZHI), DAZHI)


def test_a_campaign_is_set_by_a_district_or_hq_over_its_own_subtree_only(ctx):
    load_small_city(ctx)
    assert _campaign(ctx)["units"] == [JIANGAN]
    assert _campaign(ctx, officer(CITY, role=Role.COMMANDER), (JIANGAN, WUCHANG))["units"] == [JIANGAN, WUCHANG]
    with pytest.raises(Forbidden):  # a street, a community: below a district
        _campaign(ctx, officer(DAZHI), (DAZHI,))
    with pytest.raises(Forbidden):
        _campaign(ctx, TEAM_1, (DAZHI_1,))
    with pytest.raises(Forbidden):  # an analyst may not direct anyone
        _campaign(ctx, officer(CITY, role=Role.ANALYST), (JIANGAN,))
    with pytest.raises(NotFound):  # another district's units
        _campaign(ctx, DISTRICT, (WUCHANG,))
    with pytest.raises(InvalidInput):
        survey.create_campaign(
            ctx, DISTRICT, name="x", starts_on="2020-02-12", ends_on="2020-02-10", units_codes=[JIANGAN]
        )


def test_progress_by_unit_counts_visited_absent_twice_and_people_found(ctx):
    load_small_city(ctx)
    campaign = _campaign(ctx)
    survey.add_households(ctx, TEAM_1, DAZHI_1, [(i, {"address": f"幸福路{i}号"}) for i in range(2, 6)])
    survey.add_households(ctx, TEAM_2, DAZHI_2, [(2, {"address": "和平路1号"})])
    h1 = [h["id"] for h in survey.households(ctx, TEAM_1, DAZHI_1)["households"]]
    fever = {"name": "王五", "temperature": 38.1}
    record_visits(
        ctx,
        TEAM_1,
        [
            _visit("k-0000001", h1[0], people=[fever, {"name": "王六"}]),
            _visit("k-0000002", h1[1], "absent"),
            _visit("k-0000003", h1[1], "absent"),  # nobody home twice: done by this campaign's rule
            _visit("k-0000004", h1[2], "absent"),  # once: not yet
        ],
    )
    data = campaign_progress(ctx, DISTRICT, campaign["id"])
    assert data["total"]["planned"] == 5 and data["total"]["visited"] == 1 and data["total"]["absent_done"] == 1
    assert data["total"]["done"] == 2 and data["total"]["visits"] == 4
    assert data["total"]["found"]["fever"] == 1 and data["total"]["found"]["none"] == 1
    streets = campaign_progress(ctx, DISTRICT, campaign["id"], JIANGAN)["rows"]
    # every street below, one with nothing listed yet too
    assert [(r["code"], r["planned"], r["done"]) for r in streets] == [(DAZHI, 5, 2), (YIYUAN, 0, 0)]
    communities = campaign_progress(ctx, DISTRICT, campaign["id"], DAZHI)["rows"]
    assert [(r["code"], r["planned"], r["done"]) for r in communities] == [(DAZHI_1, 4, 2), (DAZHI_2, 1, 0)]
    # a community sees its own unit only; another district's team does not see the campaign at all
    own = campaign_progress(ctx, TEAM_2, campaign["id"])
    assert [r["code"] for r in own["rows"]] == [DAZHI_2] and own["total"]["planned"] == 1
    with pytest.raises(NotFound):
        campaign_progress(ctx, officer(WUCHANG_1), campaign["id"])
    tile = command_tile(ctx, DISTRICT, JIANGAN)
    assert [(t["id"], t["planned"], t["done"], t["found"]["fever"]) for t in tile] == [(campaign["id"], 5, 2, 1)]
    # the command screen carries the tile: for the city (the campaign is over a district of it), for a street in it
    assert command_screen(ctx, officer(CITY, role=Role.COMMANDER))["survey"][0]["planned"] == 5
    assert command_screen(ctx, officer(DAZHI))["survey"][0]["done"] == 2
    assert command_screen(ctx, officer(WUCHANG))["survey"] == []


def test_over_http_the_app_posts_with_its_sessions_csrf_token_and_the_twins_answer(sqlite_ctx):
    ctx = sqlite_ctx
    load_small_city(ctx, leads=False)
    make_user(ctx, "team1", "unit_officer", DAZHI_1)
    make_user(ctx, "district", "unit_officer", JIANGAN)
    make_user(ctx, "analyst", "analyst", CITY)
    campaign = _campaign(ctx)
    survey.add_households(ctx, TEAM_1, DAZHI_1, [(2, {"address": "幸福路1号"})])
    with serving(ctx) as url:
        team = httpx.Client(base_url=url, timeout=30)
        login = team.get("/login")
        token = login.cookies.get("admitall_login_csrf")
        team.post(
            "/login", data={"username": "team1", "password": PASSWORD, "login_csrf": token, "next": "/survey/app"}
        )
        session = team.get("/api/survey/session").json()
        assert session["community"] == DAZHI_1 and session["csrf"]
        households = team.get("/api/survey/households", params={"community": DAZHI_1}).json()
        assert households["campaign"]["id"] == campaign["id"]
        body = {"visits": [_visit("http-0001", households["households"][0]["id"])]}
        refused = team.post("/api/survey/visits", json=body)  # no CSRF token: refused, nothing stored
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "auth.csrf"
        stored = team.post("/api/survey/visits", json=body, headers={"X-CSRF-Token": session["csrf"]})
        assert stored.status_code == 200 and stored.json()["stored"] == 1
        assert team.get("/api/survey/households", params={"community": DAZHI_2}).status_code == 404
        assert team.get("/survey/app.json").status_code == 200
        twin = team.get(f"/survey/campaigns/{campaign['id']}.json").json()
        assert [r["code"] for r in twin["rows"]] == [DAZHI_1] and twin["total"]["visited"] == 1
        page = team.get(f"/survey/campaigns/{campaign['id']}")
        assert page.status_code == 200 and 'data-figure="total.visited">1<' in page.text
        assert team.get("/survey/campaigns/999.json").status_code == 404
        assert team.get("/survey/campaigns.json").json()["campaigns"][0]["id"] == campaign["id"]
        assert "幸福路1号" in team.get("/survey/households").text
        assert team.get("/survey/sw.js").headers["content-type"].startswith("text/javascript")
        district = httpx.Client(base_url=url, timeout=30)
        district.headers["Authorization"] = (
            "Bearer "
            + district.post("/api/auth/token", data={"username": "district", "password": PASSWORD}).json()[
                "access_token"
            ]
        )
        progress = district.get(f"/api/survey/campaigns/{campaign['id']}").json()
        assert progress["total"]["visited"] == 1
        analyst = httpx.Client(base_url=url, timeout=30)
        analyst.headers["Authorization"] = (
            "Bearer "
            + analyst.post("/api/auth/token", data={"username": "analyst", "password": PASSWORD}).json()["access_token"]
        )
        assert analyst.post("/api/survey/visits", json=body).status_code == 403
        assert analyst.get(f"/api/survey/campaigns/{campaign['id']}").json()["total"]["visited"] == 1
        assert (
            analyst.post(
                "/api/survey/campaigns",
                json={"name": "x", "starts_on": "2020-02-10", "ends_on": "2020-02-10", "units": [JIANGAN]},
            ).status_code
            == 403
        )
