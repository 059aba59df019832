"""Alerts raised by the set, for the watch: which of a round's alerts exist already in one statement per kind and
step, the new ones stamped (each its own HMAC and seal, domain.chain) and inserted with one executemany; the
alerts a round changes (a running miss grown or expired, an alert gone up one level) sealed again and written
with one executemany per kind of change.

An alert is the same alert when its kind, unit, period start, step and subject agree (the table's unique key).
Only one runner holds the watch's lease; should another have raised one of them meanwhile all the same, the
batch is undone (a savepoint) and the alerts raised one at a time as before, each skipping what exists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from admitall.domain.chain import ALERT_STATE
from admitall.domain.officials import LED_LEVELS
from admitall.keys import Keys
from admitall.store.repositories.alert_states import OPEN, UNSETTLED, acting_unit, last_moved
from admitall.store.repositories.reports import MISSING_REPORT, ReportRepository, alert_hash, alert_seal
from admitall.store.tables import alerts, report_problems, units
from admitall.store.tables_accountability import directive_recipients, directives, lead_assignments

Key = tuple[str, str, datetime | None, int, int]

_c = alerts.c
# the alerts of one kind and step raised for periods in a range: what a batch must not raise again
_EXISTING = select(_c.unit_code, _c.period_start, _c.subject_id).where(
    _c.kind == bindparam("kind"),
    _c.step == bindparam("step"),
    _c.period_start >= bindparam("lo"),
    _c.period_start <= bindparam("hi"),
)
_INSERT = insert(alerts)
# every unit's code: the watch finds the unit above an alert's unit among them
UNIT_CODES = select(units.c.code)


def _not_raised(kind: Any, unit: Any, period_start: Any, subject: Any = 0) -> Any:
    """No step-0 alert of the kind for the unit, period and subject yet (the unique key's own index)."""
    raised = select(_c.id).where(
        _c.kind == kind,
        _c.unit_code == unit,
        _c.period_start == period_start,
        _c.step == 0,
        _c.subject_id == subject,
    )
    return ~raised.exists()


_a = lead_assignments.c
_last_end = (
    select(_a.ends_at).where(_a.unit_code == units.c.code).order_by(_a.ends_at.desc()).limit(1).scalar_subquery()
)
_vacant = (
    select(units.c.code.label("code"), func.coalesce(_last_end, units.c.created_at).label("since"))
    .where(
        units.c.level.in_([level.value for level in LED_LEVELS]),
        ~select(_a.id).where(_a.unit_code == units.c.code, _a.ends_at.is_(None)).exists(),
    )
    .subquery()
)
# units that must have a lead and have none (since the last lead left, or since the unit was created), whose
# no-lead alert for that vacancy is not raised yet
NO_LEAD_UNRAISED = (
    select(_vacant.c.code, _vacant.c.since)
    .where(_not_raised(bindparam("kind"), _vacant.c.code, _vacant.c.since))
    .order_by(_vacant.c.code)
)
_r = directive_recipients.c
# directive recipients past their due time and not completed, whose overdue alert is not raised yet
OVERDUE_UNRAISED = (
    select(_r.id, _r.unit_code, _r.due_at, _r.official_id, _r.directive_id, directives.c.title)
    .join(directives, directives.c.id == _r.directive_id)
    .where(
        _r.status != "completed",
        _r.due_at <= bindparam("now"),
        _not_raised(bindparam("kind"), _r.unit_code, _r.due_at, _r.id),
    )
    .order_by(_r.due_at, _r.id)
)
# open alerts of a kind that last moved (raised, or gone up) by a time and are not already with a unit at the top
# (`tops`): the open alerts index, never the alerts answered long ago nor those that can go no higher however
# long they stay open. An alert goes up by changing where it stands (escalated_to), never by a copy of itself.
TO_ESCALATE = select(alerts).where(
    _c.kind == bindparam("kind"),
    OPEN,
    _c.raised_at <= bindparam("before"),
    last_moved <= bindparam("before"),
    acting_unit.is_not(None),
    acting_unit.not_in(bindparam("tops", expanding=True)),
)
# each unit's running miss (a missing-report alert not yet resolved, expired or folded; acknowledged or not)
RUNNING_MISSES = select(alerts).where(_c.kind == MISSING_REPORT, UNSETTLED).order_by(_c.unit_code, _c.period_start)
# the last period each unit's missing-report alerts speak of, over the alerts raised since a time: a miss up to it
# is counted already (in an alert running, answered or expired) and is never raised again
_covered = func.coalesce(_c.last_period_start, _c.period_start)
COVERED_UNTIL = (
    select(_c.unit_code, func.max(_covered))
    .where(_c.kind == MISSING_REPORT, _c.raised_at >= bindparam("since"))
    .group_by(_c.unit_code)
)
_p = report_problems.c
_MOVE_PROBLEM = (
    update(report_problems)
    .where(_p.id == bindparam("problem_id"))
    .values(escalations=bindparam("escalations"), due_at=bindparam("due_at"), owner_unit=bindparam("owner_unit"))
)


def key_of(row: dict[str, Any]) -> Key:
    return (row["kind"], row["unit_code"], row["period_start"], row["step"], row.get("subject_id", 0))


def _existing(conn: Connection, rows: Sequence[dict[str, Any]]) -> set[Key]:
    """The keys of `rows` already raised: one statement per (kind, step) over the range of their periods."""
    groups: dict[tuple[str, int], list[datetime]] = defaultdict(list)
    for row in rows:
        if row["period_start"] is not None:
            groups[(row["kind"], row["step"])].append(row["period_start"])
    found: set[Key] = set()
    for (kind, step), starts in groups.items():
        params = {"kind": kind, "step": step, "lo": min(starts), "hi": max(starts)}
        for unit, start, subject in conn.execute(_EXISTING, params):
            found.add((kind, unit, start, step, subject))
    return found


def raise_alerts(conn: Connection, keys: Keys, rows: Sequence[dict[str, Any]], *, checked: bool = False) -> int:
    """Raise each alert of `rows` (the columns ReportRepository.raise_alert takes) unless it is raised already;
    returns how many are new. `checked`: the rows were read as not raised yet (by the same transaction)."""
    existing = set() if checked else _existing(conn, rows)
    new: dict[Key, dict[str, Any]] = {}
    for row in rows:
        key = key_of(row)
        if key in existing or key in new:
            continue
        if row["period_start"] is None:  # no range to look in: raised one at a time, as before
            if _one(ReportRepository(conn, keys), row):
                new[key] = row
            continue
        stamped = {"subject_id": 0, "official_id": None, **row}
        stamped["hash"] = alert_hash(keys.chain, stamped)
        stamped["seal"] = alert_seal(keys.chain, {**stamped, **dict.fromkeys(ALERT_STATE)})
        new[key] = stamped
    batch = [row for row in new.values() if "hash" in row]
    if not batch:
        return len(new)
    try:
        with conn.begin_nested():
            conn.execute(_INSERT, batch)
    except IntegrityError:  # another runner raised some of them meanwhile
        repo = ReportRepository(conn, keys)
        return sum(_one(repo, row) for row in batch) + len(new) - len(batch)
    return len(new)


def _one(repo: ReportRepository, row: dict[str, Any]) -> bool:
    """One alert raised the way a single alert is (it skips one that exists)."""
    args = {k: v for k, v in row.items() if k not in ("hash", "seal", "raised_at")}
    return repo.raise_alert(**args, at=row["raised_at"])


def change_alerts(conn: Connection, keys: Keys, changes: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> int:
    """Each (alert as read, the values it takes): written with its seal over its new state, by one executemany
    for each set of columns changed, unless the alert changed since it was read (its seal is another: a person
    acknowledged it, a report answered it; the next round sees it as it is now). How many were asked."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row, values in changes:
        names = tuple(sorted(values))
        groups[names].append(
            {
                "alert_id": row["id"],
                "old_seal": row["seal"],
                **{f"v_{k}": v for k, v in values.items()},
                "v_seal": _sealed(keys, row, values),
            }
        )
    for names, params in groups.items():
        statement = (
            update(alerts)
            .where(_c.id == bindparam("alert_id"), _c.seal == bindparam("old_seal"))
            .values({k: bindparam(f"v_{k}") for k in (*names, "seal")})
        )
        conn.execute(statement, params)
    return len(changes)


def _sealed(keys: Keys, row: dict[str, Any], values: dict[str, Any]) -> str:
    return alert_seal(keys.chain, {**row, **values})


def move_problems(conn: Connection, moves: Sequence[dict[str, Any]]) -> None:
    """Overdue problems escalated: each its new escalation count, due time and owner, in one executemany."""
    if moves:
        conn.execute(_MOVE_PROBLEM, list(moves))
