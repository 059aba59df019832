"""Many changes to people in one transaction: each by the same rules as one at a time; a refused one is skipped
with its reason, the rest are stored, and the batch is on record."""

from __future__ import annotations

from datetime import timedelta

from admitall.domain.access import Role
from admitall.services.admission import Confirmation, confirm
from admitall.services.context import Actor, cli_actor
from admitall.services.person_steps import Step, apply_steps
from admitall.services.registration import register_batch
from admitall.services.verify import verify
from tests.factories import DAZHI, WUCHANG, id_number, load_small_city, load_small_facilities, person_row

FIELD = Actor("field", Role.UNIT_OFFICER, DAZHI)


def registered(ctx, n: int) -> list[int]:
    rows = [(i + 2, person_row(id_number=id_number(seq=100 + i), category="suspected")) for i in range(n)]
    summary = register_batch(ctx, cli_actor(), rows, source="t")
    return [summary.person_ids[i + 2] for i in range(n)]


def test_steps_are_stored_in_order_and_a_refused_one_names_its_rule(ctx, clock):
    load_small_city(ctx)
    first, second, third = registered(ctx, 3)
    clock.advance(timedelta(hours=2))
    summary = apply_steps(
        ctx,
        FIELD,
        [
            Step(first, "reclassify", to="confirmed", severity="severe"),
            Step(first, "severity", to="critical"),
            Step(second, "reclassify", to="excluded", reason="核酸阴性"),
            Step(third, "reclassify", to="released"),  # a suspected patient is not released: refused
            Step(999_999, "reclassify", to="confirmed"),  # nobody: refused as not found
        ],
        source="t",
    )
    assert summary.done[first].severity.value == "critical" and summary.done[first].version == 3
    assert summary.done[second].status.value == "excluded"
    assert third not in summary.done
    refused = {s.person_id: code for s, code, _ in summary.refused}
    assert refused[third].endswith("suspected_outcomes")
    assert refused[999_999] == "person.not_found"
    assert verify(ctx)["ok"] is True
    with ctx.engine.connect() as conn:
        audit = conn.exec_driver_sql("SELECT action FROM audit_log WHERE action = 'person_steps'").all()
    assert len(audit) == 1


def test_steps_outside_the_jurisdiction_or_the_role_are_refused(ctx, clock):
    load_small_city(ctx)
    (pid,) = registered(ctx, 1)
    clock.advance(timedelta(hours=1))
    elsewhere = Actor("other", Role.UNIT_OFFICER, WUCHANG)
    summary = apply_steps(ctx, elsewhere, [Step(pid, "reclassify", to="confirmed")], source="t")
    assert [code for _, code, _ in summary.refused] == ["person.not_found"]
    analyst = Actor("analyst", Role.ANALYST, None)
    summary = apply_steps(ctx, analyst, [Step(pid, "reclassify", to="confirmed")], source="t")
    assert [code for _, code, _ in summary.refused] == ["forbidden.role"]
    desk = Actor("desk", Role.FACILITY_OFFICER, None)
    summary = apply_steps(ctx, desk, [Step(pid, "outcome", to="recovered")], source="t")
    assert [code for _, code, _ in summary.refused] == ["admission.not_admitted"]


def test_a_desk_admits_whoever_is_bound_for_it_even_from_another_district(ctx, clock):
    load_small_city(ctx)
    load_small_facilities(ctx)
    (pid,) = registered(ctx, 1)  # a suspected patient of Dazhi (Jiang'an district)
    clock.advance(timedelta(hours=1))
    dispatcher = Actor("dispatcher", Role.DISPATCHER, None)
    assert confirm(ctx, dispatcher, [Confirmation(pid, "I1", "single_room")])["confirmed"]
    wuchang_desk = Actor("desk", Role.FACILITY_OFFICER, WUCHANG, facility_code="I1")
    summary = apply_steps(ctx, wuchang_desk, [Step(pid, "depart"), Step(pid, "admit")], source="t")
    assert not summary.refused and summary.done[pid].placement.value == "admitted"
    other_desk = Actor("desk2", Role.FACILITY_OFFICER, WUCHANG, facility_code="H1")
    summary = apply_steps(ctx, other_desk, [Step(pid, "outcome", to="excluded")], source="t")
    assert [code for _, code, _ in summary.refused] == ["person.not_found"]
