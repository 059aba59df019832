"""People and their event histories."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, text, true
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql import ColumnElement

from admitall.domain.chain import GENESIS, event_record, seal
from admitall.domain.errors import Conflict
from admitall.domain.identity import Document, DocumentType, Sex
from admitall.domain.people import (
    EventKind,
    Person,
    PersonDetails,
    PersonEvent,
    Placement,
    Risk,
    Severity,
    Stamp,
    Status,
)
from admitall.domain.units import subtree_bounds
from admitall.keys import Keys
from admitall.store.bulk import bulk_insert, bulk_update, chunks, lookup
from admitall.store.name_search import name_matches
from admitall.store.paged import fetch_rows
from admitall.store.repositories.census import CensusRepository
from admitall.store.tables import person_events, person_sources, persons

# the people list's order: whoever has waited longest first (a person not waiting has no waiting-since and comes
# after everyone waiting), the graver case first among equal waits, then the most recently found
_GRAVITY = case({s.value: s.rank for s in Severity}, value=persons.c.severity, else_=-1)
LONGEST_WAIT_FIRST = (
    persons.c.waiting_since.is_(None),
    persons.c.waiting_since.asc(),
    _GRAVITY.desc(),
    persons.c.identified_at.desc(),
    persons.c.id.desc(),
)


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    event: PersonEvent


@dataclass(frozen=True)
class NewPerson:
    """A person to insert with the events that made them, and the outside references that identify them."""

    person: Person
    events: Sequence[PersonEvent]
    sources: Sequence[tuple[str, str]] = ()


def person_row(p: Person, at: datetime) -> dict[str, Any]:
    d = p.details
    return {
        "name": d.name,
        "document_type": d.document.type.value if d.document else None,
        "document_number": d.document.number if d.document else None,
        "phone": d.phone,
        "sex": d.sex.value if d.sex else None,
        "birth_date": d.birth_date,
        "unit_code": d.unit_code,
        "address": d.address,
        "status": p.status.value,
        "severity": p.severity.value if p.severity else None,
        "risks": ",".join(sorted(r.value for r in p.risks)),
        "placement": p.placement.value,
        "identified_at": p.identified_at,
        "status_since": p.status_since,
        "waiting_since": p.waiting_since,
        "facility_code": p.facility_code,
        "bed_type": p.bed_type,
        "held_facility_code": p.held_facility_code,
        "held_bed_type": p.held_bed_type,
        "version": p.version,
        "updated_at": at,
    }


# the stored values' members, looked up by value (cheaper than calling the enum on every row read)
_DOCUMENT_TYPE = {t.value: t for t in DocumentType}
_SEX = {s.value: s for s in Sex}
_STATUS = {s.value: s for s in Status}
_PLACEMENT = {p.value: p for p in Placement}
_SEVERITY = {s.value: s for s in Severity}


@lru_cache(maxsize=256)
def _risks(stored: str) -> frozenset[Risk]:
    return frozenset(Risk(r) for r in stored.split(",") if r)


def to_person(row: Row[Any]) -> Person:
    doc = Document(_DOCUMENT_TYPE[row.document_type], row.document_number) if row.document_number else None
    details = PersonDetails(
        name=row.name,
        unit_code=row.unit_code,
        document=doc,
        phone=row.phone,
        sex=_SEX[row.sex] if row.sex else None,
        birth_date=row.birth_date,
        address=row.address,
    )
    return Person(
        details=details,
        status=_STATUS[row.status],
        identified_at=row.identified_at,
        placement=_PLACEMENT[row.placement],
        waiting_since=row.waiting_since,
        severity=_SEVERITY[row.severity] if row.severity else None,
        risks=_risks(row.risks),
        facility_code=row.facility_code,
        bed_type=row.bed_type,
        held_facility_code=row.held_facility_code,
        held_bed_type=row.held_bed_type,
        status_since=row.status_since,
        version=row.version,
        id=row.id,
    )


def event_row(key: bytes, person_id: int, seq: int, e: PersonEvent, prev_hash: str) -> dict[str, Any]:
    """The stored form of an event, chained to the person's previous event by `prev_hash` (keyed: domain.chain)."""
    s = e.stamp
    data = dict(e.data)
    digest = seal(
        key,
        prev_hash,
        event_record(person_id, seq, e.kind.value, s.occurred_at, s.recorded_at, s.actor, s.source, s.reason, data),
    )
    return {
        "person_id": person_id,
        "seq": seq,
        "kind": e.kind.value,
        "occurred_at": s.occurred_at,
        "recorded_at": s.recorded_at,
        "actor": s.actor,
        "source": s.source,
        "reason": s.reason,
        "data": data,
        "prev_hash": prev_hash,
        "hash": digest,
    }


