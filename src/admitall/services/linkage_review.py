"""The linkage review queue (issue 16 §2): the pairs waiting for a person, one pair side by side with its evidence,
the decision (the same person: merge; not the same person), and unmerge from the person's page.

Both people of a pair must be inside the actor's jurisdiction for the pair to exist for them (a pair with one
person elsewhere answers 404, as one that does not exist). The people are shown as everywhere else
(services.people.person_view: masked for roles that see personal data masked), and an unmasked read is audited.
Deciding and unmerging need `link_persons`; the queue is read by the roles that see people by jurisdiction (an
admissions desk sees people only through its facility, so not the queue).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from admitall.domain.access import Permission, RoleForbidden
from admitall.domain.errors import Conflict, InvalidInput, NotFound
from admitall.domain.units import subtree_bounds
from admitall.services.context import Actor, Context
from admitall.services.linkage import pair_evidence, source_refs
from admitall.services.linkage_merge import merge_people, survivor_of, unmerge_person
from admitall.services.people import load_person, people_desk, person_view
from admitall.store.paged import fetch_page, page_fields
from admitall.store.tables import persons
from admitall.store.tables_linkage import link_pairs, person_merges
from admitall.store.uow import UnitOfWork

CHOICES = ("merge", "distinct")


def _pair_not_found(pair_id: object) -> NotFound:
    return NotFound(
        "link_pair.not_found",
        f"找不到待核对记录 {pair_id}（或不在您的管辖范围内）",
        f"No candidate pair {pair_id} (or not within your jurisdiction)",
    )


def _may_read(actor: Actor) -> None:
    actor.require(Permission.VIEW_PERSONS)
    if people_desk(actor) is not None:
        raise RoleForbidden(actor.role, Permission.LINK_PERSONS)


def _in_scope(actor: Actor) -> list[Any]:
    if actor.unit_code is None:
        return []
    low, high = subtree_bounds(actor.unit_code)
    return [link_pairs.c.unit_a.between(low, high), link_pairs.c.unit_b.between(low, high)]


def review_queue(ctx: Context, actor: Actor, *, state: str = "review", page: int = 1, size: int = 50) -> dict[str, Any]:
    """The pairs in `state` (review: waiting for a person) within the jurisdiction, likeliest first, paged."""
    _may_read(actor)
    if state not in ("review", "merged", "distinct", "unmerged"):
        raise InvalidInput("linkage.bad_state", f"状态无效：{state}", f"Invalid state: {state}")
    a = persons.alias("a")
    b = persons.alias("b")
    query = (
        select(
            link_pairs.c.id,
            link_pairs.c.probability,
            link_pairs.c.state,
            link_pairs.c.found_by,
            link_pairs.c.found_at,
            link_pairs.c.person_a,
            link_pairs.c.person_b,
            a.c.name.label("name_a"),
            b.c.name.label("name_b"),
            link_pairs.c.unit_a,
            link_pairs.c.unit_b,
        )
        .join(a, a.c.id == link_pairs.c.person_a)
        .join(b, b.c.id == link_pairs.c.person_b)
        .where(link_pairs.c.state == state, *_in_scope(actor))
        .order_by(link_pairs.c.probability.desc(), link_pairs.c.id)
    )
    with ctx.uow() as uow:
        rows, total = fetch_page(uow.conn, query, page, size)
        names = uow.units.names({r.unit_a for r in rows} | {r.unit_b for r in rows})
    return {
        "state": state,
        "pairs": [
            {
                "id": r.id,
                "probability": round(r.probability, 4),
                "state": r.state,
                "found_by": r.found_by,
                "found_at": r.found_at.isoformat(),
                "a": {"id": r.person_a, "name": r.name_a, "unit_code": r.unit_a, "unit_name": names.get(r.unit_a)},
                "b": {"id": r.person_b, "name": r.name_b, "unit_code": r.unit_b, "unit_name": names.get(r.unit_b)},
            }
            for r in rows
        ],
        **page_fields(page, size, total),
        "may_decide": actor.can(Permission.LINK_PERSONS),
    }


def _load_pair(uow: UnitOfWork, actor: Actor, pair_id: int) -> Any:
    row = uow.conn.execute(select(link_pairs).where(link_pairs.c.id == pair_id, *_in_scope(actor))).first()
    if row is None:
        raise _pair_not_found(pair_id)
    return row


def pair_view(ctx: Context, actor: Actor, pair_id: int) -> dict[str, Any]:
    """One pair: both people side by side (masked per role), the evidence field by field, the decision so far."""
    _may_read(actor)
    unmasked = actor.can(Permission.SEE_PERSONAL_DATA)
    with ctx.uow(write=unmasked) as uow:
        row = _load_pair(uow, actor, pair_id)
        people = uow.persons.get_many([row.person_a, row.person_b])
        names = uow.units.names({p.unit_code for p in people.values()})
        refs = source_refs(uow, [row.person_a, row.person_b])
        pointers = {pid: survivor_of(uow, pid) for pid in (row.person_a, row.person_b)}
        if unmasked:
            uow.audit.record(
                ctx.clock.now(),
                actor.username,
                "read_link_pair",
                "link_pair",
                pair_id,
                unit=row.unit_a if row.unit_a == row.unit_b else actor.unit_code,
                person_ids=[row.person_a, row.person_b],
            )
        uow.commit()
    now = ctx.clock.now()
    return {
        "id": row.id,
        "probability": round(row.probability, 4),
        "state": row.state,
        "found_by": row.found_by,
        "found_at": row.found_at.isoformat(),
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "evidence": pair_evidence(row.levels),
        "people": [
            {
                **person_view(people[pid], names, unmasked=unmasked, now=now),
                "source_refs": refs.get(pid, []),
                "merged_into": pointers[pid],
            }
            for pid in (row.person_a, row.person_b)
        ],
        "may_decide": actor.can(Permission.LINK_PERSONS) and row.state == "review",
    }


def decide(ctx: Context, actor: Actor, pair_id: int, choice: str) -> dict[str, Any]:
    """A person's decision on a pair in review: `merge` (the same person) or `distinct` (not the same person)."""
    actor.require(Permission.LINK_PERSONS)
    if choice not in CHOICES:
        raise InvalidInput(
            "linkage.choice", "请选择：合并，或不是同一人", "Choose: merge, or not the same person", field="choice"
        )
    with ctx.uow(write=True) as uow:
        row = _load_pair(uow, actor, pair_id)
        if row.state != "review":
            raise Conflict(
                "linkage.decided",
                "该记录对已有决定，请刷新后查看",
                "This pair was decided already; reload to see how",
            )
        now = ctx.clock.now()
        result: dict[str, Any] = {"pair": pair_id, "state": "distinct" if choice == "distinct" else "merged"}
        if choice == "merge":
            ids = [_current(uow, row.person_a), _current(uow, row.person_b)]
            if ids[0] != ids[1]:
                first, second = (load_person(uow, actor, pid) for pid in ids)
                stamp = ctx.stamp(actor, "linkage")
                survivor, other = merge_people(ctx, uow, actor, first, second, stamp, pair_id)
                result.update(survivor=survivor.id, merged=other.id)
        uow.conn.execute(
            update(link_pairs)
            .where(link_pairs.c.id == pair_id)
            .values(state=result["state"], decided_by=actor.username, decided_at=now)
        )
        uow.audit.record(
            now,
            actor.username,
            "link_decision",
            "link_pair",
            pair_id,
            unit=row.unit_a if row.unit_a == row.unit_b else actor.unit_code,
            decision=result["state"],
            person_ids=[row.person_a, row.person_b],
        )
        uow.commit()
    return result


