"""The backlog (减存量、控增量、防变量): stock, inflow, change, admissions, SLA breaches, time to clear.

All figures are for a unit's subtree (the people whose unit is in it) as of the clock's now, counted by the
database: who waits, their class, since when and past which target from the open wait segments (domain.waits);
rates from the event flows (store.tables_census) by when they happened: the last hour, and the hourly average over
the last 24 hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from admitall.domain.access import Permission
from admitall.domain.people import EventKind, Placement, Severity, Status
from admitall.domain.policy import Policy, PriorityClass
from admitall.domain.units import child_prefix_length
from admitall.services.context import Actor, Context, unit_in_scope
from admitall.services.trends import flows_in, segments_in
from admitall.store.repositories.persons import in_subtree
from admitall.store.tables import persons
from admitall.store.tables_accountability import wait_segments
from admitall.store.tables_census import event_flows

RATE_WINDOW = timedelta(hours=24)
CensusRow = tuple[str, str, str | None, str, int]
LONGEST = 10  # how many of the longest waits the backlog names, most urgent class first


def _event_counts(uow: Any, root: str | None, now: datetime) -> dict[str, dict[str, float]]:
    """Inflow, change and admissions over the last hour and per hour over the last 24, counted by the database
    from the event flows (grouped by kind, the change's from and to, and whether it fell in the last hour)."""
    kinds = [
        EventKind.IDENTIFIED.value,
        EventKind.RECLASSIFIED.value,
        EventKind.SEVERITY_CHANGED.value,
        EventKind.ADMITTED.value,
    ]
    f = event_flows.c
    last_hour = f.occurred_at > now - timedelta(hours=1)
    rows = uow.conn.execute(
        select(f.kind, f.from_value, f.to_value, last_hour, func.count())
        .where(f.kind.in_(kinds), f.occurred_at > now - RATE_WINDOW, flows_in(root))
        .group_by(f.kind, f.from_value, f.to_value, last_hour)
    )
    counts = {k: Counter[str]() for k in ("inflow", "change", "admissions", "released")}
    for kind, was, became, recent, n in rows:
        if kind == EventKind.RECLASSIFIED.value and became == Status.RELEASED.value:
            into = counts["released"]  # the outflow of observation (issue 17)
        elif kind == EventKind.IDENTIFIED.value:
            into = counts["inflow"]
        elif kind == EventKind.ADMITTED.value:
            into = counts["admissions"]
        elif _is_change(kind, {"from": was, "to": became}):
            into = counts["change"]
        else:
            continue
        into["day"] += int(n)
        if recent:
            into["hour"] += int(n)
    return {k: {"last_hour": c["hour"], "per_hour_24h": round(c["day"] / 24, 2)} for k, c in counts.items()}


def _is_change(kind: str, data: dict[str, Any]) -> bool:
    if kind == EventKind.RECLASSIFIED.value:
        return _is_upgrade(data)
    return kind == EventKind.SEVERITY_CHANGED.value and _is_deterioration(data)


_RANK = {Status.CONTACT.value: 1, Status.FEVER.value: 2, Status.SUSPECTED.value: 3, Status.CONFIRMED.value: 4}


def _is_upgrade(data: dict[str, Any]) -> bool:
    """A reclassification the backlog must absorb: up within the four categories, or back into them."""
    before, after = _RANK.get(data.get("from") or ""), _RANK.get(data.get("to") or "")
    return after is not None and (before is None or after > before)


def _is_deterioration(data: dict[str, Any]) -> bool:
    order = [s.value for s in Severity]
    before, after = data.get("from"), data.get("to")
    return after in order and (before not in order or order.index(after) > order.index(before))


# a wait goes on while a bed is assigned and the person is on the way, but the backlog is who has no bed yet:
# waiting, or admitted and waiting for a transfer (an open wait of someone admitted is always the latter). The
# few on their way are left out by id, so that the waits are read from their own index alone.
ON_THE_WAY = persons.c.placement.in_([Placement.ASSIGNED.value, Placement.IN_TRANSIT.value])
NEEDING_A_BED = wait_segments.c.person_id.not_in(select(persons.c.id).where(ON_THE_WAY))


def _open_waits(uow: Any, root: str | None, now: datetime, policy: Policy, length: int) -> list[Any]:
    """The open wait segments of those needing a bed (with the class their wait is recorded in), grouped by
    class and unit below: how many, the longest-waiting one's start, how many past the class's
    target. Counted by the database."""
    w = wait_segments.c
    past = case(
        *((and_(w.priority_class == c.value, w.wait_started_at < now - policy.sla[c]), 1) for c in PriorityClass),
        else_=0,
    )
    child = func.substr(w.unit_code, 1, length)
    return list(
        uow.conn.execute(
            select(
                w.priority_class,
                child,
                func.count(),
                func.min(w.wait_started_at),
                func.sum(past),
            )
            .where(w.ended_at.is_(None), segments_in(root), NEEDING_A_BED)
            .group_by(w.priority_class, child)
        ).all()
    )


def _longest(uow: Any, root: str | None, policy: Policy) -> list[tuple[Any, ...]]:
    """The longest waits, the most urgent class first: person, class, unit, since when, their placement. Class by
    class in the policy's order, each the oldest first from the open waits' index by class (migration 0030), until
    LONGEST are found: at a province the first class is usually enough, and no wait is sorted."""
    w = wait_segments.c
    rows: list[Any] = []
    for cls in policy.priority:
        rows += uow.conn.execute(
            select(w.person_id, w.priority_class, w.unit_code, w.wait_started_at)
            .where(w.ended_at.is_(None), w.priority_class == cls.value, segments_in(root), NEEDING_A_BED)
            .order_by(w.wait_started_at, w.person_id)
            .limit(LONGEST - len(rows))
        ).all()
        if len(rows) >= LONGEST:
            break
    ids = [r.person_id for r in rows]
    placements = dict(uow.conn.execute(select(persons.c.id, persons.c.placement).where(persons.c.id.in_(ids))).all())
    return [(*r, placements.get(r.person_id)) for r in rows]


def open_on_the_way(conn: Any, root: str | None) -> int:
    """The open waits of people on their way to a bed (assigned or in transit): few, found by the people."""
    w = wait_segments.c
    on_the_way = select(persons.c.id).where(ON_THE_WAY)
    query = select(func.count()).where(w.ended_at.is_(None), segments_in(root), w.person_id.in_(on_the_way))
    return int(conn.execute(query).scalar_one())


def _count(uow: Any, *where: Any) -> int:
    return int(uow.conn.execute(select(func.count()).select_from(persons).where(*where)).scalar_one())


def backlog(
    ctx: Context, actor: Actor, unit: str | None = None, *, census: Sequence[CensusRow] | None = None
) -> dict[str, Any]:
    """The figures above for `unit`'s subtree. `census`: the subtree's census rows (unit prefix, status, severity,
    placement, count) when the caller has them already (the command screen): who waits and who is on the way are
    then read from them instead of counted again over the people."""
    actor.require(Permission.VIEW_COUNTS)
    now = ctx.clock.now()
    policy = ctx.policy
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        child_length = child_prefix_length(root)
        groups = _open_waits(uow, root, now, policy, child_length)
        longest = _longest(uow, root, policy)
        c = persons.c
        on_the_way = [Placement.ASSIGNED.value, Placement.IN_TRANSIT.value]
        if census is None:
            waiting_rows = uow.conn.execute(
                select(c.status, c.severity, func.count())
                .where(c.placement == Placement.WAITING.value, in_subtree(root))
                .group_by(c.status, c.severity)
            ).all()
            in_transit = _count(uow, c.placement.in_(on_the_way), in_subtree(root))
        else:
            waiting_rows = [(s, v, n) for _, s, v, p, n in census if p == Placement.WAITING.value]
            in_transit = sum(n for *_, p, n in census if p in on_the_way)
        counts = _event_counts(uow, root, now)
        transfers = _count(uow, c.placement == Placement.ADMITTED.value, c.waiting_since.is_not(None), in_subtree(root))
    by_category: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    for status, severity, n in waiting_rows:
        by_category[status] += n
        if status == Status.CONFIRMED.value:
            by_severity[severity or "unassessed"] += n
    by_class: Counter[str] = Counter()
    breaches: Counter[str] = Counter()
    oldest: dict[str, float] = {}
    children: dict[str, Counter[str]] = {}
    for cls, prefix, n, since, past in groups:
        by_class[cls] += int(n)
        hours = round((now - since).total_seconds() / 3600, 1)
        oldest[cls] = max(oldest.get(cls, 0.0), hours)
        child = children.setdefault(prefix, Counter())
        child["waiting"] += int(n)
        breaches[cls] += int(past or 0)
        child["sla_breaches"] += int(past or 0)
    breaches = +breaches
    inflow, admissions = counts["inflow"], counts["admissions"]
    net = admissions["per_hour_24h"] - inflow["per_hour_24h"]
    stock = sum(by_class.values())
    return {
        "unit": root,
        "as_of": now.isoformat(),
        "stock": {
            "waiting": sum(by_category.values()),
            "awaiting_transfer": transfers,
            "assigned_or_in_transit": in_transit,
            "by_category": dict(by_category),
            "confirmed_by_severity": dict(by_severity),
            "by_priority_class": {c.value: by_class[c.value] for c in PriorityClass if by_class[c.value]},
            "oldest_wait_hours": {c.value: oldest[c.value] for c in PriorityClass if c.value in oldest},
        },
        "inflow": inflow,
        "change": counts["change"],
        "admissions": admissions,
        "outflow": {"released": counts["released"]},
        "sla_breaches": {"total": sum(breaches.values()), **dict(breaches)},
        "sla_hours": {c.value: policy.sla[c].total_seconds() / 3600 for c in PriorityClass},
        "projected_hours_to_clear": round(stock / net, 1) if net > 0 and stock else (0.0 if not stock else None),
        "clearing": stock == 0 or net > 0,
        "children": [{"prefix": k, **v} for k, v in sorted(children.items())],
        "longest_waits": [_wait_view(row, policy, now) for row in longest],
    }


def _wait_view(row: Any, policy: Policy, now: datetime) -> dict[str, Any]:
    """Who waits, without their name: the id leads to the person's page, which masks by role."""
    person_id, cls, unit_code, since, placement = row
    hours = (now - since).total_seconds() / 3600
    return {
        "person_id": person_id,
        "priority_class": cls,
        "unit_code": unit_code,
        "waiting_since": since.isoformat(),
        "hours": round(hours, 1),
        "past_sla": now - since > policy.sla[PriorityClass(cls)],
        "awaiting_transfer": placement == Placement.ADMITTED.value,
    }
