"""Linking the people who just arrived — an import's new people, a help request's, the twin's field teams' —
against the registry, at the cost of the arrivals, not of the registry.

The registry is searched by exact keys it has indexes for: the same ID number, the same phone, and within the
same community the same birth date or the same name (each (community, key) pair sought in its own index, so the
lookups cost the arrivals whatever the communities hold). Only the arrivals that share such a key with someone
already registered, and those people, are prepared and scored (services.linkage: the same model and thresholds
as the full run), and the pairs worth a look are queued. A registration of 100,000 people into an empty registry
reads four indexed lookups per chunk and scores nothing; an hour of the twin's registrations scores the few who
share a key. What needs a key without an index — the pinyin of a misspelt name, the last 8 digits of a changed
phone — is left to the full run (`admitall link`), which applies every blocking rule to the whole subtree.

People registered by another batch at the same moment, whose ids fall between the arrivals' (PostgreSQL's
sequence interleaves), are not searched here either: the full run links them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import not_, select

from admitall.domain.linkage import prepare
from admitall.domain.linkage_model import DEFAULT_MODEL, candidate_pairs
from admitall.domain.people import Person
from admitall.services.context import Context
from admitall.services.linkage import ScoredPair, load_records, queue_pairs, score
from admitall.store.bulk import chunks, rows_of_pairs
from admitall.store.repositories.persons import holds_document_number
from admitall.store.tables import persons
from admitall.store.uow import UnitOfWork

_p = persons.c


def link_arrivals(ctx: Context, uow: UnitOfWork, arrivals: Mapping[int, Keys], found_by: str) -> list[ScoredPair]:
    """Score the arrivals (their ids and keys as just stored: `Keys.of` each person, no need to read them back)
    that share an indexed key with someone registered before them, queue the pairs worth a look, and return
    them. The caller commits."""
    if not arrivals:
        return []
    ids = sorted(arrivals)
    outside = not_(_p.id.between(ids[0], ids[-1]))
    known: dict[int, Keys] = {}  # registered before the arrivals
    for holding, values in (
        (holds_document_number, {k.document for k in arrivals.values() if k.document}),
        (_p.phone.in_, {k.phone for k in arrivals.values() if k.phone}),
    ):
        for chunk in chunks(sorted(values)):
            rows = uow.conn.execute(_KEYS.where(holding(chunk), outside))
            known.update((row[0], Keys(*row[1:])) for row in rows)
    # within the arrival's community, the same name or the same birth date: each pair sought in its own index
    # (migration 0032), so the arrivals' neighbours who share neither are never read
    # (key, community): sought in the order of the indexes, which lead with the key (migration 0034)
    by_name = {(k.name, k.unit_code) for k in arrivals.values()}
    by_birth = {(k.birth_date, k.unit_code) for k in arrivals.values() if k.birth_date}
    outside_ids = (ids[0], ids[-1])
    neighbours = {
        row[0]
        for key, pairs in (("name", by_name), ("birth_date", by_birth))
        for row in rows_of_pairs(uow.conn, persons, (key, "unit_code"), pairs, ("id",), id_outside=outside_ids)
    }
    for chunk in chunks(sorted(neighbours - known.keys())):
        known.update((row[0], Keys(*row[1:])) for row in uow.conn.execute(_KEYS.where(_p.id.in_(chunk))))
    if not known:
        return []
    keys = {key for k in known.values() for key in k.found_by()}
    hit = [pid for pid, k in arrivals.items() if k.found_by() & keys]
    hit_keys = {key for pid in hit for key in arrivals[pid].found_by()}
    partners = [pid for pid, k in known.items() if k.found_by() & hit_keys]
    if not hit or not partners:
        return []
    loaded = {r.id: r for chunk in chunks([*hit, *partners]) for r in load_records(uow, None, _p.id.in_(chunk))}
    records = [prepare(loaded[pid]) for pid in [*hit, *partners] if pid in loaded]
    first = sum(1 for pid in hit if pid in loaded)
    pairs = candidate_pairs(records, only=range(first))
    scored = score(records, pairs, DEFAULT_MODEL)
    queue_pairs(uow, scored, found_by, ctx.clock.now())
    return [p for p in scored if p.decision != "distinct"]


class Keys(NamedTuple):
    """The exact keys a record can be found by in the registry's indexes."""

    document: str | None
    phone: str | None
    unit_code: str
    birth_date: Any
    name: str

    @classmethod
    def of(cls, person: Person) -> Keys:
        """A person's keys, as its row stores them."""
        d = person.details
        return cls(d.document.number if d.document else None, d.phone, d.unit_code, d.birth_date, d.name)

    def found_by(self) -> set[tuple[Any, ...]]:
        """Its ID number, its phone, and in its community its birth date and its name."""
        keys: set[tuple[Any, ...]] = {("unit+name", self.unit_code, self.name)}
        if self.document:
            keys.add(("document", self.document))
        if self.phone:
            keys.add(("phone", self.phone))
        if self.birth_date:
            keys.add(("unit+birth", self.unit_code, self.birth_date))
        return keys


_KEYS = select(_p.id, _p.document_number, _p.phone, _p.unit_code, _p.birth_date, _p.name)
