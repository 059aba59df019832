"""Verification: walk the keyed chains of person events and reports, check the audit, alerts and directives
against their HMACs and every family against the heads kept per day (and copied from bulletins), and every
person's stored state and waits against the replay of their history. Anything changed or removed behind the
system's back is named."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
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
from admitall.store.tables import person_events, persons, report_problems, reports
from admitall.store.tables_accountability import wait_segments
from admitall.store.tables_census import event_flows
from admitall.store.tables_ops import person_event_redactions

BATCH = 5000


def _person_chains(
    ctx: Context,
    found: list[dict[str, Any]],
    only: Sequence[int] | None = None,
    anchors: Mapping[int, tuple[int, str]] | None = None,
) -> int:
    """Check every event's hash and link, person by person, the chain head kept on the person against the last
    event, and the person's state against its replay. With `only`, just those people (sorted ids), each whole chain;
    `anchors` (person → id and hash of the last event verified before) are checked to be still there unchanged."""
    walk = _Walk(ctx, found, anchors or {})
    select_events = select(person_events, person_event_redactions.c.seal.label("redaction")).outerjoin(
        person_event_redactions, person_event_redactions.c.event_id == person_events.c.id
    )
    with ctx.engine.connect() as conn:
        if only is None:
            rows = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                select_events.order_by(person_events.c.person_id, person_events.c.seq)
            )
            walk.run(conn, rows, None)
        else:
            for lo in range(0, len(only), BATCH):
                ids = list(only[lo : lo + BATCH])
                query = select_events.where(person_events.c.person_id.in_(ids))
                walk.run(conn, conn.execute(query.order_by(person_events.c.person_id, person_events.c.seq)), ids)
    return walk.checked


class _Walk:
    """One pass over events in (person, seq) order; the people's stored rows and waits loaded a batch at a time."""

    def __init__(self, ctx: Context, found: list[dict[str, Any]], anchors: Mapping[int, tuple[int, str]]) -> None:
        self.ctx, self.found, self.anchors, self.key = ctx, found, anchors, ctx.keys.chain
        self.checked = 0
        self.people: dict[int, Person] = {}
        self.heads: dict[int, str] = {}
        self.waits: dict[int, list[tuple[Any, ...]]] = {}

    def _load(self, conn: Any, ids: list[int]) -> None:
        stored = conn.execute(select(persons).where(persons.c.id.in_(ids))).all()
        self.people = {x.id: to_person(x) for x in stored}
        self.heads = {x.id: x.event_head for x in stored}
        self.waits = _waits(conn, ids)

    def run(self, conn: Any, rows: Iterable[Any], ids: list[int] | None) -> None:
        if ids is not None:
            self._load(conn, ids)
        current: int | None = None
        prev, expected_seq = GENESIS, 1
        history: list[PersonEvent] = []
        seen: set[int] = set()
        walked: set[int] = set()
        for r in rows:
            self.checked += 1
            if r.person_id != current:
                if current is not None:
                    self._finish(current, history, prev, seen)
                current, prev, expected_seq, history, seen = r.person_id, GENESIS, 1, [], set()
                walked.add(current)
                if ids is None and r.person_id not in self.people:
                    self._load(conn, [r.person_id + i for i in range(BATCH)])
            record = event_record(
                r.person_id, r.seq, r.kind, r.occurred_at, r.recorded_at, r.actor, r.source, r.reason, r.data
            )
            # an event whose personal details were purged is sealed as redacted, chained to its hash (services.purge)
            digest, expected = (
                (seal(self.key, r.hash, record), r.redaction)
                if r.redaction
                else (seal(self.key, r.prev_hash, record), r.hash)
            )
            if r.seq != expected_seq:
                self._event(r, f"sequence {r.seq} where {expected_seq} was expected (an event removed?)")
            if r.prev_hash != prev:
                self._event(r, "does not link to the previous event (one was changed or removed)")
            if not same(digest, expected):
                self._event(r, "its content no longer matches its hash (changed after it was written)")
            anchor = self.anchors.get(r.person_id)
            if anchor is not None and anchor[0] == r.id:
                seen.add(r.id)
                if r.hash != anchor[1]:
                    self._event(r, "an event already verified was rewritten (its hash is not the one verified)")
            history.append(
                PersonEvent(EventKind(r.kind), Stamp(r.occurred_at, r.recorded_at, r.actor, r.source, r.reason), r.data)
            )
            prev, expected_seq = r.hash, r.seq + 1
        if current is not None:
            self._finish(current, history, prev, seen)
        for person_id in set(ids or ()) - walked:  # chosen, but not one event left
            if person_id in self.anchors:
                self._finish(person_id, [], GENESIS, set())

    def _event(self, r: Any, problem: str) -> None:
        self.found.append({"table": "person_events", "id": r.id, "person": r.person_id, "problem": problem})

    def _finish(self, person_id: int, events: list[PersonEvent], last_hash: str, seen: set[int]) -> None:
        anchor = self.anchors.get(person_id)
        if anchor is not None and anchor[0] not in seen:
            self.found.append(
                {
                    "table": "person_events",
                    "id": anchor[0],
                    "person": person_id,
                    "problem": "an event already verified is gone (removed after it was verified)",
                }
            )
        stored = self.people.get(person_id)
        if stored is None:
            return
        if self.heads.get(person_id) != last_hash:
            self.found.append(
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
            self.found.append(
                {"table": "person_events", "person": person_id, "problem": f"history does not replay: {e}"}
            )
            return
        if derived != stored:
            self.found.append(
                {"table": "persons", "id": person_id, "problem": "stored state differs from the replay of the history"}
            )
        implied = [
            (k.unit_code, k.priority_class.value, k.wait_started_at, a, b, o)
            for k, a, b, o in segments_from_history(events, self.ctx.policy)
        ]
        if self.waits.get(person_id, []) != implied:
            self.found.append(
                {
                    "table": "wait_segments",
                    "person": person_id,
                    "problem": "the waits kept for the scorecards differ from what the history implies",
                }
            )


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


def _report_chains(
    ctx: Context,
    found: list[dict[str, Any]],
    units: Sequence[str] | None = None,
    anchors: Mapping[str, tuple[int, str]] | None = None,
) -> int:
    """Each unit's reports in chain order: the link, and the HMAC over the report, its problems as sent and its
    discrepancies. With `units`, just those units' chains, each whole; `anchors` (unit → id and hash of the last
    report verified before) are checked to be still there unchanged."""
    key = ctx.keys.chain
    checked = 0
    anchors = anchors or {}
    r, p = reports.c, report_problems.c
    with ctx.uow() as uow:
        discrepancies = uow.reports.discrepancies_by_report()
        chunks = [None] if units is None else [list(units[i : i + BATCH]) for i in range(0, len(units), BATCH)]
        for chunk in chunks:
            query, problem_query = select(reports), select(report_problems)
            if chunk is not None:
                query = query.where(r.unit_code.in_(chunk))
                problem_query = problem_query.where(p.report_id.in_(select(r.id).where(r.unit_code.in_(chunk))))
            problems: dict[int, list[dict[str, Any]]] = {}
            for row in uow.conn.execute(problem_query.order_by(p.report_id, p.id)).mappings():
                problems.setdefault(row["report_id"], []).append(dict(row))
            unit, prev, seen, walked = None, GENESIS, set(), set()
            for found_row in uow.conn.execute(query.order_by(r.unit_code, r.id)).mappings():
                row = dict(found_row)
                checked += 1
                if row["unit_code"] != unit:
                    _report_anchor(unit, anchors, seen, found)
                    unit, prev, seen = row["unit_code"], GENESIS, set()
                    walked.add(unit)
                if row["prev_hash"] != prev:
                    found.append(
                        {
                            "table": "reports",
                            "id": row["id"],
                            "unit": unit,
                            "problem": "does not link to the unit's previous report (one was changed or removed)",
                        }
                    )
                digest = report_hash(
                    key, row["prev_hash"], row, problems.get(row["id"], []), discrepancies.get(row["id"], [])
                )
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
                anchor = anchors.get(str(unit))
                if anchor is not None and anchor[0] == row["id"]:
                    seen.add(row["id"])
                    if row["hash"] != anchor[1]:
                        found.append(
                            {
                                "table": "reports",
                                "id": row["id"],
                                "unit": unit,
                                "problem": "a report already verified was rewritten (its hash is not the one verified)",
                            }
                        )
                prev = row["hash"]
            _report_anchor(unit, anchors, seen, found)
            for code in set(chunk or ()) - walked:  # chosen, but not one report left
                _report_anchor(code, anchors, set(), found)
    return checked


def _report_anchor(
    unit: str | None, anchors: Mapping[str, tuple[int, str]], seen: set[int], found: list[dict[str, Any]]
) -> None:
    anchor = anchors.get(str(unit)) if unit is not None else None
    if anchor is not None and anchor[0] not in seen:
        found.append(
            {
                "table": "reports",
                "id": anchor[0],
                "unit": unit,
                "problem": "a report already verified is gone (removed after it was verified)",
            }
        )


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


class Problems(list[dict[str, Any]]):
    """What a verify found: every problem counted, the first KEPT kept (a database rewritten wholesale would
    otherwise fill the memory with one entry per record)."""

    KEPT = 10_000

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def append(self, problem: dict[str, Any]) -> None:
        self.total += 1
        if len(self) < self.KEPT:
            super().append(problem)


@dataclass(frozen=True)
class Scope:
    """What an incremental verify reads (services.verify_incremental): these people's and units' whole chains, each
    anchored at what was verified before, and the audit entries after an id; everything else as a full verify."""

    people: Sequence[int]
    person_anchors: Mapping[int, tuple[int, str]]
    units: Sequence[str]
    unit_anchors: Mapping[str, tuple[int, str]]
    audit_after: int


def verify(ctx: Context, published: list[dict[str, Any]] | None = None, scope: Scope | None = None) -> dict[str, Any]:
    """Everything above; `published` are heads copied from bulletins (services.chain_heads.read_published); with
    `scope`, the chains and audit entries only as far as it says."""
    found = Problems()
    if scope is None:
        events = _person_chains(ctx, found)
        reports = _report_chains(ctx, found)
        audit = audit_entries(ctx, found)
    else:
        events = _person_chains(ctx, found, scope.people, scope.person_anchors)
        reports = _report_chains(ctx, found, scope.units, scope.unit_anchors)
        audit = audit_entries(ctx, found, after=scope.audit_after)
    others = alerts_and_directives(ctx, found)
    heads = chain_heads.check(ctx, found, published)
    _census(ctx, found)
    _flows(ctx, found)
    return {
        "ok": found.total == 0,
        "problems_total": found.total,
        "events_checked": events,
        "reports_checked": reports,
        "audit_checked": audit,
        "alerts_checked": others["alerts"],
        "directives_checked": others["directives"],
        "heads_checked": heads,
        "key": ctx.keys.source,
        "problems": found,
    }
