"""Supply requests up the chain and HQ allocation (issue 18 §1) on SQLite and PostgreSQL: who asks, who decides,
what a decision moves, the refusals, and the allocation's proposal written in one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.services import supplies as sup
from admitall.services import supply_allocation as alloc
from admitall.services import supply_requests as req
from admitall.store.tables import audit_log
from admitall.store.tables_supplies import supply_movements
from tests.factories import CITY, DAZHI, DAZHI_1, JIANGAN, WUCHANG, WUCHANG_STREET, officer
from tests.integration.supplies_world import (
    COMMUNITY,
    DAZHI_OFFICER,
    H1_DESK,
    HQ,
    JIANGAN_OFFICER,
    WUCHANG_OFFICER,
    at_once,
    occupy,
    small_city,
)


@pytest.fixture
def city(ctx):
    return small_city(ctx)


def receive(ctx, actor, kind, code, item, n):
    sup.record_movement(ctx, actor, kind, code, {"kind": "receipt", "item_code": item, "quantity": str(n)})


def held(ctx, kind, code, item):
    return {i["item_code"]: i["on_hand"] for i in sup.site_stock(ctx, HQ, kind, code)["items"]}.get(item, 0)


def test_a_community_asks_its_street_which_approves_part_with_a_reason_and_the_stock_moves(city):
    receive(city, DAZHI_OFFICER, "unit", DAZHI, "n95_mask", 300)
    asked = req.ask(city, COMMUNITY, "unit", DAZHI_1, [("n95_mask", "500"), ("goggles", "")], "screening teams")
    assert asked["approver_unit"] == DAZHI and asked["state"] == "open" and len(asked["lines"]) == 1
    line = asked["lines"][0]["id"]
    with pytest.raises(InvalidInput):  # a part needs its reason
        req.decide(city, DAZHI_OFFICER, asked["id"], {line: "200"}, "", "unit", DAZHI)
    with pytest.raises(InvalidInput):  # never more than asked
        req.decide(city, DAZHI_OFFICER, asked["id"], {line: "600"}, "ok", "unit", DAZHI)
    decided = req.decide(city, DAZHI_OFFICER, asked["id"], {line: "200"}, "the rest next week", "unit", DAZHI)
    assert decided["state"] == "partial" and decided["lines"][0]["approved"] == 200
    assert held(city, "unit", DAZHI, "n95_mask") == 100 and held(city, "unit", DAZHI_1, "n95_mask") == 200
    with pytest.raises(InvalidInput):  # decided once
        req.decide(city, DAZHI_OFFICER, asked["id"], {line: "1"}, "again", "unit", DAZHI)
    with city.uow() as uow:
        actions = set(uow.conn.execute(select(audit_log.c.action)).scalars())
    assert {"supply_request", "supply_request_partial"} <= actions


def test_a_community_cannot_approve_and_a_district_cannot_see_another_districts_requests(city):
    asked = req.ask(city, H1_DESK, "facility", "H1", [("oxygen_cylinder", "20")], "ICU patients on oxygen")
    assert asked["approver_unit"] == WUCHANG_STREET
    line = asked["lines"][0]["id"]
    with pytest.raises(NotFound):
        req.get_request(city, JIANGAN_OFFICER, asked["id"])
    assert req.list_requests(city, JIANGAN_OFFICER)["total"] == 0
    assert req.list_requests(city, WUCHANG_OFFICER)["total"] == 1
    with pytest.raises(NotFound):
        req.decide(city, JIANGAN_OFFICER, asked["id"], {line: "0"}, "no", "unit", JIANGAN)
    with pytest.raises(Forbidden):  # the desk asks; it never decides
        req.decide(city, H1_DESK, asked["id"], {line: "0"}, "no", "unit", WUCHANG_STREET)
    own = req.ask(city, COMMUNITY, "unit", DAZHI_1, [("test_kit", "5")], "door-to-door testing")
    with pytest.raises(Forbidden):
        req.decide(city, COMMUNITY, own["id"], {own["lines"][0]["id"]: "0"}, "no", "unit", DAZHI_1)
    with pytest.raises(Forbidden):
        req.list_requests(city, COMMUNITY, to_decide=True)
    assert req.get_request(city, COMMUNITY, own["id"])["may_decide"] is False
    refused = req.decide(city, WUCHANG_OFFICER, asked["id"], {line: "0"}, "none in the district", "unit", WUCHANG)
    assert refused["state"] == "refused" and refused["decision_reason"] == "none in the district"
    with pytest.raises(NotFound):  # a desk sees its own facility's requests only
        req.get_request(city, H1_DESK, own["id"])


def test_approval_needs_the_stock_at_the_source_or_nothing_moves(city):
    receive(city, HQ, "unit", CITY, "ventilator", 1)
    asked = req.ask(city, H1_DESK, "facility", "H1", [("ventilator", "2")], "second ICU bed")
    with pytest.raises(InvalidInput):
        req.decide(city, HQ, asked["id"], {asked["lines"][0]["id"]: "2"}, "", "unit", CITY)
    assert req.get_request(city, HQ, asked["id"])["state"] == "open"
    assert held(city, "unit", CITY, "ventilator") == 1 and held(city, "facility", "H1", "ventilator") == 0


def test_hq_allocation_serves_critical_care_first_and_writes_it_all_in_one_go(city):
    occupy(city, "S1", "shelter", 3)
    occupy(city, "H1", "icu", 1)
    receive(city, HQ, "unit", CITY, "protective_suit", 100)
    shelter = req.ask(city, officer(DAZHI, username="s1"), "facility", "S1", [("protective_suit", "80")], "shelter")
    icu = req.ask(city, H1_DESK, "facility", "H1", [("protective_suit", "80")], "ICU")
    with pytest.raises(Forbidden):
        alloc.propose(city, COMMUNITY, "unit", DAZHI_1)
    first = alloc.propose(city, HQ, "unit", CITY, size=1)  # a page of the lines, critical care first
    assert first["total"] == 2 and [line["request_id"] for line in first["lines"]] == [icu["id"]]
    assert first["granted"] == 100 and first["asked"] == 160  # the totals are the whole proposal's
    proposal = alloc.propose(city, HQ, "unit", CITY, lang="en")
    granted = {line["request_id"]: line for line in proposal["lines"]}
    assert granted[icu["id"]]["granted"] == 80 and granted[icu["id"]]["critical"]
    assert granted[shelter["id"]]["granted"] == 20
    assert granted[icu["id"]]["reason"].startswith("ICU site, 0.0 days of cover: all 80 requested")
    receive(city, HQ, "unit", CITY, "protective_suit", 1)  # stock changed: the proposal is stale
    with pytest.raises(InvalidInput):
        alloc.confirm(city, HQ, "unit", CITY, proposal["fingerprint"])
    proposal = alloc.propose(city, HQ, "unit", CITY)
    done = alloc.confirm(city, HQ, "unit", CITY, proposal["fingerprint"])
    assert done == {"decided": 2, "approved": 1, "partial": 1, "refused": 0, "granted": 101}
    assert (
        held(city, "facility", "H1", "protective_suit") == 80 and held(city, "facility", "S1", "protective_suit") == 21
    )
    assert held(city, "unit", CITY, "protective_suit") == 0
    partial = req.get_request(city, HQ, shelter["id"], lang="zh")
    assert partial["state"] == "partial" and partial["lines"][0]["reason"].startswith("普通点位")
    with city.uow() as uow:
        legs = uow.conn.execute(select(func.count()).where(supply_movements.c.request_id.is_not(None))).scalar()
    assert legs == 4


def test_two_decisions_at_once_move_the_stock_once(city):
    receive(city, HQ, "unit", CITY, "goggles", 100)
    asked = req.ask(city, H1_DESK, "facility", "H1", [("goggles", "30")], "ICU team")
    line = asked["lines"][0]["id"]

    def decide() -> str:
        try:
            req.decide(city, HQ, asked["id"], {line: "30"}, "", "unit", CITY)
            return "decided"
        except InvalidInput:
            return "already"

    outcomes = at_once(3, decide)
    assert outcomes == ["already", "already", "decided"]
    assert held(city, "unit", CITY, "goggles") == 70 and held(city, "facility", "H1", "goggles") == 30
