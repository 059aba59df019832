"""Tracing (issue 17 §1): exposures recorded (a batch at once, one statement per table), a case's contacts with
their state, the chain up and down from a person, clusters, and the counts a commander needs by unit.

Everything is limited to the actor's jurisdiction: a person outside it is not found, and a chain or a cluster
shows only the people within it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, bindparam, case, func, insert, select, true, update

from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError
from admitall.domain.people import Status
from admitall.domain.tracing import Exposure, components, parse_exposure, percentile
from admitall.domain.units import child_prefix_length, subtree_bounds
from admitall.services.context import Actor, Context, not_found, unit_in_scope
from admitall.services.observation import chunked, local_day, start_observations
from admitall.services.people import load_person
from admitall.services.tracing_kept import whole_graph
from admitall.store.repositories.persons import in_subtree
from admitall.store.tables import persons, units
from admitall.store.tables_observation import exposures, observations
from admitall.store.tables_screens import screen_cache
from admitall.store.uow import UnitOfWork

_e, _p, _o, _u, _k = exposures.c, persons.c, observations.c, units.c, screen_cache.c
NEW_WITHIN = timedelta(days=7)
CASES = (Status.CONFIRMED.value, Status.RECOVERED.value)


@dataclass(frozen=True)
class ExposureInput:
    contact_id: int
    case_id: int
    exposed_on: date | None
    setting: str | None
    closeness: str | None = None


@dataclass
class ExposureSummary:
    recorded: int = 0
    updated: int = 0
    observations_started: int = 0
    refused: list[tuple[ExposureInput, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "updated": self.updated,
            "observations_started": self.observations_started,
            "refused": [
                {"contact_id": x.contact_id, "case_id": x.case_id, "code": code, "message": m}
                for x, code, m in self.refused
            ],
        }


_PAIRS = select(_e.id, _e.contact_id, _e.case_id, _e.exposed_on).where(
    _e.contact_id.in_(bindparam("ids", expanding=True))
)
_MOVE = update(exposures).where(_e.id == bindparam("eid")).values(exposed_on=bindparam("on"))


def record_exposures(
    ctx: Context, uow: UnitOfWork, actor: Actor, items: Iterable[ExposureInput], source: str, lang: str = "zh"
) -> ExposureSummary:
    """Within a unit of work: check each exposure (both people within reach, the fields known), insert the new
    pairs and move a known pair's date on to a later exposure (one statement each), then put the contacts under
    observation from their last exposure."""
    items = list(items)
    summary = ExposureSummary()
    now = ctx.clock.now()
    today = local_day(ctx, now)
    ids = sorted({x.contact_id for x in items} | {x.case_id for x in items})
    units: dict[int, str] = {}
    known: dict[tuple[int, int], Any] = {}
    for part in chunked(ids):
        units.update(uow.conn.execute(select(_p.id, _p.unit_code).where(_p.id.in_(part))).all())
        known.update(((r.contact_id, r.case_id), r) for r in uow.conn.execute(_PAIRS, {"ids": part}))
    new: dict[tuple[int, int], dict[str, Any]] = {}
    moves: dict[int, date] = {}
    for item in items:
        try:
            for pid in (item.contact_id, item.case_id):
                if pid not in units or not actor.covers(units[pid]):
                    raise not_found("person", pid)
            x: Exposure = parse_exposure(
                item.contact_id, item.case_id, item.exposed_on, item.setting, item.closeness, today
            )
        except AdmitAllError as e:
            summary.refused.append((item, e.code, e.message(lang)))
            continue
        pair = (x.contact_id, x.case_id)
        if pair in known:
            was = moves.get(known[pair].id, known[pair].exposed_on)
            if x.exposed_on > was:
                moves[known[pair].id] = x.exposed_on
            summary.updated += 1
        elif pair in new:
            new[pair]["exposed_on"] = max(new[pair]["exposed_on"], x.exposed_on)
            summary.updated += 1
        else:
            new[pair] = {
                "contact_id": x.contact_id,
                "case_id": x.case_id,
                "exposed_on": x.exposed_on,
                "setting": x.setting.value,
                "closeness": x.closeness.value,
                "recorded_at": now,
                "actor": actor.username,
                "source": source,
            }
            summary.recorded += 1
    if new:
        uow.conn.execute(exposures.insert(), list(new.values()))
    if moves:
        uow.conn.execute(_MOVE, [{"eid": eid, "on": on} for eid, on in moves.items()])
    contacts = {c for c, _ in new} | {r.contact_id for r in known.values() if r.id in moves}
    summary.observations_started = start_observations(ctx, uow, contacts)
    return summary


def register_exposures(
    ctx: Context, actor: Actor, items: Iterable[ExposureInput], *, source: str = "tracing", lang: str = "zh"
) -> ExposureSummary:
    """Record exposures in one transaction (see `record_exposures`), put on record once."""
    actor.require(Permission.REGISTER_PERSONS)
    with ctx.uow(write=True) as uow:
        summary = record_exposures(ctx, uow, actor, items, source, lang)
        uow.audit.record(
            ctx.clock.now(), actor.username, "register_exposures", "batch", None, unit=actor.unit_code,
            source=source, recorded=summary.recorded, updated=summary.updated, refused=len(summary.refused),
        )  # fmt: skip
        uow.commit()
    return summary


def contacts_of(ctx: Context, actor: Actor, case_id: int) -> dict[str, Any]:
    """A case's contacts within the jurisdiction, with their state and observation, and the case's own known
    sources."""
    actor.require(Permission.VIEW_PERSONS)
    with ctx.uow() as uow:
        case = load_person(uow, actor, case_id)
        scope = in_subtree(actor.unit_code)
        down = uow.conn.execute(
            select(
                _e.contact_id, _e.exposed_on, _e.setting, _e.closeness, _p.name, _p.status, _p.placement,
                _o.state.label("observation"), _o.ends_on,
            )
            .join(persons, _p.id == _e.contact_id)
            .outerjoin(observations, and_(_o.person_id == _e.contact_id, _o.state == "active"))
            .where(_e.case_id == case_id, scope)
            .order_by(_e.exposed_on.desc(), _e.contact_id)
        ).all()  # fmt: skip
        up = uow.conn.execute(
            select(_e.case_id, _e.exposed_on, _e.setting, _p.name, _p.status)
            .join(persons, _p.id == _e.case_id)
            .where(_e.contact_id == case_id, scope)
            .order_by(_e.exposed_on.desc())
        ).all()
    return {
        "person_id": case_id,
        "name": case.details.name,
        "status": case.status.value,
        "contacts": [
            {
                "person_id": r.contact_id,
                "name": r.name,
                "status": r.status,
                "placement": r.placement,
                "exposed_on": r.exposed_on.isoformat(),
                "setting": r.setting,
                "closeness": r.closeness,
                "observation": r.observation,
                "observation_ends_on": r.ends_on.isoformat() if r.ends_on else None,
            }
            for r in down
        ],
        "sources": [
            {
                "person_id": r.case_id,
                "name": r.name,
                "status": r.status,
                "exposed_on": r.exposed_on.isoformat(),
                "setting": r.setting,
            }
            for r in up
        ],
    }


MAX_DEPTH = 4
MAX_NODES = 300


def chain(ctx: Context, actor: Actor, person_id: int, depth: int = 2) -> dict[str, Any]:
    """From a person up to their known sources (all the way, within MAX_DEPTH) and down to their contacts and
    theirs (`depth` levels): nodes with category and state, edges, one statement per level; at most MAX_NODES
    people, only those within the jurisdiction."""
    actor.require(Permission.VIEW_PERSONS)
    depth = max(1, min(depth, MAX_DEPTH))
    scope = in_subtree(actor.unit_code)
    with ctx.uow() as uow:
        load_person(uow, actor, person_id)
        edges: set[tuple[int, int]] = set()
        nodes = {person_id}
        for col, other, levels in ((_e.contact_id, _e.case_id, MAX_DEPTH), (_e.case_id, _e.contact_id, depth)):
            frontier = {person_id}
            for _ in range(levels):
                if not frontier or len(nodes) >= MAX_NODES:
                    break
                found = uow.conn.execute(
                    select(_e.case_id, _e.contact_id)
                    .join(persons, _p.id == other)
                    .where(col.in_(sorted(frontier)), scope)
                    .limit(MAX_NODES)
                ).all()
                frontier = set()
                for case, contact in found:
                    edges.add((case, contact))
                    new = contact if other is _e.contact_id else case
                    if new not in nodes and len(nodes) < MAX_NODES:
                        nodes.add(new)
                        frontier.add(new)
        rows = uow.conn.execute(
            select(_p.id, _p.name, _p.status, _p.placement, _p.unit_code, _o.state.label("observation"))
            .outerjoin(observations, and_(_o.person_id == _p.id, _o.state == "active"))
            .where(_p.id.in_(sorted(nodes)))
        ).all()
    return {
        "person_id": person_id,
        "depth": depth,
        "truncated": len(nodes) >= MAX_NODES,
        "nodes": [
            {
                "id": r.id,
                "name": r.name,
                "status": r.status,
                "placement": r.placement,
                "unit_code": r.unit_code,
                "observation": r.observation,
                "focus": r.id == person_id,
            }
            for r in sorted(rows, key=lambda r: r.id)
        ],
        "edges": [{"from": a, "to": b} for a, b in sorted(edges) if a in nodes and b in nodes],
    }


def _covers_all(uow: UnitOfWork, root: str | None) -> bool:
    """Whether `root`'s subtree holds every unit (the tree's top, or None): then no exposure need be joined to its
    contact to be in scope. One indexed probe."""
    if root is None:
        return True
    lo, hi = subtree_bounds(root)
    return uow.conn.execute(select(_u.code).where(~_u.code.between(lo, hi)).limit(1)).first() is None


def _graph(
    uow: UnitOfWork, root: str | None, now: datetime, top: int
) -> tuple[tuple[int, int, list[set[int]]], set[int]]:
    """The clusters of the exposures whose contact is within `root` (the case may be anywhere: it is counted, not
    shown) — how many, how many people, the `top` largest — and which of those largest clusters' contacts were
    first exposed within the last 7 days. The edges as bare pairs (from the covering index alone when the root
    holds the whole tree), then the first exposures of the listed clusters' people only."""
    everything = _covers_all(uow, root)
    scoped = exposures if everything else exposures.join(persons, _p.id == _e.contact_id)
    scope = true() if everything else in_subtree(root)
    if everything:  # the whole tree's graph, kept between rounds (services.tracing_kept)
        count, people, largest = whole_graph(uow.conn, top)
    else:
        edges = uow.conn.execute(select(_e.case_id, _e.contact_id).select_from(scoped).where(scope)).all()
        count, people, largest = components(edges, top)
    fresh: set[int] = set()
    for part in chunked({n for g in largest for n in g}):
        fresh.update(
            uow.conn.execute(
                select(_e.contact_id)
                .select_from(scoped)
                .where(scope, _e.contact_id.in_(part))
                .group_by(_e.contact_id)
                .having(func.min(_e.recorded_at) >= now - NEW_WITHIN)
            ).scalars()
        )
    return (count, people, largest), fresh