def _current(uow: UnitOfWork, person_id: int) -> int:
    for _ in range(20):
        nxt = survivor_of(uow, person_id)
        if nxt is None:
            break
        person_id = nxt
    return person_id


def unmerge(ctx: Context, actor: Actor, person_id: int) -> dict[str, Any]:
    """Undo the merge that made the person a pointer; both records must be inside the jurisdiction."""
    actor.require(Permission.LINK_PERSONS)
    with ctx.uow(write=True) as uow:
        load_person(uow, actor, person_id)
        survivor = survivor_of(uow, person_id)
        if survivor is not None:
            load_person(uow, actor, survivor)
        result = unmerge_person(ctx, uow, actor, person_id, ctx.stamp(actor, "linkage"))
        uow.commit()
    return result


def merge_links(ctx: Context, actor: Actor, person_id: int) -> dict[str, Any]:
    """For the person's page: whom the person was merged into (if they are a pointer) and which records were
    merged into them (each may be unmerged)."""
    with ctx.uow() as uow:
        m = person_merges.c
        into = survivor_of(uow, person_id)
        absorbed = list(
            uow.conn.execute(
                select(m.merged_id).where(m.survivor_id == person_id, m.unmerged_at.is_(None)).order_by(m.merged_id)
            ).scalars()
        )
    return {
        "merged_into": into,
        "merged_from": absorbed,
        "may_unmerge": actor.can(Permission.LINK_PERSONS),
    }
