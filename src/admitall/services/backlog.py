"""The backlog (减存量、控增量、防变量): stock, inflow, change, admissions, SLA breaches, time to clear.

All figures are for a unit's subtree (the people whose unit is in it) as of the clock's now. Rates are counted
from recorded events by when they happened: the last hour, and the hourly average over the last 24 hours.
"""

from __future__ import annotations

import heapq
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from admitall.domain.access import Permission
from admitall.domain.people import EventKind, Placement, Risk, Severity, Status
from admitall.domain.policy import Policy, PriorityClass
from admitall.domain.units import child_prefix_length
from admitall.services.context import Actor, Context
from admitall.services.trends import events_of
from admitall.store.repositories.persons import in_subtree
from admitall.store.tables import person_events, persons

RATE_WINDOW = timedelta(hours=24)
LONGEST = 10  # how many of the longest waits the backlog names, most urgent class first


def _event_counts(uow: Any, root: str | None, now: datetime) -> dict[str, dict[str, float]]:
    """Inflow, change and admissions over the last hour and per hour over the last 24, counted by the database
    (grouped by kind, the change's from and to, and whether it fell in the last hour)."""
    kinds = [
        EventKind.IDENTIFIED.value,
        EventKind.RECLASSIFIED.value,
        EventKind.SEVERITY_CHANGED.value,
        EventKind.ADMITTED.value,
    ]
    e = person_events.c
    before, after = e.data["from"].as_string(), e.data["to"].as_string()
    last_hour = e.occurred_at > now - timedelta(hours=1)
    rows = uow.conn.execute(
        events_of(
            root,
            select(e.kind, before, after, last_hour, func.count()).where(
                e.kind.in_(kinds), e.occurred_at > now - RATE_WINDOW
            ),
        ).group_by(e.kind, before, after, last_hour)
    )
    counts = {k: Counter[str]() for k in ("inflow", "change", "admissions")}
    for kind, was, became, recent, n in rows:
        if kind == EventKind.IDENTIFIED.value:
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


def backlog(ctx: Context, actor: Actor, unit: str | None = None) -> dict[str, Any]:
    actor.require(Permission.VIEW_COUNTS)
    root = actor.scoped(unit) if unit else actor.unit_code
    now = ctx.clock.now()
    policy = ctx.policy
    with ctx.uow() as uow:
        people = uow.persons.needing_beds_brief(root)
        counts = _event_counts(uow, None if uow.units.is_whole_tree(root) else root, now)
        in_transit = int(
            uow.conn.execute(
                select(func.count())
                .select_from(persons)
                .where(
                    persons.c.placement.in_([Placement.ASSIGNED.value, Placement.IN_TRANSIT.value]), in_subtree(root)
                )
            ).scalar_one()
        )
    waiting = [p for p in people if p.placement == Placement.WAITING.value]
    transfers = [p for p in people if p.placement == Placement.ADMITTED.value]
    by_category: Counter[str] = Counter(p.status for p in waiting)
    by_severity: Counter[str] = Counter(
        (p.severity or "unassessed") for p in waiting if p.status == Status.CONFIRMED.value
    )
    by_class: Counter[str] = Counter()
    breaches: Counter[str] = Counter()
    oldest: dict[str, float] = {}
    child_length = child_prefix_length(root)
    children: dict[str, Counter[str]] = {}
    longest: list[tuple[int, float, Any, PriorityClass]] = []
    for p in people:
        cls = _classify(policy, p)
        if cls is None or p.waiting_since is None:
            continue
        hours = (now - p.waiting_since).total_seconds() / 3600
        by_class[cls.value] += 1
        oldest[cls.value] = max(oldest.get(cls.value, 0.0), round(hours, 1))
        longest.append((policy.rank(cls), -hours, p, cls))
        child = children.setdefault(p.unit_code[:child_length], Counter())
        child["waiting"] += 1
        if now - p.waiting_since > policy.sla[cls]:
            breaches[cls.value] += 1
            child["sla_breaches"] += 1
    inflow, admissions = counts["inflow"], counts["admissions"]
    net = admissions["per_hour_24h"] - inflow["per_hour_24h"]
    stock = len(people)
    return {
        "unit": root,
        "as_of": now.isoformat(),
        "stock": {
            "waiting": len(waiting),
            "awaiting_transfer": len(transfers),
            "assigned_or_in_transit": in_transit,
            "by_category": dict(by_category),
            "confirmed_by_severity": dict(by_severity),
            "by_priority_class": {c.value: by_class[c.value] for c in PriorityClass if by_class[c.value]},
            "oldest_wait_hours": {c: oldest[c] for c in by_class},
        },
        "inflow": inflow,
        "change": counts["change"],
        "admissions": admissions,
        "sla_breaches": {"total": sum(breaches.values()), **{c: breaches[c] for c in breaches}},
        "sla_hours": {c.value: policy.sla[c].total_seconds() / 3600 for c in PriorityClass},
        "projected_hours_to_clear": round(stock / net, 1) if net > 0 and stock else (0.0 if not stock else None),
        "clearing": stock == 0 or net > 0,
        "children": [{"prefix": k, **v} for k, v in sorted(children.items())],
        "longest_waits": [
            _wait_view(p, cls, -minus_hours, policy.sla[cls])
            for _, minus_hours, p, cls in heapq.nsmallest(LONGEST, longest, key=lambda x: (x[0], x[1], x[2].id))
        ],
    }


def _classify(policy: Policy, p: Any) -> PriorityClass | None:
    """The person's priority class from their row, as `Policy.classify` gives it from the person."""
    return policy.classify_fields(
        Status(p.status),
        Severity(p.severity) if p.severity else None,
        frozenset(Risk(r) for r in p.risks.split(",") if r),
        p.birth_date,
        p.identified_at,
    )


def _wait_view(p: Any, cls: PriorityClass, hours: float, sla: timedelta) -> dict[str, Any]:
    """Who waits, without their name: the id leads to the person's page, which masks by role."""
    return {
        "person_id": p.id,
        "priority_class": cls.value,
        "unit_code": p.unit_code,
        "waiting_since": p.waiting_since.isoformat(),
        "hours": round(hours, 1),
        "past_sla": hours > sla.total_seconds() / 3600,
        "awaiting_transfer": p.placement == Placement.ADMITTED.value,
    }
