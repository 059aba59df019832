"""Tamper evidence anchored outside the database: every attack a reviewer made with only database access — a report
edited and its chain recomputed, a unit's latest report deleted, a person deleted with their events, discrepancies
deleted, the read audit wiped, every alert marked acknowledged — makes `verify` fail and name what changed; an
honest database stays clean; and a history rewritten even with the key contradicts the heads a bulletin printed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from admitall.domain.access import Role
from admitall.domain.chain import GENESIS, event_record, link, report_record
from admitall.domain.errors import Unavailable
from admitall.services import chain_heads, directives, watch
from admitall.services.bulletin import daily_bulletin
from admitall.services.context import Context, cli_actor
from admitall.services.people import get_person
from admitall.services.registration import register_batch
from admitall.services.verify import verify
from admitall.settings import get_settings
from admitall.store.db import alembic_config
from admitall.store.repositories.chains import FAMILIES
from admitall.store.tables import person_events, reports
from tests.factories import CITY, DAZHI, DAZHI_1, DAZHI_2, id_number, load_small_city, officer, person_row
from tests.integration.test_reporting import TEN, send
from tests.query_plans import plan, sqlite_only, statements_sent

DAY = TEN.astimezone(UTC).date()  # 2020-02-10 (10:00 in Wuhan)
NEXT_MORNING = datetime(2020, 2, 10, 16, 30, tzinfo=UTC)  # 00:30 in Wuhan on the 11th


def honest_day(ctx, clock) -> dict:
    """A small city's day through the real services: people found and read, reports (one with discrepancies),
    alerts for the missing ones (one acknowledged), a directive acknowledged; then the watch after midnight keeps
    the day's heads."""
    load_small_city(ctx)
    clock.set(TEN + timedelta(minutes=25))
    rows = [
        person_row(
            name=f"人{i}",
            id_number=id_number(seq=300 + i),
            phone=f"1390000{i:04d}",
            category="contact",
            identified_at="2020-02-10 10:20",
        )
        for i in range(6)
    ]
    people = register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="t").person_ids
    first = people[2]
    clock.set(TEN + timedelta(minutes=40))
    get_person(ctx, officer(DAZHI), first)  # an unmasked read: on record
    figures = {"found": {"contact": 1, "total": 1}}
    discrepant = send(
        ctx, DAZHI_1, reported=figures, problems=[{"type": "staff", "severity": "low", "description": "缺人手"}]
    )
    assert discrepant["discrepancies"]
    send(ctx, DAZHI_2)
    clock.set(TEN + timedelta(hours=1, minutes=20))
    latest = send(ctx, DAZHI_2, start=TEN + timedelta(hours=1))
    watch.watch(ctx)  # the reports missing at 11:10 raise alerts
    with ctx.uow() as uow:
        alerts = uow.reports.alerts_for(None)
    assert alerts
    watch.acknowledge(ctx, officer(CITY), alerts[0]["id"], "知道了")
    issued = directives.issue(
        ctx,
        officer(CITY, Role.COMMANDER),
        title="今日清零",
        units=[DAZHI],
        due_at=(TEN + timedelta(hours=6)).isoformat(),
    )
    directives.acknowledge(ctx, officer(DAZHI), issued["recipients"][0]["id"])
    clock.set(NEXT_MORNING)
    ran = watch.watch(ctx)
    assert ran["chain_heads_recorded"] is True
    return {"discrepant": discrepant, "latest": latest, "person": first}


@pytest.fixture
def day(ctx, clock):
    facts = honest_day(ctx, clock)
    assert verify(ctx)["ok"], verify(ctx)["problems"]
    return ctx, facts


def problems(ctx, table: str) -> list[dict]:
    result = verify(ctx)
    assert result["ok"] is False
    return [p for p in result["problems"] if p["table"] == table]


def execute(ctx, *statements: tuple[str, dict]) -> None:
    with ctx.engine.begin() as conn:
        for sql, params in statements:
            conn.execute(text(sql), params)


def test_an_honest_day_verifies_with_every_family_under_a_head(day):
    ctx, _ = day
    result = verify(ctx)
    assert result["ok"] and result["key"] == "environment"
    assert result["audit_checked"] > 0 and result["alerts_checked"] > 0 and result["directives_checked"] == 1
    with ctx.uow() as uow:
        heads = uow.conn.execute(text("SELECT chain, seq FROM chain_heads WHERE day = :d"), {"d": DAY}).all()
    assert {c for c, _ in heads} == {"person_events", "reports", "audit_log", "alerts", "directives"}
    assert all(n > 0 for _, n in heads)


