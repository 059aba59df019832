"""Who sees which person, on SQLite and PostgreSQL: a facility's desk sees the people its facility has had — bound
for it, in it, refused or discharged by it — and nobody else, on every read and change; a role that sees personal
data masked finds people by name only."""

from __future__ import annotations

import pytest

from admitall.domain.access import Role
from admitall.domain.errors import NotFound
from admitall.services import admission, people
from admitall.services.admission import Confirmation
from admitall.services.context import Actor, cli_actor
from admitall.services.person_steps import Step, apply_steps
from admitall.services.registration import register_batch
from tests.factories import CITY, WUCHANG_1, id_number, load_small_city, load_small_facilities, person_row

DISPATCHER = Actor("dispatcher", Role.DISPATCHER, CITY)
# the demo's Jinyintan clerk: the city as home unit, one admissions desk
CLERK = Actor("clerk", Role.FACILITY_OFFICER, CITY, facility_code="H1")


@pytest.fixture
def city(ctx):
    load_small_city(ctx, leads=False)
    load_small_facilities(ctx)
    rows = [
        person_row(name="甲", id_number=id_number(seq=1), phone="13900000001", category="confirmed", severity="severe"),
        person_row(name="乙", id_number=id_number(seq=2), phone="13900000002", category="confirmed", severity="mild"),
        person_row(name="丙", id_number=id_number(seq=3), phone="13900000003", unit_code=WUCHANG_1, category="contact"),
    ]
    summary = register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="seed")
    ctx.ids = [summary.person_ids[i] for i in (2, 3, 4)]
    return ctx


def visible(ctx, actor: Actor) -> list[int]:
    return sorted(p["id"] for p in people.search_people(ctx, actor)["people"])


def assign(ctx, person_id: int, facility: str, bed: str) -> None:
    result = admission.confirm(ctx, DISPATCHER, [Confirmation(person_id, facility, bed)])
    assert result["confirmed"], result


def test_a_facility_officer_with_the_city_as_home_unit_sees_nobody_their_facility_never_had(city):
    jia, _yi, bing = city.ids
    assert visible(city, CLERK) == [] and people.search_people(city, CLERK, q="甲")["total"] == 0
    for read in (people.get_person, people.person_history):
        with pytest.raises(NotFound):
            read(city, CLERK, bing)
    with pytest.raises(NotFound):
        people.reclassify_person(city, CLERK, jia, "excluded")
    with pytest.raises(NotFound):
        people.change_person_severity(city, CLERK, jia, "critical")
    with pytest.raises(NotFound):
        admission.desk(city, CLERK, "S1")  # another facility's desk: its patients are not theirs
    assert people.get_person(city, DISPATCHER, jia)["id"] == jia  # the others still see them


def test_a_facility_officer_sees_whoever_was_assigned_to_their_facility_even_after_they_left(city):
    jia, yi, _bing = city.ids
    assign(city, jia, "H1", "severe")
    assign(city, yi, "S1", "shelter")
    assert visible(city, CLERK) == [jia]
    assert people.get_person(city, CLERK, jia)["phone"] == "13900000001"  # unmasked, as the desk needs
    admission.desk_step(city, CLERK, jia, "refuse", reason="无床")  # back to the queue, no bed here any more
    assert visible(city, CLERK) == [jia] and people.person_history(city, CLERK, jia)["person"]["id"] == jia
    with pytest.raises(NotFound):
        people.get_person(city, CLERK, yi)


def test_the_batch_of_steps_keeps_a_facility_officer_to_their_facilitys_people(city):
    jia, yi, bing = city.ids
    assign(city, jia, "H1", "severe")
    summary = apply_steps(
        city,
        CLERK,
        [
            Step(yi, "severity", to="critical"),
            Step(jia, "severity", to="critical"),
            Step(bing, "reclassify", to="excluded"),
        ],
        source="test",
    )
    assert list(summary.done) == [jia]
    assert [(step.person_id, code) for step, code, _ in summary.refused] == [
        (yi, "person.not_found"),
        (bing, "person.not_found"),
    ]


def test_a_desk_role_without_a_facility_sees_nobody(city):
    nowhere = Actor("nowhere", Role.FACILITY_OFFICER, CITY)
    assert visible(city, nowhere) == []
    with pytest.raises(NotFound):
        people.get_person(city, nowhere, city.ids[0])


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COMMANDER])
def test_a_masked_role_finds_people_by_name_only(city, role):
    actor = Actor("masked", role, CITY)
    for q in ("13900000001", id_number(seq=1), "1390000"):
        found = people.search_people(city, actor, q=q)
        assert (found["total"], found["people"], found["note"]["code"]) == (0, [], "search.name_only")
    found = people.search_people(city, actor, q="甲")
    assert found["total"] == 1 and found["note"] is None and found["people"][0]["document"] != id_number(seq=1)
    unmasked = people.search_people(city, Actor("officer", Role.UNIT_OFFICER, CITY), q="13900000001")
    assert unmasked["total"] == 1 and unmasked["note"] is None


def test_a_masked_role_registering_a_known_document_learns_no_name(city):
    admin = Actor("admin", Role.ADMIN, CITY)
    row = person_row(name="随便", id_number=id_number(seq=3), phone=None, unit_code=WUCHANG_1, category="suspected")
    result = people.register_person(city, admin, row)
    assert (result["outcome"], result["person"], result["warnings"]) == ("merged", None, [])
    assert "丙" not in repr(result)
    assert people.get_person(city, DISPATCHER, city.ids[2])["status"] == "suspected"  # merged all the same
