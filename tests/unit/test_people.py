"""The person state machine: named rules, and properties over random histories."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admitall.domain.errors import TransitionRefused
from admitall.domain.identity import Document, DocumentType, Sex
from admitall.domain.lifecycle import (
    admit,
    apply,
    assign_bed,
    change_risks,
    change_severity,
    depart,
    identify,
    reclassify,
    refuse,
    replay,
)
from admitall.domain.people import (
    EventKind,
    Person,
    PersonDetails,
    Placement,
    Risk,
    Severity,
    Stamp,
    Status,
    check_invariants,
)

T0 = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
DETAILS = PersonDetails(name="张三", unit_code="420102002001", birth_date=date(1980, 1, 1))


def stamp(hours: float = 0, reason: str | None = None) -> Stamp:
    at = T0 + timedelta(hours=hours)
    return Stamp(occurred_at=at, recorded_at=at, actor="tester", source="test", reason=reason)


def found(status: Status = Status.SUSPECTED, **kw) -> Person:
    return identify(DETAILS, status, stamp(), **kw)[0]


def test_identification_starts_the_wait():
    p = found(Status.CONTACT)
    assert p.placement is Placement.WAITING
    assert p.waiting_since == T0


def test_a_confirmed_patient_is_never_downgraded():
    p = found(Status.CONFIRMED, severity=Severity.MILD)
    with pytest.raises(TransitionRefused) as e:
        reclassify(p, Status.SUSPECTED, stamp(1, "mistake"))
    assert e.value.rule == "confirmed_stays_confirmed"


def test_nothing_follows_death():
    dead, _ = reclassify(found(Status.CONFIRMED), Status.DEAD, stamp(1))
    with pytest.raises(TransitionRefused) as e:
        assign_bed(dead, "H1", "icu", stamp(2))
    assert e.value.rule == "dead_is_final"


def test_a_contact_never_in_a_bed_cannot_be_admitted():
    with pytest.raises(TransitionRefused) as e:
        admit(found(Status.CONTACT), stamp(1))
    assert e.value.rule == "admission_needs_assignment"


def test_only_confirmed_patients_have_a_severity():
    with pytest.raises(TransitionRefused) as e:
        change_severity(found(Status.SUSPECTED), Severity.SEVERE, stamp(1))
    assert e.value.rule == "severity_is_for_confirmed"


def test_lowering_a_category_needs_a_reason():
    p = found(Status.SUSPECTED)
    with pytest.raises(TransitionRefused) as e:
        reclassify(p, Status.CONTACT, stamp(1))
    assert e.value.rule == "downgrade_needs_reason"
    assert reclassify(p, Status.CONTACT, stamp(1, "CT normal, still a contact"))[0].status is Status.CONTACT


def test_a_refusal_puts_the_person_back_with_the_original_waiting_time():
    p = found(Status.CONFIRMED, severity=Severity.SEVERE)
    p, _ = assign_bed(p, "H1", "severe", stamp(2))
    p, _ = depart(p, stamp(3))
    p, _ = refuse(p, stamp(4, "no oxygen available"))
    assert p.placement is Placement.WAITING
    assert p.waiting_since == T0
    assert p.facility_code is None


def test_a_refusal_needs_a_reason():
    p, _ = assign_bed(found(), "Q1", "single_room", stamp(1))
    with pytest.raises(TransitionRefused) as e:
        refuse(p, stamp(2))
    assert e.value.rule == "refusal_needs_reason"


def test_recovery_frees_the_bed_and_queues_for_a_recovery_room():
    p = found(Status.CONFIRMED, severity=Severity.MILD)
    p, _ = assign_bed(p, "S1", "shelter", stamp(1))
    p, _ = admit(p, stamp(2))
    p, _ = reclassify(p, Status.RECOVERED, stamp(100))
    assert (p.placement, p.facility_code, p.waiting_since) == (Placement.WAITING, None, T0 + timedelta(hours=100))


def test_a_recovered_patient_released_from_the_recovery_station_keeps_no_clinical_type():
    p = found(Status.CONFIRMED, severity=Severity.SEVERE)
    p, _ = reclassify(p, Status.RECOVERED, stamp(100))
    assert p.severity is Severity.SEVERE  # the recovered keep the type they had
    p, _ = reclassify(p, Status.RELEASED, stamp(400))
    assert (p.status, p.severity, p.placement) == (Status.RELEASED, None, Placement.LEFT)


def test_a_time_after_the_recording_is_refused():
    p = found()
    late = Stamp(occurred_at=T0 + timedelta(hours=5), recorded_at=T0 + timedelta(hours=1), actor="a", source="s")
    with pytest.raises(TransitionRefused) as e:
        reclassify(p, Status.CONFIRMED, late)
    assert e.value.rule == "not_in_future"


def test_age_65_is_a_risk_flag_derived_from_the_birth_date():
    old = identify(
        PersonDetails(name="李四", unit_code="420102002001", birth_date=date(1950, 1, 1)), Status.CONFIRMED, stamp()
    )[0]
    assert Risk.ELDERLY in old.risks
    assert Risk.ELDERLY not in found().risks


# --- properties over random histories -------------------------------------------------------------------------

commands = st.one_of(
    st.tuples(
        st.just("reclassify"),
        st.sampled_from(list(Status)),
        st.sampled_from([None, *Severity]),
        st.sampled_from([None, "reason"]),
    ),
    st.tuples(st.just("severity"), st.sampled_from(list(Severity))),
    st.tuples(st.just("risks"), st.frozensets(st.sampled_from([Risk.COMORBIDITY, Risk.PREGNANCY]))),
    st.tuples(st.just("assign"), st.sampled_from(["icu", "shelter", "quarantine_room"])),
    st.tuples(st.just("depart")),
    st.tuples(st.just("admit")),
    st.tuples(st.just("refuse"), st.sampled_from([None, "full"])),
)


def run(p: Person, command: tuple, s: Stamp):
    kind = command[0]
    if kind == "reclassify":
        return reclassify(
            p, command[1], Stamp(s.occurred_at, s.recorded_at, s.actor, s.source, command[3]), severity=command[2]
        )
    if kind == "severity":
        return change_severity(p, command[1], s)
    if kind == "risks":
        return change_risks(p, command[1], s)
    if kind == "assign":
        return assign_bed(p, "F1", command[1], s)
    if kind == "depart":
        return depart(p, s)
    if kind == "admit":
        return admit(p, s)
    return refuse(p, Stamp(s.occurred_at, s.recorded_at, s.actor, s.source, command[1]))


@settings(max_examples=300)
@given(
    st.sampled_from([Status.CONFIRMED, Status.SUSPECTED, Status.FEVER, Status.CONTACT]), st.lists(commands, max_size=25)
)
def test_any_history_keeps_the_invariants_and_replays_to_the_same_state(start, history):
    person, first = identify(DETAILS, start, stamp())
    events = [first]
    for i, command in enumerate(history, start=1):
        try:
            person_after, event = run(person, command, stamp(i))
        except TransitionRefused as refused:
            assert refused.rule  # every refusal names its rule
            continue
        check_invariants(person_after)
        assert person_after.version == person.version + 1
        person = person_after
        events.append(event)
    assert replay(events) == person
    # nobody in the four categories is ever neither waiting nor in a bed
    if person.status.in_four_categories:
        assert person.placement in (Placement.WAITING, Placement.ASSIGNED, Placement.IN_TRANSIT, Placement.ADMITTED)
        assert person.placement is not Placement.WAITING or person.waiting_since is not None


def test_a_second_identification_is_refused():
    person, event = identify(DETAILS, Status.CONTACT, stamp())
    with pytest.raises(TransitionRefused) as e:
        apply(person, event)
    assert e.value.rule == "identified_once"
    assert event.kind is EventKind.IDENTIFIED


@given(
    st.builds(
        PersonDetails,
        name=st.sampled_from(["张三", "John Smith"]),
        unit_code=st.just("420102002001"),
        document=st.one_of(st.none(), st.builds(Document, st.just(DocumentType.PASSPORT), st.just("E1234567"))),
        phone=st.one_of(st.none(), st.just("13812345678")),
        sex=st.one_of(st.none(), st.sampled_from(list(Sex))),
        birth_date=st.one_of(st.none(), st.dates(min_value=date(1920, 1, 1), max_value=date(2019, 1, 1))),
        address=st.one_of(st.none(), st.just("解放大道1号")),
    ),
    st.sampled_from([Status.CONFIRMED, Status.CONTACT]),
    st.frozensets(st.sampled_from(list(Risk))),
)
def test_identification_builds_exactly_the_state_its_event_replays_to(details, status, risks):
    person, event = identify(details, status, stamp(), risks=risks)
    assert replay([event]) == person