def test_a_report_edited_and_rechained_with_the_old_bare_hash_is_caught(day):
    ctx, facts = day
    report_id = facts["discrepant"]["id"]
    with ctx.uow() as uow:
        row = uow.reports.get(report_id)
        assert row is not None
        row["attested_by"] = "别人"
        record = report_record(row, uow.reports.problems_of(report_id), [])
        del record["discrepancies"]
        forged = link(row["prev_hash"], record)  # what `verify` used to accept
    execute(ctx, ("UPDATE reports SET attested_by = '别人', hash = :h WHERE id = :i", {"h": forged, "i": report_id}))
    found = {p["id"]: p["problem"] for p in problems(ctx, "reports")}
    assert "HMAC" in found[report_id]
    assert "changed" in found[f"head {DAY.isoformat()}"]  # and the day's head no longer adds up either


def test_a_units_latest_report_deleted_is_a_missing_tail(day):
    ctx, facts = day
    gone = facts["latest"]["id"]
    execute(
        ctx,
        ("DELETE FROM report_problems WHERE report_id = :i", {"i": gone}),
        ("DELETE FROM discrepancies WHERE report_id = :i", {"i": gone}),
        ("DELETE FROM reports WHERE id = :i", {"i": gone}),
    )
    found = problems(ctx, "reports")
    assert found and found[0]["id"] == f"head {DAY.isoformat()}"
    assert "1 of the 3 records counted then are missing" in found[0]["problem"]


def test_a_person_deleted_with_all_their_events_is_caught(day):
    ctx, facts = day
    pid = {"p": facts["person"]}
    execute(
        ctx,
        ("DELETE FROM event_flows WHERE event_id IN (SELECT id FROM person_events WHERE person_id = :p)", pid),
        ("DELETE FROM wait_segments WHERE person_id = :p", pid),
        ("DELETE FROM person_sources WHERE person_id = :p", pid),
        ("DELETE FROM person_events WHERE person_id = :p", pid),
        ("DELETE FROM persons WHERE id = :p", pid),
    )
    found = problems(ctx, "person_events")
    assert found and "records counted then are missing" in found[0]["problem"]


def test_discrepancy_rows_deleted_are_caught_on_their_report(day):
    ctx, facts = day
    report_id = facts["discrepant"]["id"]
    execute(ctx, ("DELETE FROM discrepancies WHERE report_id = :i", {"i": report_id}))
    assert [p["id"] for p in problems(ctx, "reports")] == [report_id]  # the report's HMAC covers them


def test_the_read_audit_wiped_is_caught(day):
    ctx, _ = day
    execute(ctx, ("DELETE FROM audit_log WHERE action LIKE 'read%'", {}))
    found = problems(ctx, "audit_log")
    assert found and "missing" in found[0]["problem"]


def test_every_alert_marked_acknowledged_is_caught_alert_by_alert(day):
    ctx, _ = day
    with ctx.uow() as uow:
        waiting = {a["id"] for a in uow.reports.alerts_for(None)}
    assert waiting
    execute(
        ctx,
        (
            "UPDATE alerts SET acknowledged_at = :t, acknowledged_by = 'cli', ack_note = NULL "
            "WHERE acknowledged_at IS NULL",
            {"t": NEXT_MORNING.replace(tzinfo=None) if ctx.engine.dialect.name == "sqlite" else NEXT_MORNING},
        ),
    )
    found = problems(ctx, "alerts")
    assert {p["id"] for p in found} == waiting
    assert all("acknowledgement" in p["problem"] for p in found)


def test_a_directive_marked_completed_behind_the_system_is_caught(day):
    ctx, _ = day
    execute(ctx, ("UPDATE directive_recipients SET status = 'completed', completed_at = acknowledged_at", {}))
    assert len(problems(ctx, "directive_recipients")) == 1


def test_an_audit_entry_edited_is_caught(day):
    ctx, _ = day
    execute(ctx, ("UPDATE audit_log SET actor = 'nobody' WHERE action LIKE 'read%'", {}))
    assert problems(ctx, "audit_log")


def test_a_history_rewritten_with_the_key_contradicts_the_bulletins_printed_heads(day):
    """The worst case: someone holding the database and the key deletes a record and recomputes every head kept.
    The database then agrees with itself — but not with the bulletin's printed copy."""
    ctx, _ = day
    printed = daily_bulletin(ctx, DAY.isoformat())["chain_heads"]
    assert {h["chain"] for h in printed} == {"person_events", "reports", "audit_log", "alerts", "directives"}
    assert verify(ctx, printed)["ok"]
    execute(
        ctx,
        ("DELETE FROM audit_log WHERE action LIKE 'read%'", {}),
        ("DELETE FROM chain_heads", {}),
    )
    chain_heads.record_day(ctx, DAY)  # the heads recomputed over the rewritten history
    assert verify(ctx)["ok"]
    copied = "\n".join(f"{h['chain']} {h['day']} {h['seq']} {h['digest']}" for h in printed)  # as on the page
    result = verify(ctx, chain_heads.read_published(copied))
    assert not result["ok"]
    assert [p["table"] for p in result["problems"]] == ["audit_log"]
    assert result["problems"][0]["id"] == f"bulletin {DAY.isoformat()}"