def cluster_list(ctx: Context, actor: Actor, limit: int = 20) -> dict[str, Any]:
    """Clusters (connected components of the exposures within the jurisdiction), largest first: size, people new
    in the last 7 days (by the exposure that brought them in), confirmed among them; the real number of clusters."""
    actor.require(Permission.VIEW_COUNTS)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        (count, people, top), fresh = _graph(uow, actor.unit_code, now, limit)
        ids = sorted({n for g in top for n in g})
        status: dict[int, str] = {}
        for part in chunked(ids):
            status.update(uow.conn.execute(select(_p.id, _p.status).where(_p.id.in_(part))).all())
    listed = []
    for g in top:
        new = len(g & fresh)
        listed.append(
            {
                "index_person": min(g),
                "size": len(g),
                "new_in_7_days": new,
                "confirmed": sum(1 for n in g if status.get(n) in CASES),
                "in_observation": sum(1 for n in g if status.get(n) == Status.CONTACT.value),
            }
        )
    listed.sort(key=lambda c: (-c["size"], -c["new_in_7_days"], c["index_person"]))
    return {"clusters": count, "people": people, "largest": listed}


def tracing_counts(ctx: Context, actor: Actor, unit: str | None = None) -> dict[str, Any]:
    """By child unit of the root: contacts traced per confirmed case, the share of new cases (confirmed in the
    last 7 days) that were already known contacts, and hours from a case's confirmation to their contacts put in
    observation (median, p90). A handful of grouped statements; the delays read as one column."""
    actor.require(Permission.VIEW_COUNTS)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        n = child_prefix_length(root)
        child = func.substr(_p.unit_code, 1, n)
        scope = in_subtree(root)
        cases = dict(
            uow.conn.execute(select(child, func.count()).where(scope, _p.status.in_(CASES)).group_by(child)).all()
        )
        traced = dict(
            uow.conn.execute(
                select(child, func.count(func.distinct(_e.contact_id)))
                .join(persons, _p.id == _e.case_id)
                .where(scope, _p.status.in_(CASES))
                .group_by(child)
            ).all()
        )
        known_before = select(_e.id).where(_e.contact_id == _p.id, _e.recorded_at <= _p.status_since)
        fresh = uow.conn.execute(
            select(child, func.count(), func.coalesce(func.sum(case((known_before.exists(), 1), else_=0)), 0))
            .where(scope, _p.status == Status.CONFIRMED.value, _p.status_since >= now - NEW_WITHIN)
            .group_by(child)
        ).all()
        delays = uow.conn.execute(
            select(child, _p.status_since, _o.created_at)
            .select_from(exposures)
            .join(persons, _p.id == _e.case_id)
            .join(observations, _o.person_id == _e.contact_id)
            .where(scope, _p.status.in_(CASES))
        ).all()
    by: dict[str, dict[str, Any]] = {}

    def at(code: str) -> dict[str, Any]:
        return by.setdefault(code.ljust(12, "0"), {"cases": 0, "contacts_traced": 0, "new_cases": 0, "new_known": 0,
                                                    "delays": []})  # fmt: skip

    for code, k in cases.items():
        at(code)["cases"] = int(k)
    for code, k in traced.items():
        at(code)["contacts_traced"] = int(k)
    for code, total, known in fresh:
        at(code)["new_cases"], at(code)["new_known"] = int(total), int(known)
    for code, confirmed_at, observed_at in delays:
        at(code)["delays"].append(max(0.0, (observed_at - confirmed_at).total_seconds() / 3600))
    units = []
    every: list[float] = []
    for code, v in sorted(by.items()):
        every += v["delays"]
        units.append(_figures(code, v))
    whole = {
        "cases": sum(v["cases"] for v in by.values()),
        "contacts_traced": sum(v["contacts_traced"] for v in by.values()),
        "new_cases": sum(v["new_cases"] for v in by.values()),
        "new_known": sum(v["new_known"] for v in by.values()),
        "delays": every,
    }
    return {"unit": root, "as_of": now.isoformat(), "total": _figures(root, whole), "units": units}


