"""The waiting list as the engine needs it: brief rows of only the columns a plan depends on, read by statements
built once; which people changed since a given event; the few names a plan shows; and what each facility took
in this clock hour (its admissions and the people on their way to it).

Everything a plan depends on is on the person's row, and every change to a person's row appends an event to
their history in the same transaction (architecture §2): so the ids of the events after a known one name
everyone whose brief row may have changed since.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.engine import Connection

from admitall.domain.units import subtree_bounds
from admitall.store.bulk import chunks
from admitall.store.tables import person_events, persons

_c = persons.c
_e = person_events.c

# everyone who needs a bed: waiting, or admitted and waiting for a transfer
_NEEDING_BEDS = or_(_c.placement == "waiting", and_(_c.placement == "admitted", _c.waiting_since.is_not(None)))
_IN_SUBTREE = _c.unit_code.between(bindparam("low"), bindparam("high"))
_BRIEF_COLUMNS = (
    _c.id,
    _c.unit_code,
    _c.status,
    _c.severity,
    _c.risks,
    _c.birth_date,
    _c.identified_at,
    _c.placement,
    _c.waiting_since,
    _c.facility_code,
    _c.version,
)
_BRIEF = select(*_BRIEF_COLUMNS).where(_NEEDING_BEDS, _IN_SUBTREE)
# by id alone: SQLite then reads each of the people by primary key; given the placement and unit conditions too, it
# chose to read the whole waiting index (every plan cost everyone waiting, however few had changed). Who of them
# needs a bed within the root is then sorted out here.
_BRIEF_OF = select(*_BRIEF_COLUMNS).where(_c.id.in_(bindparam("ids", expanding=True)))
# two counts of index ranges, summed: counted as one condition (`_NEEDING_BEDS`), SQLite joins the two ranges by a set
# of every row id (measured at 105,000 waiting: 40 ms a plan, against 8 ms)
_COUNT = select(
    select(func.count()).select_from(persons).where(_c.placement == "waiting", _IN_SUBTREE).scalar_subquery()
    + select(func.count())
    .select_from(persons)
    .where(_c.placement == "admitted", _c.waiting_since.is_not(None), _IN_SUBTREE)
    .scalar_subquery()
)
_LAST_EVENT = select(func.coalesce(func.max(_e.id), 0))
# no DISTINCT: with it SQLite reads every event ever (by the (person_id, seq) index) instead of the few after `after`
_CHANGED_AFTER = select(_e.person_id).where(_e.id > bindparam("after"))
_SHOWN = select(_c.id, _c.name, _c.document_number).where(_c.id.in_(bindparam("ids", expanding=True)))
_ON_THEIR_WAY = select(_c.id, _c.facility_code).where(
    _c.facility_code.in_(bindparam("codes", expanding=True)), _c.placement.in_(("assigned", "in_transit"))
)
_ADMITTED_BETWEEN = select(_e.person_id, _e.data).where(
    _e.kind == "admitted", _e.occurred_at >= bindparam("start"), _e.occurred_at < bindparam("end")
)

WHOLE_TREE = ("000000000000", "999999999999")


class BriefRow(NamedTuple):
    id: int
    unit_code: str
    status: str
    severity: str | None
    risks: str
    birth_date: Any
    identified_at: datetime
    placement: str
    waiting_since: datetime | None
    facility_code: str | None
    version: int


class Shown(NamedTuple):
    name: str
    document_number: str | None


def _bounds(root: str | None) -> dict[str, str]:
    low, high = subtree_bounds(root) if root is not None else WHOLE_TREE
    return {"low": low, "high": high}


class WaitingList:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def last_event(self) -> int:
        """The id of the newest event: everything up to it is in what is read next in this transaction."""
        return int(self.conn.execute(_LAST_EVENT).scalar_one())

    def brief(self, root: str | None) -> list[BriefRow]:
        """Everyone in the subtree of `root` who needs a bed, brief."""
        return [BriefRow(*r) for r in self.conn.execute(_BRIEF, _bounds(root))]

    def count(self, root: str | None) -> int:
        return int(self.conn.execute(_COUNT, _bounds(root)).scalar_one())

    def changed_after(self, event_id: int) -> list[int]:
        """The people with an event after `event_id`."""
        return sorted(set(self.conn.execute(_CHANGED_AFTER, {"after": event_id}).scalars()))

    def brief_of(self, root: str | None, ids: Sequence[int]) -> list[BriefRow]:
        """Those of `ids` who need a bed in the subtree of `root`, brief."""
        low, high = _bounds(root).values()
        return [
            BriefRow(*r)
            for chunk in chunks(ids)
            for r in self.conn.execute(_BRIEF_OF, {"ids": chunk})
            if (r.placement == "waiting" or (r.placement == "admitted" and r.waiting_since is not None))
            and low <= r.unit_code <= high
        ]

    def shown(self, ids: Iterable[int]) -> dict[int, Shown]:
        """Name and document number of the people a plan lists."""
        found: dict[int, Shown] = {}
        for chunk in chunks(sorted(set(ids))):
            found.update((pid, Shown(name, doc)) for pid, name, doc in self.conn.execute(_SHOWN, {"ids": chunk}))
        return found

    def taken_this_hour(self, codes: Sequence[str], start: datetime, end: datetime) -> dict[str, int]:
        """Per facility: the people it admitted between `start` and `end`, and those on their way to it now
        (assigned or in transit), each person once."""
        wanted = set(codes)
        people: dict[str, set[int]] = defaultdict(set)
        for chunk in chunks(sorted(wanted)):
            for pid, code in self.conn.execute(_ON_THEIR_WAY, {"codes": chunk}):
                people[code].add(pid)
        for pid, data in self.conn.execute(_ADMITTED_BETWEEN, {"start": start, "end": end}):
            code = (data or {}).get("facility_code")
            if code in wanted:
                people[code].add(pid)
        return {code: len(ids) for code, ids in people.items()}
