"""Registrations that match a person outside the registrant's jurisdiction: referred to the person's own unit,
never changing or revealing that person — on every registration path — and the queue where that unit applies or
dismisses them. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from admitall.domain.access import Role
from admitall.domain.errors import Conflict, InvalidInput, NotFound
from admitall.services import people, referrals
from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from admitall.store.tables import audit_log, import_batches
from admitall.store.tables_referrals import registration_referrals
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    JIANGAN,
    WUCHANG,
    WUCHANG_1,
    id_number,
    load_small_city,
    officer,
    person_row,
)

WANG_ID = id_number(seq=44)
WANG = person_row(name="王五", id_number=WANG_ID, phone="13900000044", unit_code=WUCHANG_1, category="contact")
# the same person as the Wuchang officers know her, registered without a document
ZHAO = person_row(name="赵六", id_number=None, phone="13900000066", unit_code=WUCHANG_1, category="contact")


@pytest.fixture
def city(ctx):
    load_small_city(ctx, leads=False)
    summary = register_batch(ctx, cli_actor(), [(2, WANG), (3, ZHAO)], source="wuchang-list")
    ctx.wang, ctx.zhao = summary.person_ids[2], summary.person_ids[3]
    return ctx


def _stored(ctx, person_id: int) -> Any:
    with ctx.uow() as uow:
        return uow.persons.get(person_id)


def _referrals(ctx) -> list[Any]:
    with ctx.engine.connect() as conn:
        return list(conn.execute(select(registration_referrals).order_by(registration_referrals.c.id)))


def test_registering_another_districts_person_by_id_changes_nothing_and_answers_only_referred(city):
    before = _stored(city, city.wang)
    row = person_row(
        name="王五", id_number=WANG_ID, unit_code=DAZHI_1, category="confirmed", severity="critical", address="汉口"
    )
    result = people.register_person(city, officer(DAZHI), row, source="api")
    assert result["outcome"] == "referred" and result["person"] is None
    assert result["message"]["en"] == "Referred to the person's own unit to check"
    after = _stored(city, city.wang)
    assert after == before  # not raised to confirmed, not critical, the blank address not filled
    (referral,) = _referrals(city)
    assert (referral.person_id, referral.unit_code, referral.state) == (city.wang, WUCHANG_1, "open")
    assert (referral.submitted_by, referral.submitted_unit, referral.matched_by) == ("officer", DAZHI, "document")
    assert referral.fields["severity"] == "critical" and referral.fields["address"] == "汉口"


def test_a_match_by_name_and_phone_is_referred_with_the_same_answer_as_a_match_by_id(city):
    by_id = people.register_person(
        city, officer(DAZHI), person_row(id_number=WANG_ID, phone=None, unit_code=DAZHI_1), source="api"
    )
    by_phone = people.register_person(
        city, officer(DAZHI), person_row(name="赵六", id_number=None, phone="13900000066", unit_code=DAZHI_1)
    )
    assert by_id == by_phone
    assert [r.matched_by for r in _referrals(city)] == ["document", "name_phone"]
    assert _stored(city, city.zhao).status.value == "contact"


def test_an_import_counts_the_row_referred_and_says_nothing_about_the_person(city):
    rows = [
        (2, person_row(name="新人", id_number=id_number(seq=501), phone="13700000501", unit_code=DAZHI_1)),
        (3, person_row(name="王五", id_number=WANG_ID, phone="13911111111", unit_code=DAZHI_1, category="confirmed")),
        (4, person_row(name="新人", id_number=id_number(seq=501), phone="13700000501", unit_code=DAZHI_1)),
        (5, person_row(name="not-a-phone", phone="123", id_number=None, unit_code=DAZHI_1)),
    ]
    summary = register_batch(city, officer(DAZHI), rows, source="dazhi-list", filename="list.csv", sha256="x")
    assert (summary.rows, summary.accepted, summary.merged, summary.referred, summary.rejected) == (4, 1, 1, 1, 1)
    shown = summary.as_dict("en")
    assert shown["referred"] == 1
    assert shown["accepted"] + shown["merged"] + shown["referred"] + shown["rejected"] == shown["rows"]
    assert [w["row"] for w in shown["warnings"]] == [] and [r["row"] for r in shown["rejections"]] == [5]
    assert 3 not in summary.person_ids
    assert "王五" not in repr(shown) and "13900000044" not in repr(shown)
    assert _stored(city, city.wang).status.value == "contact"
    (referral,) = _referrals(city)
    assert (referral.filename, referral.row, referral.source) == ("list.csv", 3, "dazhi-list")
    with city.engine.connect() as conn:
        batch = conn.execute(select(import_batches)).one()
    assert (batch.rows, batch.accepted, batch.merged, batch.referred, batch.rejected) == (4, 1, 1, 1, 1)


def test_a_source_reference_that_belongs_to_another_districts_person_is_referred_not_rejected(city):
    rows = [(2, person_row(name="别名", id_number=None, phone=None, source_ref="W-1", unit_code=DAZHI_1))]
    register_batch(city, cli_actor(), [(2, {**ZHAO, "source_ref": "W-1"})], source="shared")
    summary = register_batch(city, officer(DAZHI), rows, source="shared", filename="s.csv")
    assert (summary.referred, summary.rejected, summary.rejections) == (1, 0, [])
    assert _referrals(city)[-1].matched_by == "source"


def test_a_match_inside_the_jurisdiction_still_merges(city):
    result = people.register_person(
        city, officer(WUCHANG), person_row(id_number=WANG_ID, unit_code=WUCHANG_1, category="confirmed")
    )
    assert result["outcome"] == "merged" and result["person"]["id"] == city.wang
    assert _stored(city, city.wang).status.value == "confirmed"
    assert _referrals(city) == []


def test_the_persons_own_unit_and_those_above_see_the_referral_and_the_registrant_does_not(city):
    people.register_person(city, officer(DAZHI), person_row(id_number=WANG_ID, unit_code=DAZHI_1))
    for unit in (WUCHANG_1, WUCHANG, CITY):
        (seen,) = referrals.list_referrals(city, officer(unit))["referrals"]
        assert seen["person"]["id"] == city.wang and seen["fields"]["id_number"] == WANG_ID
    for unit in (DAZHI, JIANGAN, DAZHI_1):
        assert referrals.list_referrals(city, officer(unit))["referrals"] == []
    with pytest.raises(NotFound):
        referrals.apply_referral(city, officer(DAZHI), _referrals(city)[0].id)
    with pytest.raises(NotFound):
        referrals.dismiss_referral(city, officer(JIANGAN), _referrals(city)[0].id, "not ours")
    assert _referrals(city)[0].state == "open"


def test_an_administrator_sees_the_submitted_personal_data_masked(city):
    people.register_person(city, officer(DAZHI), person_row(id_number=WANG_ID, unit_code=DAZHI_1))
    (seen,) = referrals.list_referrals(city, officer(CITY, role=Role.ADMIN))["referrals"]
    assert seen["masked"] and seen["fields"]["id_number"] != WANG_ID and seen["fields"]["phone"] == "138****5678"


def test_applying_a_referral_merges_it_as_a_registration_would_once(city, clock):
    row = person_row(id_number=WANG_ID, unit_code=DAZHI_1, category="confirmed", severity="severe", address="汉口")
    people.register_person(city, officer(DAZHI), row)
    referral_id = _referrals(city)[0].id
    result = referrals.apply_referral(city, officer(WUCHANG_1, username="wuchang"), referral_id)
    person = _stored(city, city.wang)
    assert (person.status.value, person.severity.value, person.details.address) == ("confirmed", "severe", "汉口")
    assert result["person"]["id"] == city.wang and {w["field"] for w in result["warnings"]} >= {"unit_code"}
    stored = _referrals(city)[0]
    assert (stored.state, stored.decided_by) == ("applied", "wuchang") and stored.decided_at is not None
    with pytest.raises(Conflict):
        referrals.apply_referral(city, officer(WUCHANG_1, username="wuchang"), referral_id)
    with pytest.raises(Conflict):
        referrals.dismiss_referral(city, officer(WUCHANG_1), referral_id, "late")
    with city.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log.c.action, audit_log.c.unit_code))]
    assert "refer_registration" in actions and "apply_referral" in actions


def test_dismissing_needs_a_reason_and_leaves_the_person_as_they_were(city):
    people.register_person(city, officer(DAZHI), person_row(id_number=WANG_ID, unit_code=DAZHI_1, category="fever"))
    before = _stored(city, city.wang)
    referral_id = _referrals(city)[0].id
    for reason in ("", "   ", "x" * 501, "bad\x00reason"):
        with pytest.raises(InvalidInput):
            referrals.dismiss_referral(city, officer(WUCHANG), referral_id, reason)
    result = referrals.dismiss_referral(city, officer(WUCHANG), referral_id, "同名不同人，已电话核实")
    assert result["state"] == "dismissed" and _stored(city, city.wang) == before
    stored = _referrals(city)[0]
    assert (stored.state, stored.reason) == ("dismissed", result["reason"]) and "已电话核实" in stored.reason
    assert referrals.list_referrals(city, officer(WUCHANG))["referrals"] == []
    assert len(referrals.list_referrals(city, officer(WUCHANG), state="all")["referrals"]) == 1


def test_a_role_that_does_not_register_people_has_no_referral_queue(city):
    from admitall.domain.errors import Forbidden

    for role in (Role.COMMANDER, Role.DISPATCHER, Role.FACILITY_OFFICER, Role.ANALYST):
        with pytest.raises(Forbidden):
            referrals.list_referrals(city, officer(CITY, role=role))
    with pytest.raises(InvalidInput):
        referrals.list_referrals(city, officer(WUCHANG), state="closed")
