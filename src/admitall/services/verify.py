"""Verification: walk the keyed chains of person events and reports, check the audit, alerts and directives
against their HMACs and every family against the heads kept per day (and copied from bulletins), and every
person's stored state and waits against the replay of their history. Anything changed or removed behind the
system's back is named."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import func, select

from admitall.domain.chain import GENESIS, event_record, same, seal
from admitall.domain.errors import AdmitAllError
from admitall.domain.lifecycle import replay
from admitall.domain.people import EventKind, Person, PersonEvent, Stamp
from admitall.domain.waits import segments_from_history
from admitall.services import chain_heads
from admitall.services.context import Context
from admitall.services.reporting import report_hash
from admitall.services.verify_records import alerts_and_directives, audit_entries
from admitall.store.repositories.census import MERGED_AWAY
from admitall.store.repositories.persons import to_person
from admitall.store.tables import person_events, persons
from admitall.store.tables_accountability import wait_segments
from admitall.store.tables_census import event_flows
from admitall.store.tables_ops import person_event_redactions

BATCH = 5000


def _person_chains(ctx: Context, found: list[dict[str, Any]]) -> int:
    """Check every event's hash and link, person by person, the chain head kept on the person against the last
    event, and the person's state against its replay."""
    key = ctx.keys.chain
    checked = 0
    with ctx.engine.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
            select(person_events, person_event_redactions.c.seal.label("redaction"))
            .outerjoin(person_event_redactions, person_event_redactions.c.event_id == person_events.c.id)
            .order_by(person_events.c.person_id, person_events.c.seq)
        )
        current: int | None = None
        prev, expected_seq = GENESIS, 1
        history: list[PersonEvent] = []
        people: dict[int, Person] = {}
        heads: dict[int, str] = {}
        waits: dict[int, list[tuple[Any, ...]]] = {}

        def finish(person_id: int, events: list[PersonEvent], last_hash: str) -> None:
            stored = people.get(person_id)
            if stored is None:
                return
            if heads.get(person_id) != last_hash:
                found.append(
                    {
                        "table": "persons",
                        "id": person_id,
                        "problem": "the chain head kept on the person is not its last event's hash "
                        "(an event changed, removed or added behind the system)",
                    }
                )
            try:
                derived = replace(replay(events), id=person_id)
            except AdmitAllError as e:
                found.append(
                    {"table": "person_events", "person": person_id, "problem": f"history does not replay: {e}"}
                )
                return
            if derived != stored:
                found.append(
                    {
                        "table": "persons",
                        "id": person_id,
                        "problem": "stored state differs from the replay of the history",
                    }
                )
            implied = [
                (k.unit_code, k.priority_class.value, k.wait_started_at, a, b, o)
                for k, a, b, o in segments_from_history(events, ctx.policy)
            ]
            if waits.get(person_id, []) != implied:
                found.append(
                    {
                        "table": "wait_segments",
                        "person": person_id,
                        "problem": "the waits kept for the scorecards differ from what the history implies",
                    }
                )

        for r in rows:
            checked += 1
            if r.person_id != current:
                if current is not None:
                    finish(current, history, prev)
                current, prev, expected_seq, history = r.person_id, GENESIS, 1, []
                if not people or r.person_id not in people:
                    ids = [r.person_id + i for i in range(BATCH)]
                    stored = conn.execute(select(persons).where(persons.c.id.in_(ids))).all()
                    people = {x.id: to_person(x) for x in stored}
                    heads = {x.id: x.event_head for x in stored}
                    waits = _waits(conn, ids)
            record = event_record(
                r.person_id, r.seq, r.kind, r.occurred_at, r.recorded_at, r.actor, r.source, r.reason, r.data
            )
            # an event whose personal details were purged is sealed as redacted, chained to its hash (services.purge)
            digest, expected = (
                (seal(key, r.hash, record), r.redaction) if r.redaction else (seal(key, r.prev_hash, record), r.hash)
            )
            if r.seq != expected_seq:
                found.append(
                    {
                        "table": "person_events",
                        "id": r.id,
                        "person": r.person_id,
                        "problem": f"sequence {r.seq} where {expected_seq} was expected (an event removed?)",
                    }
                )
            if r.prev_hash != prev:
                found.append(
                    {
                        "table": "person_events",
                        "id": r.id,
                        "person": r.person_id,
                        "problem": "does not link to the previous event (one was changed or removed)",
                    }
                )
            if not same(digest, expected):
                found.append(
                    {
                        "table": "person_events",
                        "id": r.id,
                        "person": r.person_id,
                        "problem": "its content no longer matches its hash (changed after it was written)",
                    }
                )
            history.append(
                PersonEvent(EventKind(r.kind), Stamp(r.occurred_at, r.recorded_at, r.actor, r.source, r.reason), r.data)
            )
            prev, expected_seq = r.hash, r.seq + 1
        if current is not None:
            finish(current, history, prev)
    return checked


