"""Staff safety (issue 18 §4): a health worker's or a cadre's exposure or infection is recorded and tracked through
the registry (registered or reclassified, linked to the roster row, under observation through the tracing
service); rates per 1,000 staff by facility; a facility whose infections cross the threshold raises one alert to
its owning unit from the watch round, resolved when it falls back under; and the refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.services import cadres, staffing
from admitall.services.alert_inbox import inbox
from admitall.services.command import command_screen
from admitall.services.context import Actor, cli_actor
from admitall.services.observation import person_observation
from admitall.services.people import get_person, register_person
from admitall.services.staff_safety import events_list, record_event
from admitall.services.staff_safety_rates import STAFF_INFECTIONS, safety_rates, staff_on
from admitall.services.watch import watch
from admitall.store.tables import alerts
from admitall.store.tables_observation import exposures
from admitall.store.tables_staffing import staff_members
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    JIANGAN,
    WUCHANG,
    WUCHANG_STREET,
    load_small_city,
    load_small_facilities,
    officer,
    person_row,
)

HQ = officer(CITY, Role.COMMANDER, "commander")
H1_DESK = Actor("h1desk", Role.FACILITY_OFFICER, WUCHANG, facility_code="H1")
F1_DESK = Actor("f1desk", Role.FACILITY_OFFICER, JIANGAN, facility_code="F1")
WUCHANG_OFFICER = officer(WUCHANG, username="wuchang")
JIANGAN_OFFICER = officer(JIANGAN, username="jiangan")


def _world(ctx, nurses=4):
    load_small_city(ctx)
    load_small_facilities(ctx)
    ids = [
        staffing.add_member(ctx, WUCHANG_OFFICER, "H1", {"name": f"护士{i}", "role": "nurse", "phone": "13700000000",
                                                         "active_from": "2020-02-01"})["id"]
        for i in range(nurses)
    ]  # fmt: skip
    row = person_row(unit_code="420106001001", category="confirmed", severity="severe")
    case = register_person(ctx, officer(WUCHANG, username="w"), row)
    return ids, case["person"]["id"]


def test_an_exposure_registers_the_worker_as_a_contact_linked_to_the_roster_and_under_observation(ctx):
    (nurse, *_), case_id = _world(ctx)
    made = record_event(
        ctx, H1_DESK, kind="exposure", staff_id=nurse, occurred_on="2020-02-09", protection="surgical_mask",
        place="ICU 3 床", source_case_id=case_id,
    )  # fmt: skip
    assert made["registered"] and made["facility_code"] == "H1" and made["unit_code"] == WUCHANG_STREET
    person = get_person(ctx, WUCHANG_OFFICER, made["person_id"])
    assert (person["status"], person["name"]) == ("contact", "护士0")
    observed = person_observation(ctx, WUCHANG_OFFICER, made["person_id"])
    assert observed is not None and observed["state"] == "active"
    with ctx.engine.connect() as conn:
        linked = conn.execute(select(staff_members.c.person_id).where(staff_members.c.id == nurse)).scalar_one()
        pair = conn.execute(select(exposures.c.setting).where(exposures.c.contact_id == made["person_id"])).all()
    assert linked == made["person_id"] and [p.setting for p in pair] == ["care"]
    again = record_event(ctx, H1_DESK, kind="infection", status="confirmed", staff_id=nurse, occurred_on="2020-02-10",
                         protection="n95")  # fmt: skip
    assert (again["person_id"], again["registered"]) == (made["person_id"], False)
    assert get_person(ctx, WUCHANG_OFFICER, made["person_id"])["status"] == "confirmed"
    listed = events_list(ctx, H1_DESK)
    assert [(e["kind"], e["name"]) for e in listed["events"]] == [("infection", "护士0"), ("exposure", "护士0")]
    assert listed["total"] == 2 and events_list(ctx, F1_DESK)["total"] == 0  # another desk sees none of them


def test_a_cadre_exposed_with_no_known_case_is_a_contact_under_observation_from_that_day(ctx):
    load_small_city(ctx)
    fields = {"name": "李明", "department": "市财政局", "community_code": DAZHI_1, "starts_on": "2020-02-01"}
    cid = cadres.assign_cadre(ctx, JIANGAN_OFFICER, fields)["ids"][0]
    made = record_event(
        ctx, JIANGAN_OFFICER, kind="exposure", cadre_id=cid, occurred_on="2020-02-08", protection="none"
    )
    assert made["facility_code"] is None and made["unit_code"] == DAZHI_1
    assert get_person(ctx, JIANGAN_OFFICER, made["person_id"])["status"] == "contact"
    observed = person_observation(ctx, JIANGAN_OFFICER, made["person_id"])
    assert observed is not None and observed["ends_on"] == "2020-02-22"
    later = record_event(ctx, JIANGAN_OFFICER, kind="infection", status="suspected", cadre_id=cid,
                         occurred_on="2020-02-10", protection="none")  # fmt: skip
    assert later["person_id"] == made["person_id"]  # the cadre's earlier event says who they are
    assert get_person(ctx, JIANGAN_OFFICER, made["person_id"])["status"] == "suspected"


def test_recording_is_refused_outside_ones_own_staff_and_to_those_who_may_not(ctx):
    (nurse, *_), case_id = _world(ctx)
    with pytest.raises(NotFound):  # a desk records its own facility's staff only
        record_event(ctx, F1_DESK, kind="exposure", staff_id=nurse, occurred_on="2020-02-09", protection="none")
    with pytest.raises(NotFound):  # another district's desk does not see them
        record_event(ctx, JIANGAN_OFFICER, kind="exposure", staff_id=nurse, occurred_on="2020-02-09", protection="none")
    with pytest.raises(Forbidden):  # a commander reads the rates, the desks record
        record_event(ctx, HQ, kind="exposure", staff_id=nurse, occurred_on="2020-02-09", protection="none")
    with pytest.raises(Forbidden):
        record_event(ctx, officer(CITY, Role.ANALYST, "a"), kind="exposure", staff_id=nurse, occurred_on="2020-02-09",
                     protection="none")  # fmt: skip
    with pytest.raises(InvalidInput):  # an infection is suspected or confirmed
        record_event(ctx, H1_DESK, kind="infection", staff_id=nurse, occurred_on="2020-02-09", protection="none")
    with pytest.raises(InvalidInput):
        record_event(ctx, H1_DESK, kind="exposure", staff_id=nurse, occurred_on="2020-02-11", protection="none")
    with pytest.raises(NotFound):  # a case outside the desk's reach is not found
        record_event(ctx, officer(DAZHI, username="dazhi"), kind="exposure", staff_id=nurse,
                     occurred_on="2020-02-09", protection="none", source_case_id=case_id)  # fmt: skip


def test_rates_per_thousand_staff_by_facility_count_like_the_staffing_headcount(ctx):
    ids, _case = _world(ctx, nurses=5)
    staffing.add_team(ctx, cli_actor(), {"name": "江苏医疗队", "origin": "江苏",
                      "facility_code": "H1", "arrives_on": "2020-02-09", "headcount": {"nurse": 195}})  # fmt: skip
    record_event(ctx, H1_DESK, kind="infection", status="confirmed", staff_id=ids[0], occurred_on="2020-02-09",
                 protection="surgical_mask")  # fmt: skip
    record_event(ctx, H1_DESK, kind="exposure", staff_id=ids[1], occurred_on="2020-02-02", protection="none")  # old
    rates = safety_rates(ctx, HQ)
    h1 = next(f for f in rates["facilities"] if f["code"] == "H1")
    assert (h1["staff"], h1["infections"], h1["exposures"], h1["per_1000"]) == (200, 1, 0, 5.0)
    with ctx.engine.connect() as conn:
        ours = dict(conn.execute(select(staff_on(ctx.clock.now().date()))).all())
    assert ours["H1"] == sum(staffing.headcount(ctx.engine.connect(), ctx.clock.now())["H1"].values())
    assert rates["totals"]["infections"] == 1 and rates["total"] == 1
    with pytest.raises(NotFound):
        safety_rates(ctx, JIANGAN_OFFICER, WUCHANG)
    assert command_screen(ctx, HQ)["staff_safety"]["infections"] == 1


def test_a_facility_over_the_threshold_raises_one_alert_to_its_owner_resolved_when_it_falls_back(ctx):
    ids, _case = _world(ctx)
    for i in range(3):  # 3 infections in 7 days (and 750 per 1,000 of its 4 staff)
        record_event(ctx, H1_DESK, kind="infection", status="suspected", staff_id=ids[i], occurred_on="2020-02-09",
                     protection="surgical_mask")  # fmt: skip
    first = watch(ctx)
    assert first["staff_infection_alerts_raised"] == 1
    assert watch(ctx)["staff_infection_alerts_raised"] == 0  # one alert per facility while it stays over
    with ctx.engine.connect() as conn:
        raised = conn.execute(select(alerts).where(alerts.c.kind == STAFF_INFECTIONS)).mappings().all()
    assert [(a["unit_code"], a["target_unit"], a["detail"]["facility"]) for a in raised] == [
        (WUCHANG_STREET, WUCHANG_STREET, "H1")
    ]
    assert command_screen(ctx, HQ)["staff_safety"]["facilities_over"] == 1
    owner = inbox(ctx, officer(WUCHANG_STREET, username="owner"), kind=STAFF_INFECTIONS)  # the owner's inbox
    assert owner["total"] == 1 and inbox(ctx, JIANGAN_OFFICER, kind=STAFF_INFECTIONS)["total"] == 0
    ctx.clock.advance(timedelta(days=8))  # out of the window
    assert watch(ctx)["staff_infection_alerts_resolved"] == 1
    with ctx.engine.connect() as conn:
        assert conn.execute(select(alerts.c.resolved_at).where(alerts.c.kind == STAFF_INFECTIONS)).scalar_one()


def test_the_twin_infects_staff_in_proportion_to_the_patients_they_care_for(ctx):
    from sqlalchemy import update

    from admitall.sim.staff_safety import SafetyTwin
    from admitall.store.tables import bed_pools

    ids, _case = _world(ctx)
    with ctx.engine.begin() as conn:
        conn.execute(update(bed_pools).where(bed_pools.c.facility_code == "H1").values(occupied=1))  # 3 beds
    twin = SafetyTwin(ctx, WUCHANG_OFFICER, per_bed_day=0.5)
    assert twin.on_day(ctx.clock.now()) == 1  # 3 bed-days × 0.5: one now, half of one owed
    assert twin.on_day(ctx.clock.now()) == 2  # 1.5 + 0.5 owed
    tracked = events_list(ctx, HQ)
    assert tracked["total"] == 3 and {e["person_status"] for e in tracked["events"]} == {"confirmed"}
    assert sorted(e["staff_id"] for e in tracked["events"]) == ids[:3]  # the roster's lowest numbers first