def test_a_kept_head_changed_is_named(day):
    ctx, _ = day
    execute(ctx, ("UPDATE chain_heads SET seq = seq - 1 WHERE chain = 'alerts'", {}))
    found = problems(ctx, "alerts")
    assert found and "the kept head itself was changed" in found[0]["problem"]


def test_a_head_can_be_kept_on_demand_and_catches_what_follows(ctx, clock):
    honest_day(ctx, clock)
    clock.set(NEXT_MORNING + timedelta(hours=1))
    register_batch(ctx, cli_actor(), [(2, person_row(id_number=id_number(seq=777), phone="13912345777"))], source="t")
    clock.advance(timedelta(minutes=1))
    chain_heads.record_now(ctx)
    assert verify(ctx)["ok"]
    execute(ctx, ("DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)", {}))
    assert problems(ctx, "audit_log")


def test_a_days_heads_read_the_records_since_the_last_head_through_an_index(day):
    """Each family's stamp is indexed (migration 0033), so a midnight's heads cost the day's records, not every
    record ever kept: without it each midnight of the twin read every event recorded since the start."""
    ctx, _ = day
    sqlite_only(ctx.engine)
    with statements_sent(ctx.engine) as sent:
        chain_heads.record(ctx, DAY + timedelta(days=1), NEXT_MORNING + timedelta(days=1))
    folds = [(sql, params) for sql, params in sent if " >= " in sql and "chain_heads" not in sql]
    assert len(folds) == len(FAMILIES)
    for sql, params in folds:
        steps = plan(ctx.engine, sql, params)
        assert all(step.startswith("SEARCH") for step in steps), (sql, steps)


def test_another_key_is_refused_before_it_writes_anything(day):
    ctx, _ = day
    settings = ctx.settings.model_copy(update={"secret_key": "another-key-" + "y" * 30})
    with pytest.raises(Unavailable, match="not the key"):
        Context(ctx.engine, ctx.clock, settings).uow()


def test_chains_written_before_the_upgrade_are_resealed_and_a_record_already_tampered_stays_named(ctx, clock):
    """An existing database (bare SHA-256 chains, revision 0010) upgraded with the key: what was intact verifies,
    a record changed before the upgrade goes on being named."""
    from alembic import command

    honest_day(ctx, clock)
    config = alembic_config(ctx.engine)
    with ctx.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0010_signin_throttle")
    _rechain_bare(ctx)
    forged = "UPDATE person_events SET actor = 'forged' WHERE seq = 1 AND person_id = (SELECT MIN(id) FROM persons)"
    execute(ctx, (forged, {}))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADMITALL_SECRET_KEY", ctx.settings.secret_key)
        get_settings.cache_clear()
        with ctx.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    get_settings.cache_clear()
    found = verify(ctx)["problems"]
    assert {(p["table"], p.get("person")) for p in found if p["table"] == "person_events"} == {
        ("person_events", _first_person(ctx))
    }
    assert not [p for p in found if p["table"] in ("reports", "audit_log", "alerts", "directives")]


def _first_person(ctx) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(text("SELECT MIN(id) FROM persons")).scalar_one())


def _rechain_bare(ctx) -> None:
    """What the chains looked like before they were keyed: bare SHA-256 links."""
    with ctx.uow(write=True) as uow:
        prev: dict[str, str] = {}
        for r in uow.conn.execute(person_events.select().order_by(person_events.c.person_id, person_events.c.seq)):
            p = prev.get(str(r.person_id), GENESIS)
            record = event_record(
                r.person_id, r.seq, r.kind, r.occurred_at, r.recorded_at, r.actor, r.source, r.reason, r.data
            )
            digest = link(p, record)
            uow.conn.execute(person_events.update().where(person_events.c.id == r.id).values(prev_hash=p, hash=digest))
            prev[str(r.person_id)] = digest
        for r in uow.conn.execute(reports.select().order_by(reports.c.unit_code, reports.c.id)).mappings().all():
            p = prev.get(r["unit_code"], GENESIS)
            record = report_record(r, uow.reports.problems_of(r["id"]), [])
            del record["discrepancies"]
            digest = link(p, record)
            uow.conn.execute(reports.update().where(reports.c.id == r["id"]).values(prev_hash=p, hash=digest))
            prev[r["unit_code"]] = digest
        uow.commit()