def _waits(conn: Any, ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    w = wait_segments.c
    found: dict[int, list[tuple[Any, ...]]] = {}
    query = (
        select(w.person_id, w.unit_code, w.priority_class, w.wait_started_at, w.started_at, w.ended_at, w.outcome)
        .where(w.person_id.in_(ids))
        .order_by(w.person_id, w.id)
    )
    for r in conn.execute(query):
        found.setdefault(r[0], []).append(tuple(r[1:]))
    return found


def _report_chains(ctx: Context, found: list[dict[str, Any]]) -> int:
    """Each unit's reports in chain order: the link, and the HMAC over the report, its problems as sent and its
    discrepancies."""
    key = ctx.keys.chain
    checked = 0
    with ctx.uow() as uow:
        unit, prev = None, GENESIS
        discrepancies = uow.reports.discrepancies_by_report()
        for row in uow.reports.chain():
            checked += 1
            if row["unit_code"] != unit:
                unit, prev = row["unit_code"], GENESIS
            problems = uow.reports.problems_of(row["id"])
            if row["prev_hash"] != prev:
                found.append(
                    {
                        "table": "reports",
                        "id": row["id"],
                        "unit": unit,
                        "problem": "does not link to the unit's previous report (one was changed or removed)",
                    }
                )
            digest = report_hash(key, row["prev_hash"], row, problems, discrepancies.get(row["id"], []))
            if not same(digest, row["hash"]):
                found.append(
                    {
                        "table": "reports",
                        "id": row["id"],
                        "unit": unit,
                        "problem": "its content, problems or discrepancies no longer match its HMAC "
                        "(changed or removed after it was received)",
                    }
                )
            prev = row["hash"]
    return checked


def _census(ctx: Context, found: list[dict[str, Any]]) -> None:
    """The census the triggers keep (store.tables_census) against the people themselves."""
    with ctx.uow() as uow:
        differences = uow.census.differences()
    for (unit, status, severity, placement), (kept, counted) in sorted(
        differences.items(), key=lambda d: tuple(x or "" for x in d[0])
    ):
        found.append(
            {
                "table": "unit_census",
                "id": f"{unit}/{status}/{severity or '-'}/{placement}",
                "unit": unit,
                "problem": f"the census counts {kept} but the registry holds {counted}",
            }
        )


def _flows(ctx: Context, found: list[dict[str, Any]]) -> None:
    """Every event that moves the backlog has its flow row (store.tables_census), and no flow is left over; each
    difference named by event id. Also that SQLite's once-per-batch switch (store.bulk) was not left on."""
    kinds = [k.value for k in (EventKind.IDENTIFIED, EventKind.RECLASSIFIED, EventKind.SEVERITY_CHANGED)]
    kinds.append(EventKind.ADMITTED.value)
    e, f = person_events.c, event_flows.c
    with ctx.uow() as uow:
        # a person merged into another record (services.linkage_merge) has no flows while merged: counted once
        events = uow.conn.execute(
            select(func.count()).where(e.kind.in_(kinds), e.person_id.not_in(MERGED_AWAY))
        ).scalar_one()
        flows = uow.conn.execute(
            select(func.count()).select_from(event_flows.join(person_events, e.id == f.event_id))
        ).scalar_one()
        kept = uow.conn.execute(select(func.count()).select_from(event_flows)).scalar_one()
        named = uow.census.flow_differences()
        switch_on = uow.census.batch_switch_left_on()
    if not events == flows == kept or named["unflowed"] or named["stray"]:
        found.append(
            {
                "table": "event_flows",
                "id": "-",
                "unit": None,
                "problem": f"{events} events move the backlog but {flows} of {kept} flow rows match them",
            }
        )
    for kind, problem in (("unflowed", "has no flow row"), ("stray", "differs from its flow row or has none")):
        for event_id in named[kind]:
            found.append({"table": "event_flows", "id": event_id, "unit": None, "problem": f"the event {problem}"})
    if switch_on:
        found.append(
            {
                "table": "bulk_projections",
                "id": 1,
                "unit": None,
                "problem": "the once-per-batch switch was left on: the census and flow triggers are off",
            }
        )


def verify(ctx: Context, published: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Everything above; `published` are heads copied from bulletins (services.chain_heads.read_published)."""
    found: list[dict[str, Any]] = []
    events = _person_chains(ctx, found)
    reports = _report_chains(ctx, found)
    audit = audit_entries(ctx, found)
    others = alerts_and_directives(ctx, found)
    heads = chain_heads.check(ctx, found, published)
    _census(ctx, found)
    _flows(ctx, found)
    return {
        "ok": not found,
        "events_checked": events,
        "reports_checked": reports,
        "audit_checked": audit,
        "alerts_checked": others["alerts"],
        "directives_checked": others["directives"],
        "heads_checked": heads,
        "key": ctx.keys.source,
        "problems": found,
    }
