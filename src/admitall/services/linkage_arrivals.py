"""Linking the people who just arrived — an import's new people, a help request's, the twin's field teams' —
against the registry, at the cost of the arrivals, not of the registry.

The registry is searched by exact keys it has indexes for: the same ID number, the same phone, and within the
same community the same birth date or the same name. Only the arrivals that share such a key with someone already
registered, and those people, are prepared and scored (services.linkage: the same model and thresholds as the
full run), and the pairs worth a look are queued. A registration of 100,000 people into an empty registry reads
four indexed lookups per chunk and scores nothing; an hour of the twin's registrations scores the few who share a
key. What needs a key without an index — the pinyin of a misspelt name, the last 8 digits of a changed phone — is
left to the full run (`admitall link`), which applies every blocking rule to the whole subtree.

People registered by another batch at the same moment, whose ids fall between the arrivals' (PostgreSQL's
sequence interleaves), are not searched here either: the full run links them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import false, not_, or_, select

from admitall.domain.linkage import LinkRecord, prepare
from admitall.domain.linkage_model import DEFAULT_MODEL, candidate_pairs
from admitall.services.context import Context
from admitall.services.linkage import ScoredPair, load_records, queue_pairs, score
from admitall.store.bulk import chunks
from admitall.store.tables import persons
from admitall.store.uow import UnitOfWork

_p = persons.c


def link_arrivals(ctx: Context, uow: UnitOfWork, person_ids: Sequence[int], found_by: str) -> list[ScoredPair]:
    """Score the arrivals that share an indexed key with someone registered before them, queue the pairs worth a
    look, and return them. The caller commits."""
    ids = sorted(set(person_ids))
    if not ids:
        return []
    new = [r for chunk in chunks(ids) for r in load_records(uow, None, _p.id.in_(chunk))]
    outside = not_(_p.id.between(ids[0], ids[-1]))
    known: dict[int, tuple[Any, ...]] = {}  # registered before: id -> (document, phone, unit, birth, name)
    for column, values in (
        (_p.document_number, {r.document for r in new if r.document}),
        (_p.phone, {r.phone for r in new if r.phone}),
    ):
        for chunk in chunks(sorted(values)):
            query = select(_p.id, _p.document_number, _p.phone, _p.unit_code, _p.birth_date, _p.name)
            known.update((row[0], tuple(row[1:])) for row in uow.conn.execute(query.where(column.in_(chunk), outside)))
    for chunk, arrivals in _by_units(new):
        births = {r.birth_date for r in arrivals if r.birth_date}
        names = {r.name for r in arrivals}
        query = select(_p.id, _p.document_number, _p.phone, _p.unit_code, _p.birth_date, _p.name).where(
            _p.unit_code.in_(chunk),
            or_(_p.name.in_(names), _p.birth_date.in_(births) if births else false()),
            outside,
        )
        known.update((row[0], tuple(row[1:])) for row in uow.conn.execute(query))
    if not known:
        return []
    keys = _keys(known.values())
    hit = [r for r in new if _keys_of(*_as_row(r)) & keys]
    hit_keys = _keys(_as_row(r) for r in hit)
    partners = {pid for pid, row in known.items() if _keys_of(*row) & hit_keys}
    if not hit or not partners:
        return []
    others = [r for chunk in chunks(sorted(partners)) for r in load_records(uow, None, _p.id.in_(chunk))]
    records = [prepare(r) for r in [*hit, *others]]
    pairs = candidate_pairs(records, only=range(len(hit)))
    scored = score(records, pairs, DEFAULT_MODEL)
    queue_pairs(uow, scored, found_by, ctx.clock.now())
    return [p for p in scored if p.decision != "distinct"]


ARRIVALS_A_LOOKUP = 2000  # arrivals whose names and birth dates go into one lookup (bound parameters stay few)


def _by_units(new: list[LinkRecord]) -> list[tuple[list[str], list[LinkRecord]]]:
    """The arrivals in runs of whole communities, about ARRIVALS_A_LOOKUP at a time."""
    by_unit: dict[str, list[LinkRecord]] = {}
    for r in new:
        by_unit.setdefault(r.unit_code, []).append(r)
    runs: list[tuple[list[str], list[LinkRecord]]] = []
    units: list[str] = []
    arrivals: list[LinkRecord] = []
    for unit in sorted(by_unit):
        units.append(unit)
        arrivals.extend(by_unit[unit])
        if len(arrivals) >= ARRIVALS_A_LOOKUP:
            runs.append((units, arrivals))
            units, arrivals = [], []
    if units:
        runs.append((units, arrivals))
    return runs


def _as_row(r: LinkRecord) -> tuple[Any, ...]:
    return (r.document, r.phone, r.unit_code, r.birth_date, r.name)


def _keys_of(document: Any, phone: Any, unit: str, birth: Any, name: str) -> set[tuple[Any, ...]]:
    """The exact keys a record can be found by: its ID number, its phone, and in its community its birth date and
    its name."""
    keys: set[tuple[Any, ...]] = {("unit+name", unit, name)}
    if document:
        keys.add(("document", document))
    if phone:
        keys.add(("phone", phone))
    if birth:
        keys.add(("unit+birth", unit, birth))
    return keys


def _keys(rows: Any) -> set[tuple[Any, ...]]:
    return {key for row in rows for key in _keys_of(*row)}