def _figures(code: str | None, v: dict[str, Any]) -> dict[str, Any]:
    median, p90 = percentile(v["delays"], 50), percentile(v["delays"], 90)
    return {
        "unit_code": code,
        "confirmed_cases": v["cases"],
        "contacts_traced": v["contacts_traced"],
        "contacts_per_case": round(v["contacts_traced"] / v["cases"], 2) if v["cases"] else None,
        "new_cases_7d": v["new_cases"],
        "new_cases_known_contacts": v["new_known"],
        "share_known_contacts": round(v["new_known"] / v["new_cases"], 3) if v["new_cases"] else None,
        "hours_to_observation_median": round(median, 1) if median is not None else None,
        "hours_to_observation_p90": round(p90, 1) if p90 is not None else None,
    }


TILE = 5
# the clusters of the tree's top units are found by the watch's round and kept (screen_cache, KEPT_KEY); a tile
# reads them while they are younger than KEPT_FOR, and finds a smaller unit's clusters itself (their cost follows
# the unit)
KEPT_KEY = "tracing-clusters:"
KEPT_FOR = timedelta(hours=1)


def clusters_now(uow: UnitOfWork, root: str | None, now: datetime, size: int = TILE) -> dict[str, Any]:
    """The tile's figures within `root`'s subtree found from the data: contacts in observation (the subtree's
    contacts, by the unit and status index, that have an active observation), the clusters (how many, the largest
    `size` with their growth in 7 days), and when."""
    has_observation = select(_o.id).where(_o.person_id == _p.id, _o.state == "active").exists()
    observed = uow.conn.execute(
        select(func.count()).where(_p.status == Status.CONTACT.value, in_subtree(root), has_observation)
    ).scalar_one()
    (count, _people, top), fresh = _graph(uow, root, now, size)
    largest = [{"index_person": min(g), "size": len(g), "new_in_7_days": len(g & fresh)} for g in top]
    return {"in_observation": int(observed), "clusters": count, "largest": largest, "as_of": now.isoformat()}


