"""Incremental verification (issue 15): `admitall verify` reads what changed since the last verify that found
everything intact, `admitall verify --full` reads everything.

A verify that finds nothing wrong keeps a checkpoint (store.tables_ops): the highest event, report and audit ids it
covered, and every person's and unit's chain head as verified (the id and hash of the last event or report). The
next incremental verify walks, each whole and anchored at its verified head:
- every person with an event written after the checkpoint, with no verified head yet, whose head kept on the person
  is no longer the verified one, or whose verified last event is gone or no longer has the verified hash;
- every unit with a report received after the checkpoint, or whose verified last report is gone or changed;
and the audit entries written after it. Alerts, directives, the day's heads, the census and the flows are checked
whole every time (set statements and small tables). A chain whose head is untouched is not read again: an event
rewritten behind it, leaving both heads as they were, is found by `--full` (docs/deploy.md says how often).

A verify that finds a problem keeps no checkpoint: the next one reads the same again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, delete, exists, func, insert, or_, select, union

from admitall.services.context import Context
from admitall.services.verify import BATCH, Scope, verify
from admitall.store.tables import audit_log, person_events, persons, reports
from admitall.store.tables_ops import verified_person_heads, verified_unit_heads, verify_checkpoints


def verify_changed(
    ctx: Context, published: list[dict[str, Any]] | None = None, *, full: bool = False
) -> dict[str, Any]:
    """Verify what changed since the last checkpoint (everything with `full`, or when there is none yet), and keep a
    new checkpoint if all is intact. The result is services.verify's, with the mode and the checkpoint used."""
    with ctx.engine.connect() as conn:
        through = {
            "events": _max(conn, person_events.c.id),
            "reports": _max(conn, reports.c.id),
            "audit": _max(conn, audit_log.c.id),
        }
        last = conn.execute(select(verify_checkpoints).order_by(verify_checkpoints.c.id.desc()).limit(1)).first()
        scope = None if full or last is None else _scope(conn, last)
    result = verify(ctx, published, scope)
    result["mode"] = "full" if scope is None else "incremental"
    result["since"] = None if scope is None or last is None else last.finished_at.isoformat()
    if scope is not None:
        result["people_walked"], result["units_walked"] = len(scope.people), len(scope.units)
    if result["ok"]:
        _record(ctx, scope, through, result["events_checked"])
    return result


def _max(conn: Connection, column: Any) -> int:
    return int(conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one())


def _scope(conn: Connection, last: Any) -> Scope:
    """The people and units whose chains changed since `last`, with their verified heads (set statements)."""
    v, p, e = verified_person_heads.c, persons.c, person_events.c
    changed = (
        select(v.person_id)
        .select_from(
            verified_person_heads.join(persons, p.id == v.person_id).outerjoin(person_events, e.id == v.event_id)
        )
        .where(or_(p.event_head != v.head, e.id.is_(None), e.hash != v.head))
    )
    unverified = select(p.id).where(~exists().where(v.person_id == p.id))
    appended = select(e.person_id).where(e.id > last.events_through)
    people = sorted(set(conn.execute(union(changed, unverified, appended)).scalars()))
    # a verified person whose row is gone: walked too (their events, if any, say what is left)
    gone = select(v.person_id).where(~exists().where(p.id == v.person_id))
    people = sorted(set(people) | set(conn.execute(gone).scalars()))
    person_anchors: dict[int, tuple[int, str]] = {}
    for lo in range(0, len(people), BATCH):
        chunk = people[lo : lo + BATCH]
        for person_id, event_id, head in conn.execute(
            select(v.person_id, v.event_id, v.head).where(v.person_id.in_(chunk))
        ):
            person_anchors[person_id] = (event_id, head)
    u, r = verified_unit_heads.c, reports.c
    moved = (
        select(u.unit_code)
        .select_from(verified_unit_heads.outerjoin(reports, r.id == u.report_id))
        .where(or_(r.id.is_(None), r.hash != u.head))
    )
    received = select(r.unit_code).where(r.id > last.reports_through)
    units = sorted(set(conn.execute(union(moved, received)).scalars()))
    unit_anchors = {
        code: (report_id, head)
        for code, report_id, head in conn.execute(
            select(u.unit_code, u.report_id, u.head).where(u.unit_code.in_(units))
        )
    }
    return Scope(people, person_anchors, units, unit_anchors, int(last.audit_through))


def _record(ctx: Context, scope: Scope | None, through: dict[str, int], checked: int) -> None:
    """Keep the heads as verified: each person's and unit's last event or report with an id up to where the verify
    started (a chain that moved on meanwhile keeps no head: the next verify walks it again)."""
    v, p, e = verified_person_heads.c, persons.c, person_events.c
    u, r = verified_unit_heads.c, reports.c
    person_heads = (
        select(p.id, e.id, e.hash)
        .select_from(persons.join(person_events, (e.person_id == p.id) & (e.hash == p.event_head)))
        .where(e.id <= through["events"])
    )
    last_reports = (
        select(r.unit_code, func.max(r.id).label("id")).where(r.id <= through["reports"]).group_by(r.unit_code)
    ).subquery()
    unit_heads = select(r.unit_code, r.id, r.hash).select_from(reports.join(last_reports, last_reports.c.id == r.id))
    with ctx.engine.begin() as conn:
        if scope is None:
            conn.execute(delete(verified_person_heads))
            conn.execute(insert(verified_person_heads).from_select(["person_id", "event_id", "head"], person_heads))
            conn.execute(delete(verified_unit_heads))
            conn.execute(insert(verified_unit_heads).from_select(["unit_code", "report_id", "head"], unit_heads))
        else:
            _replace(conn, v.person_id, scope.people, person_heads, p.id)
            _replace(conn, u.unit_code, scope.units, unit_heads, r.unit_code)
        conn.execute(
            insert(verify_checkpoints).values(
                finished_at=ctx.clock.now(),
                full=scope is None,
                events_through=through["events"],
                reports_through=through["reports"],
                audit_through=through["audit"],
                events_checked=checked,
            )
        )


def _replace(conn: Connection, key: Any, keys: Sequence[Any], heads: Select[Any], source_key: Any) -> None:
    """The verified heads of `keys` (people or units) replaced by `heads` as they are now, a batch at a time."""
    table = key.table
    columns = [c.name for c in table.columns]
    for lo in range(0, len(keys), BATCH):
        chunk = list(keys[lo : lo + BATCH])
        conn.execute(delete(table).where(key.in_(chunk)))
        conn.execute(insert(table).from_select(columns, heads.where(source_key.in_(chunk))))