def _head(chain: Sequence[Mapping[str, Any]]) -> str:
    return str(chain[-1]["hash"]) if chain else GENESIS


def chained_rows(
    key: bytes, person_id: int, first_seq: int, events: Sequence[PersonEvent], prev_hash: str
) -> list[dict[str, Any]]:
    rows = []
    for i, e in enumerate(events):
        row = event_row(key, person_id, first_seq + i, e, prev_hash)
        rows.append(row)
        prev_hash = row["hash"]
    return rows


# built once: the same compiled statements serve every save (building one per call costs more than running it).
# A save moves the person on from the version (and chain head) it was read at, and sets the head to its last new
# event: a head that is not the stored one fails the save, so the chain cannot fork, whatever was cached.
# The UPDATE goes to the driver as plain tuples (store.bulk.bulk_update): no parameter dictionary per row.
_SAVED = tuple(c.name for c in persons.c if c.name not in ("id", "created_at"))
# what a change of state sets; SQLite keeps every index on a column an UPDATE sets, changed or not
_DETAILS = ("name", "document_type", "document_number", "phone", "sex", "birth_date", "unit_code", "address")
_STATE = tuple(c for c in _SAVED if c not in (*_DETAILS, "identified_at"))
_MATCHED_ON = ("id", "version", "event_head")
_BY_IDS = select(persons).where(persons.c.id.in_(bindparam("ids", expanding=True)))
_HEADS = select(persons.c.id, persons.c.version, persons.c.event_head).where(
    persons.c.id.in_(bindparam("ids", expanding=True))
)

CHANGED_MEANWHILE = (
    "person.changed_meanwhile",
    "该人员信息刚被他人修改，请刷新后重试",
    "Someone else changed this person meanwhile; reload and try again",
)


class LostUpdates(Conflict):
    """Some of the people of a batch were changed by someone else since they were read (`ids`); nothing of the
    batch's events was written."""

    def __init__(self, ids: set[int]) -> None:
        super().__init__(*CHANGED_MEANWHILE)
        self.ids = ids


@dataclass(frozen=True)
class Saved:
    """A person's new state and the events that made it, to store in a batch (`PersonRepository.save_many`).
    The events continue the person's history from the version it was read at (`person.version - len(events)`)."""

    person: Person
    events: Sequence[PersonEvent]
    # whether who the person is (their details, when identified) may differ from the row as read: if not, the row's
    # state columns alone are set, and the indexes on the details (phone, ID number, name, birth date) are left be
    details_changed: bool = True


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for key, value in pairs:
        groups.setdefault(key, []).append(value)
    return groups


def at_facility(facility: str) -> ColumnElement[bool]:
    return or_(persons.c.facility_code == facility, persons.c.held_facility_code == facility)


def seen_at_facility(facility: str) -> ColumnElement[bool]:
    """People a facility has had: bound for, in or moving out of it now, or assigned to it at any time before
    (and then admitted and discharged, transferred, refused or cancelled)."""
    e = person_events.c
    assigned = select(e.person_id).where(
        e.kind == EventKind.ASSIGNED.value, e.data["facility_code"].as_string() == facility
    )
    return or_(at_facility(facility), persons.c.id.in_(assigned))


def in_subtree(root: str | None) -> ColumnElement[bool]:
    """People in the subtree of `root`; None means everyone."""
    if root is None:
        return true()
    low, high = subtree_bounds(root)
    return persons.c.unit_code.between(low, high)


def holds_document_number(numbers: Iterable[str]) -> ColumnElement[bool]:
    """People holding one of these document numbers, of whatever type. Said with every type, so that the lookup
    seeks the unique (document_type, document_number) index: on the number alone, SQLite reads the whole index
    (every person registered) for each lookup. A number is never stored without its type (`person_row`)."""
    return and_(
        persons.c.document_type.in_([t.value for t in DocumentType]), persons.c.document_number.in_(list(numbers))
    )