def keep_clusters(uow: UnitOfWork, now: datetime) -> int:
    """The watch's part: the tile's figures of the tree's top units, found and kept for their screens (one row
    each, replaced). Returns how many units' figures were kept."""
    tops = uow.conn.execute(select(_u.code).where(_u.parent_code.is_(None))).scalars().all()
    for code in tops:
        payload = orjson.dumps(clusters_now(uow, code, now)).decode()
        row = {"unit_code": code, "payload": payload, "etag": "", "stamp": "", "computed_at": now}
        if not uow.conn.execute(update(screen_cache).where(_k.key == KEPT_KEY + code).values(**row)).rowcount:
            uow.conn.execute(insert(screen_cache).values(key=KEPT_KEY + code, **row))
    return len(tops)


def screen_tile(uow: UnitOfWork, root: str | None, now: datetime, size: int = TILE) -> dict[str, Any]:
    """The command screen's tile (services.command): contacts in observation, and the clusters (how many, the
    largest few with their growth in 7 days) within the unit's subtree, with the time they were found (`as_of`):
    kept by the watch's round for the tree's top units (`keep_clusters`, a minute old at most in production),
    found from the data for any other unit (their cost follows the unit) or when none younger than KEPT_FOR is
    kept."""
    kept = None
    if root is not None:
        kept = uow.conn.execute(
            select(_k.payload).where(_k.key == KEPT_KEY + root, _k.computed_at >= now - KEPT_FOR)
        ).scalar_one_or_none()
    tile: dict[str, Any] = orjson.loads(kept) if kept is not None else clusters_now(uow, root, now, size)
    tile["largest"] = tile["largest"][:size]
    return tile
