"""Incremental verify (issue 15): after a verify that found all intact, the next reads only the chains that changed
since — a new event or report, a head kept on the person or unit that moved, a verified event or report rewritten
or removed — and finds tampering that changed a head; what it does not read (an event rewritten behind an unchanged
head) only `--full` finds. A verify that finds a problem keeps no checkpoint."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text

from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from admitall.services.verify_incremental import verify_changed
from tests.factories import DAZHI_2, id_number, person_row
from tests.integration.test_ops_backup import admitall
from tests.integration.test_reporting import send
from tests.integration.test_tamper_evidence import NEXT_MORNING, execute, honest_day


def verified(ctx, clock):
    """An honest day verified in full once: the checkpoint every test starts from."""
    facts = honest_day(ctx, clock)
    first = verify_changed(ctx)
    assert first["ok"], first["problems"]
    assert first["mode"] == "full" and first["events_checked"] > 0
    return facts


def add_person(ctx, clock, seq: int) -> int:
    clock.set(NEXT_MORNING + timedelta(minutes=seq))
    row = person_row(name=f"新{seq}", id_number=id_number(seq=700 + seq), phone=f"1391111{seq:04d}")
    return register_batch(ctx, cli_actor(), [(2, row)], source="t").person_ids[2]


def test_nothing_changed_reads_no_chain_and_stays_intact(ctx, clock):
    verified(ctx, clock)
    again = verify_changed(ctx)
    assert again["ok"], again["problems"]
    assert again["mode"] == "incremental" and again["since"]
    assert (again["people_walked"], again["units_walked"], again["events_checked"], again["reports_checked"]) == (
        0,
        0,
        0,
        0,
    )
    assert again["audit_checked"] == 0
    assert verify_changed(ctx, full=True)["mode"] == "full"


def test_what_the_system_wrote_since_is_read_and_only_that(ctx, clock):
    verified(ctx, clock)
    pid = add_person(ctx, clock, 1)
    hour = NEXT_MORNING.replace(minute=0) + timedelta(hours=1)
    clock.set(hour + timedelta(minutes=20))
    send(ctx, DAZHI_2, start=hour)
    result = verify_changed(ctx)
    assert result["ok"], result["problems"]
    assert result["people_walked"] == 1 and result["events_checked"] >= 1
    assert result["units_walked"] == 1 and result["reports_checked"] >= 2  # the unit's whole chain
    assert result["audit_checked"] > 0
    after = verify_changed(ctx)
    assert (after["people_walked"], after["units_walked"]) == (0, 0), pid


def test_an_event_appended_behind_the_system_is_found(ctx, clock):
    facts = verified(ctx, clock)
    execute(
        ctx,
        (
            "INSERT INTO person_events (person_id, seq, kind, occurred_at, recorded_at, actor, source, data, "
            "prev_hash, hash) SELECT person_id, seq + 1, kind, occurred_at, recorded_at, 'x', 'x', '{}', hash, "
            "'ab12' FROM person_events WHERE person_id = :p ORDER BY seq DESC LIMIT 1",
            {"p": facts["person"]},
        ),
    )
    result = verify_changed(ctx)
    assert result["mode"] == "incremental" and not result["ok"]
    walked = {p["person"] for p in result["problems"] if p["table"] == "person_events" and "person" in p}
    assert walked == {facts["person"]} and result["people_walked"] == 1


def test_an_old_event_rewritten_with_the_head_moved_is_found(ctx, clock):
    facts = verified(ctx, clock)
    pid = {"p": facts["person"]}
    execute(
        ctx,
        ("UPDATE person_events SET actor = 'someone', hash = 'cd34' WHERE person_id = :p AND seq = 1", pid),
        ("UPDATE persons SET event_head = 'cd34' WHERE id = :p", pid),
    )
    result = verify_changed(ctx)
    assert result["mode"] == "incremental" and not result["ok"]
    problems = [p["problem"] for p in result["problems"] if p.get("person") == facts["person"]]
    assert any("already verified was rewritten" in p for p in problems)
    assert any("no longer matches its hash" in p for p in problems)


def test_a_verified_report_rewritten_or_removed_is_found(ctx, clock):
    facts = verified(ctx, clock)
    latest = facts["latest"]["id"]
    execute(ctx, ("UPDATE reports SET attested_by = '别人', hash = 'ef56' WHERE id = :i", {"i": latest}))
    rewritten = verify_changed(ctx)
    assert not rewritten["ok"] and rewritten["units_walked"] == 1
    assert any(p["id"] == latest and "already verified was rewritten" in p["problem"] for p in rewritten["problems"])
    execute(
        ctx,
        ("DELETE FROM report_problems WHERE report_id = :i", {"i": latest}),
        ("DELETE FROM discrepancies WHERE report_id = :i", {"i": latest}),
        ("DELETE FROM reports WHERE id = :i", {"i": latest}),
    )
    removed = verify_changed(ctx)
    assert any(p["id"] == latest and "is gone" in p["problem"] for p in removed["problems"])


def test_an_event_rewritten_behind_an_unchanged_head_needs_the_full_verify(ctx, clock):
    """What the incremental verify does not promise (docs/deploy.md): it does not read unchanged chains again."""
    facts = verified(ctx, clock)
    execute(
        ctx, ("UPDATE person_events SET actor = 'someone' WHERE person_id = :p AND seq = 1", {"p": facts["person"]})
    )
    assert verify_changed(ctx)["ok"]
    full = verify_changed(ctx, full=True)
    assert not full["ok"] and full["mode"] == "full"
    assert [p["person"] for p in full["problems"] if p["table"] == "person_events"] == [facts["person"]]


def test_a_verify_that_finds_a_problem_keeps_no_checkpoint(ctx, clock):
    facts = verified(ctx, clock)
    add_person(ctx, clock, 2)
    pid = {"p": facts["person"]}
    execute(ctx, ("UPDATE persons SET event_head = '0a0b' WHERE id = :p", pid))
    assert not verify_changed(ctx)["ok"]
    with ctx.engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM verify_checkpoints")).scalar_one()
    assert kept == 1  # only the first, full one
    again = verify_changed(ctx)
    assert not again["ok"] and again["people_walked"] == 2  # the tampered one and the new one, read again


def test_the_cli_verifies_incrementally_and_in_full_on_demand(sqlite_url, clock):
    from tests.conftest import make_ctx

    ctx = make_ctx(sqlite_url, clock)
    honest_day(ctx, clock)
    ctx.engine.dispose()
    first = json.loads(admitall(sqlite_url, "verify", "--json").stdout)
    assert first["ok"] and first["mode"] == "full"
    second = admitall(sqlite_url, "verify")
    assert second.returncode == 0 and second.stdout.startswith("changed since ")
    full = admitall(sqlite_url, "verify", "--full")
    assert full.returncode == 0 and full.stdout.startswith("full: ")


def test_a_wholesale_rewrite_counts_every_problem_and_keeps_the_first(ctx, clock, monkeypatch):
    from admitall.services.verify import Problems

    verified(ctx, clock)
    monkeypatch.setattr(Problems, "KEPT", 2)
    execute(ctx, ("UPDATE person_events SET actor = 'someone'", {}))
    full = verify_changed(ctx, full=True)
    assert not full["ok"] and full["problems_total"] > 2 and len(full["problems"]) == 2