class PersonRepository:
    def __init__(self, conn: Connection, keys: Keys | None = None) -> None:
        self.conn = conn
        self.keys = keys or Keys(None, "")
        # (person id, version) -> the chain head at that version, for the people read or saved in this unit of
        # work: a version's head never changes, so a save from a version read here needs no read of its head
        self._heads: dict[tuple[int, int], str] = {}

    def _person(self, row: Row[Any]) -> Person:
        self._heads[(row.id, row.version)] = row.event_head
        return to_person(row)

    def get(self, person_id: int, *, within: str | None = None, facility: str | None = None) -> Person | None:
        """The person, or None if there is none — or none inside the subtree `within`; with `facility` (a
        facility's desk), none among the people that facility has had (`seen_at_facility`), wherever they live."""
        query = select(persons).where(persons.c.id == person_id)
        if facility is not None:
            query = query.where(seen_at_facility(facility))
        elif within is not None:
            query = query.where(in_subtree(within))
        row = self.conn.execute(query).first()
        return self._person(row) if row else None

    def at_facility(self, facility: str) -> list[Person]:
        """Everyone bound for, in, or being transferred out of the facility."""
        rows = self.conn.execute(
            select(persons)
            .where(at_facility(facility))
            .order_by(persons.c.placement, persons.c.waiting_since, persons.c.id)
        )
        return [self._person(r) for r in rows]

    def needing_beds(self, root: str | None) -> list[Person]:
        """Everyone waiting for a bed, or admitted and waiting for a transfer, in the subtree of `root`."""
        waiting = or_(
            persons.c.placement == "waiting",
            and_(persons.c.placement == "admitted", persons.c.waiting_since.is_not(None)),
        )
        rows = self.conn.execute(select(persons).where(waiting, in_subtree(root)).order_by(persons.c.id))
        return [to_person(r) for r in rows]

    def reserve_ids(self, n: int) -> list[int]:
        """Ids for `n` new people, taken before the insert so that one executemany can store them all.

        PostgreSQL takes them from the column's sequence; SQLite continues after the largest id, which is safe
        because a writing unit of work holds SQLite's write lock from its first statement (BEGIN IMMEDIATE).
        """
        if self.conn.dialect.name == "postgresql":
            rows = self.conn.execute(
                text("SELECT nextval(pg_get_serial_sequence('persons', 'id')) FROM generate_series(1, :n)"), {"n": n}
            )
            return sorted(int(r[0]) for r in rows)
        start = int(self.conn.execute(select(func.coalesce(func.max(persons.c.id), 0))).scalar_one()) + 1
        return list(range(start, start + n))

    def add_many(self, items: Sequence[NewPerson], at: datetime, ids: Sequence[int] | None = None) -> list[int]:
        """Insert people, their histories and their source references in a few bulk statements.

        `ids` come from `reserve_ids`; without them, ids are reserved here."""
        if not items:
            return []
        ids = list(ids) if ids is not None else self.reserve_ids(len(items))
        pairs = list(zip(ids, items, strict=True))
        chains = [chained_rows(self.keys.chain, pid, 1, item.events, GENESIS) for pid, item in pairs]
        bulk_insert(
            self.conn,
            persons,
            [
                {"id": pid, "created_at": at, **person_row(i.person, at), "event_head": _head(chain)}
                for (pid, i), chain in zip(pairs, chains, strict=True)
            ],
        )
        bulk_insert(self.conn, person_events, [row for chain in chains for row in chain])
        bulk_insert(
            self.conn,
            person_sources,
            [{"source": s, "source_ref": ref, "person_id": pid} for pid, item in pairs for s, ref in item.sources],
        )
        return ids

    def add(
        self, person: Person, events: Sequence[PersonEvent], at: datetime, sources: Sequence[tuple[str, str]] = ()
    ) -> int:
        return self.add_many([NewPerson(person, events, sources)], at)[0]

    def save(
        self, person: Person, events: Sequence[PersonEvent], at: datetime, *, details_changed: bool = True
    ) -> None:
        """Store the new state and append its events; refuses if someone else changed the person meanwhile."""
        self.save_many([Saved(person, events, details_changed)], at)

    def save_many(self, items: Sequence[Saved], at: datetime) -> None:
        """Store many people's new states (one row each: a person saved once per batch) by one UPDATE, each
        checked against the version it was read at, and append their events by one INSERT, chained to the head
        kept on the person. Raises `LostUpdates` naming who changed meanwhile, before any event is written (the
        caller rolls back what the UPDATE did)."""
        if not items:
            return
        items = sorted(items, key=lambda i: i.person.id or 0)  # rows locked in one order: no deadlock between batches
        starts: dict[int, int] = {}
        for item in items:
            assert item.person.id is not None and item.person.id not in starts, "one row per person"
            starts[item.person.id] = item.person.version - len(item.events)
        heads = self._heads_at(starts)
        whole: list[tuple[Any, ...]] = []  # rows whose details may have changed: every column set
        state: list[tuple[Any, ...]] = []  # the others: their state only
        events, new_heads = [], {}
        for item, (pid, start) in zip(items, starts.items(), strict=True):
            chain = chained_rows(self.keys.chain, pid, start + 1, item.events, heads.get(pid, GENESIS))
            events.extend(chain)
            row = person_row(item.person, at)
            row["event_head"] = new_heads[pid] = _head(chain)
            columns, rows = (_SAVED, whole) if item.details_changed else (_STATE, state)
            rows.append((*(row[c] for c in columns), pid, start, heads.get(pid)))
        matched = bulk_update(self.conn, persons, _SAVED, _MATCHED_ON, whole)
        if matched + bulk_update(self.conn, persons, _STATE, _MATCHED_ON, state) != len(items):
            raise LostUpdates(self._not_at(new_heads))
        bulk_insert(self.conn, person_events, events)  # as registration's: tuples to the driver (COPY on PostgreSQL)
        for item in items:
            assert item.person.id is not None
            self._heads[(item.person.id, item.person.version)] = new_heads[item.person.id]

    def _heads_at(self, versions: Mapping[int, int]) -> dict[int, str]:
        """The chain head of each person at the version given: from the people read in this unit of work, the
        others in one statement (one not at that version any more will fail its save's version check)."""
        heads = {pid: self._heads[(pid, v)] for pid, v in versions.items() if (pid, v) in self._heads}
        missing = [pid for pid in versions if pid not in heads]
        for chunk in chunks(missing):
            for pid, version, head in self.conn.execute(_HEADS, {"ids": chunk}):
                if version == versions[pid]:
                    heads[pid] = head
        return heads

    def _not_at(self, wanted: Mapping[int, str]) -> set[int]:
        """Which of the people just saved do not hold the head their save set (someone else's save won)."""
        held: dict[int, str] = {}
        for chunk in chunks(list(wanted)):
            held.update((pid, head) for pid, _, head in self.conn.execute(_HEADS, {"ids": chunk}))
        return {pid for pid, head in wanted.items() if held.get(pid) != head}

    def add_sources(self, person_id: int, sources: Iterable[tuple[str, str]]) -> None:
        rows = [{"source": s, "source_ref": r, "person_id": person_id} for s, r in sources]
        if rows:
            self.conn.execute(insert(person_sources), rows)

    def names(self, ids: Iterable[int], *, facility: str | None = None) -> dict[int, str]:
        """Names by id; with `facility`, only of the people that facility has had."""
        wanted = sorted(set(ids))
        found: dict[int, str] = {}
        seen = seen_at_facility(facility) if facility is not None else true()
        for chunk in chunks(wanted):
            query = select(persons.c.id, persons.c.name).where(persons.c.id.in_(chunk), seen)
            found.update((r.id, r.name) for r in self.conn.execute(query))
        return found

    def seen_at(self, facility: str, ids: Iterable[int]) -> set[int]:
        """Which of `ids` the facility has had (`seen_at_facility`)."""
        return set(self.names(ids, facility=facility))

    def history(self, person_id: int) -> list[StoredEvent]:
        rows = self.conn.execute(
            select(person_events).where(person_events.c.person_id == person_id).order_by(person_events.c.seq)
        )
        return [
            StoredEvent(
                r.seq,
                PersonEvent(
                    EventKind(r.kind), Stamp(r.occurred_at, r.recorded_at, r.actor, r.source, r.reason), r.data
                ),
            )
            for r in rows
        ]

    def ids_by_document(self, numbers: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """(document type, number) → person id, for those already registered."""
        found: dict[tuple[str, str], int] = {}
        for doc_type, wanted in _grouped(numbers).items():
            rows = lookup(
                self.conn,
                "SELECT id, document_number FROM persons WHERE document_type = {p} AND document_number IN ({in})",
                (doc_type,),
                wanted,
            )
            found.update({(doc_type, number): pid for pid, number in rows})
        return found

    def ids_by_name_phone(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """(name, phone) → person id, the earliest registered when several share them."""
        wanted = set(pairs)
        found: dict[tuple[str, str], int] = {}
        rows = lookup(
            self.conn, "SELECT id, name, phone FROM persons WHERE phone IN ({in})", (), {phone for _, phone in wanted}
        )
        for pid, name, phone in sorted(rows):
            if (name, phone) in wanted:
                found.setdefault((name, phone), pid)
        return found

    def ids_by_source(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """(source, source reference) → person id, for references seen before."""
        found: dict[tuple[str, str], int] = {}
        for source, wanted in _grouped(refs).items():
            rows = lookup(
                self.conn,
                "SELECT source_ref, person_id FROM person_sources WHERE source = {p} AND source_ref IN ({in})",
                (source,),
                wanted,
            )
            found.update({(source, ref): pid for ref, pid in rows})
        return found

    def get_many(self, ids: Iterable[int]) -> dict[int, Person]:
        result: dict[int, Person] = {}
        for chunk in chunks(set(ids)):
            rows = self.conn.execute(_BY_IDS, {"ids": chunk})
            result.update({r.id: self._person(r) for r in rows})
        return result

    def search(
        self,
        root: str | None,
        *,
        name: str | None = None,
        document: str | None = None,
        phone: str | None = None,
        status: str | None = None,
        placement: str | None = None,
        severity: str | None = None,
        facility: str | None = None,
        limit: int = 50,
        offset: int = 0,
        cap: int | None = None,
    ) -> tuple[list[Person], int]:
        """People in the subtree of `root` (and, with `facility`, among those that facility has had) matching
        every filter given; returns a page and the total (counted up to `cap` + 1 when given: store.paged). The
        longest waits come first (LONGEST_WAIT_FIRST). A name is searched as store.name_search says."""
        conditions: list[ColumnElement[bool]] = [in_subtree(root)]
        if facility is not None:
            conditions.append(seen_at_facility(facility))
        if name:
            conditions.append(name_matches(self.conn, name))
        if document:
            conditions.append(holds_document_number([document]))
        if phone:
            conditions.append(persons.c.phone == phone)
        for column, value in (
            (persons.c.status, status),
            (persons.c.placement, placement),
            (persons.c.severity, severity),
        ):
            if value:
                conditions.append(column == value)
        rows, total = fetch_rows(
            self.conn,
            select(persons).where(*conditions).order_by(*LONGEST_WAIT_FIRST),
            offset=offset,
            limit=limit,
            cap=cap,
        )
        return [to_person(r) for r in rows], total

    def oldest_waiting(self, root: str | None) -> datetime | None:
        value: datetime | None = self.conn.execute(
            select(func.min(persons.c.waiting_since)).where(
                in_subtree(root), persons.c.placement == Placement.WAITING.value
            )
        ).scalar_one()
        return value

    def stock(self, root: str | None) -> list[tuple[str, str | None, str, int]]:
        """(status, severity, placement, count) for the subtree of `root`, from the census the database keeps
        (store.tables_census) rather than by counting every person."""
        totals: Counter[tuple[str, str | None, str]] = Counter()
        for _unit, status, severity, placement, n in CensusRepository(self.conn).counts(root, 0):
            totals[(status, severity, placement)] += n
        return [(s, v, p, n) for (s, v, p), n in totals.items() if n]

    def counts_by_child(self, root: str, prefix_length: int) -> dict[str, dict[str, int]]:
        """For each child prefix (the first `prefix_length` digits), the count of people by status."""
        result: dict[str, Counter[str]] = {}
        for prefix, status, _severity, _placement, n in CensusRepository(self.conn).counts(root, prefix_length):
            result.setdefault(prefix, Counter())[status] += n
        return {prefix: {s: n for s, n in c.items() if n} for prefix, c in result.items()}

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(persons)).scalar_one())
