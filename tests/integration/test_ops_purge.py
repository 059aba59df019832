"""Personal data retention: `purge --released-before DATE` removes the names, ID numbers, phones and addresses of
people released before that day, keeps their counts, events and chains verifiable, leaves everyone else alone,
refuses a tampered history (it would launder it), is a dry run unless applied, audited, and for administrators
only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden
from admitall.services.context import Actor, cli_actor
from admitall.services.people import reclassify_person
from admitall.services.purge import REDACTED_NAME, purge
from admitall.services.registration import register_batch
from admitall.services.verify import verify
from admitall.store.tables import audit_log, person_events, persons
from admitall.store.tables_referrals import registration_referrals
from tests.conftest import START
from tests.factories import DAZHI, WUCHANG, WUCHANG_1, id_number, load_small_city, officer, person_row

RAW = ("王小明", "13900001111", "幸福路1号")


def two_people(ctx, clock) -> tuple[int, int]:
    """One person ruled out on 10 February, one still suspected."""
    load_small_city(ctx, leads=False)
    rows = [
        person_row(name="王小明", id_number=id_number(seq=501), phone="13900001111", address="幸福路1号"),
        person_row(name="李四", id_number=id_number(seq=502), phone="13900002222", address="和平路2号"),
    ]
    ids = register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="t").person_ids
    gone, stays = ids[2], ids[3]
    clock.set(START + timedelta(hours=1))
    reclassify_person(ctx, officer(DAZHI), gone, "excluded", reason="核酸阴性")
    clock.set(START + timedelta(days=40))
    return gone, stays


def stored(ctx, person_id: int):
    with ctx.engine.connect() as conn:
        person = conn.execute(select(persons).where(persons.c.id == person_id)).one()
        events = conn.execute(select(person_events.c.data).where(person_events.c.person_id == person_id)).all()
    return person, " ".join(str(e.data) for e in events)


def test_a_dry_run_counts_and_changes_nothing(ctx, clock):
    gone, _ = two_people(ctx, clock)
    result = purge(ctx, cli_actor(), date(2020, 3, 1))
    assert result["people"] == 1 and result["applied"] is False and result["events_redacted"] == 0
    person, events = stored(ctx, gone)
    assert person.name == "王小明" and "13900001111" in events


def test_only_people_released_before_the_day_are_counted(ctx, clock):
    two_people(ctx, clock)
    assert purge(ctx, cli_actor(), date(2020, 2, 10))["people"] == 0  # ruled out on the 10th itself
    assert purge(ctx, cli_actor(), date(2020, 2, 11))["people"] == 1


def test_purging_removes_the_details_and_keeps_the_chains_verifiable(ctx, clock):
    gone, stays = two_people(ctx, clock)
    result = purge(ctx, cli_actor(), date(2020, 3, 1), apply=True)
    assert result["people"] == 1 and result["events_redacted"] == 1 and not result["people_skipped_tampered"]
    person, events = stored(ctx, gone)
    assert (person.name, person.document_number, person.phone, person.address) == (REDACTED_NAME, None, None, None)
    assert person.status == "excluded" and person.sex is not None  # the state and the statistics stay
    assert not any(value in events for value in RAW) and id_number(seq=501) not in events
    other, other_events = stored(ctx, stays)
    assert other.name == "李四" and "13900002222" in other_events
    checked = verify(ctx)
    assert checked["ok"], checked["problems"]
    with ctx.engine.connect() as conn:
        entry = conn.execute(select(audit_log).where(audit_log.c.action == "personal_data_purged")).one()
    assert entry.actor == "cli" and entry.detail["people"] == 1
    assert purge(ctx, cli_actor(), date(2020, 3, 1))["people"] == 0  # nothing left to purge


def test_a_referral_carrying_their_details_is_redacted_too(ctx, clock):
    gone, _ = two_people(ctx, clock)
    row = person_row(name="王小明", id_number=id_number(seq=501), phone="13900001111", unit_code=WUCHANG_1)
    summary = register_batch(ctx, officer(WUCHANG), [(2, row)], source="t")
    assert summary.referred == 1
    purge(ctx, cli_actor(), date(2020, 3, 1), apply=True)
    with ctx.engine.connect() as conn:
        (fields,) = conn.execute(
            select(registration_referrals.c.fields).where(registration_referrals.c.person_id == gone)
        ).one()
    assert not any(value in str(fields) for value in RAW) and id_number(seq=501) not in str(fields)
    assert fields["unit_code"] == WUCHANG_1  # what is not personal stays


def test_a_redacted_event_changed_afterwards_fails_verification(ctx, clock):
    gone, _ = two_people(ctx, clock)
    purge(ctx, cli_actor(), date(2020, 3, 1), apply=True)
    with ctx.engine.begin() as conn:
        conn.execute(
            text("UPDATE person_events SET data = :d WHERE person_id = :p AND seq = 1"),
            {"d": '{"name": "***", "unit_code": "420102002001", "status": "confirmed"}', "p": gone},
        )
    problems = verify(ctx)["problems"]
    assert any(p["table"] == "person_events" and p.get("person") == gone for p in problems)


def test_a_tampered_history_is_not_purged(ctx, clock):
    gone, _ = two_people(ctx, clock)
    with ctx.engine.begin() as conn:
        row = conn.execute(
            select(person_events).where(person_events.c.person_id == gone, person_events.c.seq == 1)
        ).one()
        data = {**row.data, "address": "篡改路9号"}
        conn.execute(person_events.update().where(person_events.c.id == row.id).values(data=data))
    result = purge(ctx, cli_actor(), date(2020, 3, 1), apply=True)
    assert result["people_skipped_tampered"] == [gone] and result["people"] == 0
    person, _ = stored(ctx, gone)
    assert person.name == "王小明"  # left for verify to name
    assert not verify(ctx)["ok"]


@pytest.mark.parametrize("role", [Role.COMMANDER, Role.UNIT_OFFICER, Role.ANALYST, Role.DISPATCHER])
def test_only_an_administrator_may_purge(ctx, clock, role):
    two_people(ctx, clock)
    with pytest.raises(Forbidden):
        purge(ctx, Actor(username="x", role=role, unit_code=None), date(2020, 3, 1))
