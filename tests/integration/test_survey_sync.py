"""The survey's batches of visits (issue 17 §3): idempotent by key, one transaction, every visit accounted,
people found registered by the registration's rules, conflicts reported instead of overwriting, the jurisdiction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden
from admitall.domain.observation import ObservationRules
from admitall.domain.people import Status
from admitall.services import survey
from admitall.services.people import get_person, reclassify_person
from admitall.services.survey_visits import found_category, record_visits
from admitall.store.tables import audit_log
from admitall.store.tables_survey import survey_visit_people, survey_visits
from tests.factories import DAZHI, DAZHI_1, DAZHI_2, load_small_city, officer

COMMUNITY = officer(DAZHI_1, username="community")


def _households(ctx, n=2, community=DAZHI_1, actor=COMMUNITY):
    rows = [(i + 2, {"address": f"幸福路{i + 1}号", "label": f"户{i + 1}"}) for i in range(n)]
    survey.add_households(ctx, actor, community, rows)
    return survey.households(ctx, actor, community)["households"]


def _visit(key, household_id, people=(), outcome="visited", **more):
    return {
        "key": key,
        "household_id": household_id,
        "outcome": outcome,
        "occurred_at": "2020-02-10 09:30",
        "people": list(people),
        **more,
    }


def _count(ctx, table):
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_temperature_or_a_symptom_is_at_least_fever_and_never_lowers_the_teams_finding():
    assert found_category("none", 37.3, []) == "fever"
    assert found_category("none", 37.2, []) == "none"
    assert found_category("contact", None, ["cough"]) == "fever"
    assert found_category("suspected", 38.5, []) == "suspected"
    # the policy's rule, as for an observation check: its threshold, and what a fever moves a person to
    stricter = ObservationRules(fever_threshold=37.0, fever_moves_to=Status.SUSPECTED)
    assert found_category("none", 37.1, [], stricter) == "suspected"


def test_a_visit_sent_twice_is_stored_once_and_the_fever_found_is_registered(ctx):
    load_small_city(ctx)
    house = _households(ctx)[0]
    febrile = {"name": "王五", "temperature": 38.2, "symptoms": ["cough"], "category": "none", "phone": "13912345678"}
    well = {"name": "王六", "temperature": 36.5, "category": "none"}
    visit = _visit("visit-0001", house["id"], [febrile, well])
    first = record_visits(ctx, COMMUNITY, [visit, visit])
    assert (first["stored"], first["duplicate"]) == (1, 1)
    again = record_visits(ctx, COMMUNITY, [visit])
    assert again["duplicate"] == 1 and again["results"][0]["visit_id"] == first["results"][0]["visit_id"]
    assert _count(ctx, survey_visits) == 1 and _count(ctx, survey_visit_people) == 2
    people = first["results"][0]["people"]
    assert [p["category"] for p in people] == ["fever", "none"]
    assert people[1]["person_id"] is None  # healthy at home: counted, not registered
    person = get_person(ctx, COMMUNITY, people[0]["person_id"])
    assert person["status"] == "fever" and person["placement"] == "waiting" and person["unit_code"] == DAZHI_1
    # on record: who sent the visits, how many were stored, whom they registered
    with ctx.engine.connect() as conn:
        details = conn.execute(
            select(audit_log.c.actor, audit_log.c.detail).where(audit_log.c.action == "record_survey_visits")
        ).all()
    assert details[0].actor == "community" and details[0].detail["person_ids"] == [people[0]["person_id"]]
    assert details[0].detail["stored"] == 1 and details[1].detail["stored"] == 0


def test_a_person_changed_since_the_app_loaded_them_is_a_conflict_not_an_overwrite(ctx):
    load_small_city(ctx)
    house = _households(ctx)[0]
    found = record_visits(ctx, COMMUNITY, [_visit("visit-0001", house["id"], [{"name": "李四", "temperature": 38.0}])])
    loaded = survey.households(ctx, COMMUNITY, DAZHI_1)["households"][0]["people"][0]
    assert loaded["person_id"] == found["results"][0]["people"][0]["person_id"] and loaded["status"] == "fever"
    # meanwhile the fever clinic found them suspected
    reclassify_person(ctx, officer(DAZHI), loaded["person_id"], "suspected", expected_version=loaded["version"])
    stale = {"name": "李四", "temperature": 36.6, "person_id": loaded["person_id"], "version": loaded["version"]}
    answer = record_visits(ctx, COMMUNITY, [_visit("visit-0002", house["id"], [stale])])
    result = answer["results"][0]
    assert answer["conflict"] == 1 and result["reason"]["code"] == "person.changed_meanwhile"
    assert result["current"][0]["status"] == "suspected" and result["current"][0]["version"] > loaded["version"]
    assert _count(ctx, survey_visits) == 1  # nothing of the conflicting visit stored
    # sent again over the version now recorded: stored, and the person stays suspected (never lowered)
    resent = {**stale, "version": result["current"][0]["version"], "temperature": 38.4}
    assert record_visits(ctx, COMMUNITY, [_visit("visit-0002", house["id"], [resent])])["stored"] == 1
    assert get_person(ctx, COMMUNITY, loaded["person_id"])["status"] == "suspected"


def test_every_visit_is_accounted_and_a_household_elsewhere_is_refused(ctx):
    load_small_city(ctx)
    mine = _households(ctx)[0]
    theirs = _households(ctx, 1, DAZHI_2, officer(DAZHI_2, username="other"))[0]
    batch = [
        _visit("visit-mine", mine["id"]),
        _visit("visit-theirs", theirs["id"]),
        _visit("visit-bad-temp", mine["id"], [{"name": "赵", "temperature": 55}]),
        {"key": "x"},
        _visit("visit-new-house", None, outcome="absent", community=DAZHI_1, address="幸福路99号"),
        _visit("visit-new-elsewhere", None, outcome="absent", community=DAZHI_2, address="和平路1号"),
        _visit("visit-huge-id", 2**40),  # not an id the database could hold
        _visit("visit-bad-symptoms", mine["id"], [{"name": "钱", "symptoms": "cough"}]),
        _visit("visit-bad-person", mine["id"], [{"name": "孙", "person_id": 1, "version": True}]),
    ]
    answer = record_visits(ctx, COMMUNITY, batch)
    statuses = [r["status"] for r in answer["results"]]
    assert statuses == ["stored", "refused", "refused", "refused", "stored", "refused", "refused", "refused", "refused"]
    assert answer["results"][1]["reason"]["code"] == "survey.household_not_found"
    assert answer["results"][5]["reason"]["code"] == "survey.community_not_found"
    assert answer["stored"] + answer["duplicate"] + answer["conflict"] + answer["refused"] == len(batch)
    # a key another community used tells nothing of their visit
    other = record_visits(ctx, officer(DAZHI_2, username="other"), [_visit("visit-mine", theirs["id"])])
    assert other["results"][0]["status"] == "refused" and "visit_id" not in other["results"][0]
    assert other["results"][0]["reason"]["code"] == "survey.key_taken"
    # the team's new address is a household of the community now
    addresses = {h["address"] for h in survey.households(ctx, COMMUNITY, DAZHI_1)["households"]}
    assert "幸福路99号" in addresses


def test_a_role_that_may_not_register_cannot_survey(ctx):
    load_small_city(ctx)
    with pytest.raises(Forbidden):
        record_visits(ctx, officer(DAZHI, role=Role.ANALYST), [])
