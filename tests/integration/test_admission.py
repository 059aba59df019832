"""The admission workflow on a real database: plan, confirm, transit, admit, refuse, transfer, discharge — and
the bed counts that move with every step, including under concurrent dispatchers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, NotFound, TransitionRefused
from admitall.services import admission, people
from admitall.services.admission import Confirmation
from admitall.services.backlog import backlog
from admitall.services.context import Actor, cli_actor
from admitall.services.facilities import import_facilities, occupancy, set_beds
from admitall.services.registration import register_batch
from tests.factories import DAZHI, DAZHI_1, JIANGAN, id_number, load_small_city, load_small_facilities, person_row

DISPATCHER = Actor("dispatcher", Role.DISPATCHER, None)
OFFICER = Actor("officer", Role.UNIT_OFFICER, None)


def desk_of(code: str) -> Actor:
    return Actor(f"desk-{code}", Role.FACILITY_OFFICER, None, facility_code=code)


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    load_small_facilities(ctx)
    return ctx


def register(ctx, **fields) -> int:
    n = register.counter = getattr(register, "counter", 0) + 1
    row = person_row(name=f"病人{n}", id_number=id_number(seq=n % 1000), phone=f"139{n:08d}", **fields)
    return register_batch(ctx, cli_actor(), [(2, row)], source="test").person_ids[2]


def pool(ctx, facility: str, bed_type: str) -> tuple[int, int, int]:
    with ctx.uow() as uow:
        p = next(p for p in uow.facilities.pools([facility]) if p.bed_type.value == bed_type)
    return p.capacity, p.occupied, p.reserved


def person(ctx, pid: int):
    with ctx.uow() as uow:
        return uow.persons.get(pid)


def test_a_dry_run_changes_nothing_and_commit_reserves_the_planned_beds(city):
    critical = register(city, category="confirmed", severity="critical")
    contact = register(city, category="contact")
    plan = admission.allocate(city, DISPATCHER, lang="en")
    assert {a["person"]: a["bed_type"] for a in plan["assignments"]} == {critical: "icu", contact: "quarantine_room"}
    assert pool(city, "H1", "icu") == (1, 0, 0)
    result = admission.allocate(city, DISPATCHER, commit=True)
    assert result["confirmed"] == 2 and pool(city, "H1", "icu") == (1, 0, 1)
    assert person(city, critical).placement.value == "assigned"


def test_transit_admission_and_discharge_move_the_counts(city):
    pid = register(city, category="confirmed", severity="mild")
    admission.allocate(city, DISPATCHER, commit=True)
    assert pool(city, "S1", "shelter") == (3, 0, 1)
    admission.desk_step(city, DISPATCHER, pid, "depart")
    admission.desk_step(city, desk_of("S1"), pid, "admit")
    assert pool(city, "S1", "shelter") == (3, 1, 0)
    after = admission.record_outcome(city, desk_of("S1"), pid, "recovered", reason="两次核酸阴性")
    assert (after["status"], after["placement"], after["facility_code"]) == ("recovered", "waiting", None)
    assert pool(city, "S1", "shelter") == (3, 0, 0)
    # recovered patients go on to a recovery station
    admission.allocate(city, DISPATCHER, commit=True)
    assert person(city, pid).facility_code == "R1"


def test_a_refusal_puts_the_person_back_with_the_original_waiting_time(city):
    pid = register(city, category="suspected")
    waited_since = person(city, pid).waiting_since
    admission.allocate(city, DISPATCHER, commit=True)
    facility = person(city, pid).facility_code
    admission.desk_step(city, desk_of(facility), pid, "refuse", reason="房间消毒中")
    back = person(city, pid)
    assert (back.placement.value, back.waiting_since, back.facility_code) == ("waiting", waited_since, None)
    assert pool(city, facility, "single_room")[2] == 0
    admission.allocate(city, DISPATCHER, commit=True)
    again = person(city, pid)
    with pytest.raises(TransitionRefused) as refused:
        admission.desk_step(city, desk_of(again.facility_code), pid, "refuse")
    assert refused.value.rule == "refusal_needs_reason"
    assert person(city, pid).placement.value == "assigned"


def test_a_shelter_patient_who_turns_severe_is_transferred_up_and_the_shelter_bed_freed(city, clock):
    pid = register(city, category="confirmed", severity="mild")
    admission.allocate(city, DISPATCHER, commit=True)
    admission.desk_step(city, desk_of("S1"), pid, "admit")
    clock.advance(timedelta(hours=5))
    changed = people.change_person_severity(city, desk_of("S1"), pid, "severe", reason="血氧下降")
    assert changed["awaiting_transfer"] and changed["waiting_since"] == clock.now().isoformat()
    plan = admission.allocate(city, DISPATCHER, commit=True)
    assert [(a["person"], a["bed_type"], a["transfer"]) for a in plan["assignments"]] == [(pid, "severe", True)]
    assert pool(city, "S1", "shelter") == (3, 1, 0)  # still held during the transfer
    assert pool(city, "H1", "severe") == (2, 0, 1)
    admission.desk_step(city, desk_of("H1"), pid, "admit")
    assert pool(city, "S1", "shelter") == (3, 0, 0) and pool(city, "H1", "severe") == (2, 1, 0)
    history = [e["kind"] for e in people.person_history(city, OFFICER, pid)["events"]]
    assert history[-4:] == ["severity_changed", "transfer_needed", "assigned", "admitted"]


def test_a_transfer_refused_leaves_the_patient_in_the_bed_they_had(city):
    pid = register(city, category="confirmed", severity="mild")
    admission.allocate(city, DISPATCHER, commit=True)
    admission.desk_step(city, desk_of("S1"), pid, "admit")
    people.change_person_severity(city, desk_of("S1"), pid, "critical")
    admission.allocate(city, DISPATCHER, commit=True)
    admission.desk_step(city, desk_of("H1"), pid, "refuse", reason="ICU 设备故障")
    back = person(city, pid)
    assert (back.placement.value, back.facility_code, back.awaiting_transfer) == ("admitted", "S1", True)
    assert pool(city, "S1", "shelter") == (3, 1, 0) and pool(city, "H1", "icu") == (1, 0, 0)


def test_a_contact_who_becomes_confirmed_on_the_way_goes_back_to_the_queue(city):
    pid = register(city, category="contact")
    admission.allocate(city, DISPATCHER, commit=True)
    assert pool(city, "Q1", "quarantine_room")[2] == 1
    after = people.reclassify_person(city, OFFICER, pid, "confirmed", severity="moderate", reason="核酸阳性")
    assert (after["placement"], after["facility_code"]) == ("waiting", None)
    assert pool(city, "Q1", "quarantine_room")[2] == 0


def test_death_frees_the_bed(city):
    pid = register(city, category="confirmed", severity="critical")
    admission.allocate(city, DISPATCHER, commit=True)
    admission.desk_step(city, desk_of("H1"), pid, "admit")
    admission.record_outcome(city, desk_of("H1"), pid, "dead", reason="抢救无效")
    assert pool(city, "H1", "icu") == (1, 0, 0)
    assert person(city, pid).placement.value == "left"


def test_a_desk_acts_only_on_its_own_facility_and_roles_are_kept(city):
    pid = register(city, category="confirmed", severity="critical")
    admission.allocate(city, DISPATCHER, commit=True)
    with pytest.raises((Forbidden, NotFound)):
        admission.desk_step(city, desk_of("S1"), pid, "admit")
    with pytest.raises(Forbidden):
        admission.desk_step(city, DISPATCHER, pid, "admit")
    with pytest.raises(Forbidden):
        admission.plan_admissions(city, Actor("analyst", Role.ANALYST, None))
    with pytest.raises(Forbidden):
        set_beds(city, desk_of("S1"), "H1", "icu", capacity=5, out_of_service=0)


def test_a_district_dispatcher_plans_only_for_their_district(city):
    mine = register(city, category="contact", unit_code=DAZHI_1)
    register(city, category="contact", unit_code="420106001001")
    plan = admission.plan_admissions(city, Actor("d", Role.DISPATCHER, JIANGAN))
    assert [a["person"] for a in plan["assignments"]] == [mine]


def test_capacity_cannot_drop_below_the_beds_in_use(city):
    register(city, category="confirmed", severity="critical")
    admission.allocate(city, DISPATCHER, commit=True)
    from admitall.domain.errors import Conflict

    with pytest.raises(Conflict):
        set_beds(city, cli_actor(), "H1", "icu", capacity=1, out_of_service=1)
    set_beds(city, desk_of("H1"), "H1", "icu", capacity=3, out_of_service=1)
    assert pool(city, "H1", "icu") == (3, 0, 1)


def test_the_database_refuses_more_beds_in_use_than_capacity(city):
    with pytest.raises(IntegrityError), city.engine.begin() as conn:
        conn.execute(
            text("UPDATE bed_pools SET occupied = capacity + 1 WHERE facility_code = 'H1' AND bed_type = 'icu'")
        )


def test_two_dispatchers_reserving_the_last_bed_at_once_cannot_both_get_it(city):
    first = register(city, category="confirmed", severity="critical")
    second = register(city, category="confirmed", severity="critical")
    start = threading.Barrier(2)
    results: dict[int, dict] = {}

    def reserve(pid: int) -> None:
        start.wait()
        results[pid] = admission.confirm(
            city, Actor(f"dispatcher{pid}", Role.DISPATCHER, None), [Confirmation(pid, "H1", "icu")], lang="en"
        )

    threads = [threading.Thread(target=reserve, args=(pid,)) for pid in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    confirmed = [pid for pid, r in results.items() if r["confirmed"]]
    skipped = [r["skipped"][0] for r in results.values() if r["skipped"]]
    assert len(confirmed) == 1 and len(skipped) == 1
    assert skipped[0]["code"] == "beds.unavailable"
    assert pool(city, "H1", "icu") == (1, 0, 1)
    loser = second if confirmed == [first] else first
    assert person(city, loser).placement.value == "waiting"


def test_facility_import_rejects_bad_rows_with_their_field(city):
    summary = import_facilities(
        city,
        cli_actor(),
        [
            (2, {"code": "N1", "name": "新方舱", "type": "方舱医院", "unit_code": DAZHI, "shelter": "100"}),
            (3, {"code": "N2", "name": "坏", "type": "castle", "unit_code": DAZHI}),
            (4, {"code": "N3", "name": "坏", "type": "shelter_hospital", "unit_code": DAZHI, "icu": "5"}),
            (5, {"code": "N4", "name": "坏", "type": "quarantine_site", "unit_code": "420199001000"}),
            (6, {"code": "N5", "name": "坏", "type": "quarantine_site", "unit_code": DAZHI, "quarantine_room": "-3"}),
            (7, {"code": "H1", "name": "改名", "type": "designated_hospital", "unit_code": DAZHI, "icu": "4"}),
        ],
    )
    assert (summary.accepted, summary.updated, summary.rejected) == (1, 1, 4)
    assert [(r["row"], r["field"]) for r in summary.rejections] == [
        (3, "type"),
        (4, "icu"),
        (5, "unit_code"),
        (6, "quarantine_room"),
    ]
    assert pool(city, "H1", "icu")[0] == 4


def test_a_facility_not_yet_open_counts_only_from_its_opening(city, clock):
    import_facilities(
        city,
        cli_actor(),
        [
            (
                2,
                {
                    "code": "LSS",
                    "name": "雷神山",
                    "type": "designated_hospital",
                    "unit_code": DAZHI,
                    "icu": "10",
                    "opens_at": "2020-02-11 10:00",
                },
            )
        ],
    )
    for _ in range(5):
        register(city, category="confirmed", severity="critical")
    plan = admission.plan_admissions(city, DISPATCHER)
    # H1 has one ICU and two severe-care beds; the planned hospital is not open yet
    assert len(plan["assignments"]) == 3 and "LSS" not in {a["facility"] for a in plan["assignments"]}
    assert occupancy(city, cli_actor())["rows"][0]["opening_soon"] == 10
    clock.advance(timedelta(days=1))
    assert len(admission.plan_admissions(city, DISPATCHER)["assignments"]) == 5


def test_the_backlog_counts_stock_inflow_admissions_and_sla_breaches(city, clock):
    critical = register(city, category="confirmed", severity="critical", identified_at="2020-02-10 09:30")
    register(city, category="contact", identified_at="2020-02-09 08:00")
    clock.advance(timedelta(hours=1))  # 11:00: the critical patient has waited 1.5 h (target 1 h)
    figures = backlog(city, cli_actor())
    assert figures["stock"]["waiting"] == 2
    assert figures["sla_breaches"] == {"total": 2, "critical": 1, "contact": 1}
    assert figures["inflow"]["last_hour"] == 0 and figures["inflow"]["per_hour_24h"] == round(1 / 24, 2)
    admission.allocate(city, DISPATCHER, commit=True)
    admission.desk_step(city, desk_of("H1"), critical, "admit")
    after = backlog(city, cli_actor())
    assert after["admissions"]["last_hour"] == 1 and after["stock"]["assigned_or_in_transit"] == 1
    assert after["stock"]["waiting"] == 0 and after["sla_breaches"]["total"] == 0
    assert backlog(city, Actor("s", Role.UNIT_OFFICER, DAZHI))["unit"] == DAZHI


def test_reading_the_plan_is_on_record(city):
    pid = register(city, category="contact")
    admission.plan_admissions(city, DISPATCHER)
    with city.uow() as uow:
        entry = uow.audit.entries(actor="dispatcher", action="read_plan")[0]
    assert entry["detail"]["person_ids"] == [pid] and entry["detail"]["people"] == 1
