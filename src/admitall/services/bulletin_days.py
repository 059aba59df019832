"""A day's bulletin counted from the day before's kept bulletin and the day's events, instead of the whole event log.

A bulletin's figures at a cut-off count the events known by then (happened and recorded before it: see
services.bulletin). So the figures at today's cut-off are yesterday's kept figures plus what the events known now
and not at yesterday's cut-off change ("the day's events"): their transitions (all of them new today), and, for the
people they concern, their severity and their bed at today's cut-off minus at yesterday's. "Then" (the change since
the day before) is yesterday's kept figures themselves. The figures equal a count from the whole log
(tests/integration/test_bulletin_days.py); the day costs its events, not the log.

The day's events are found by two index ranges: those that happened today (by kind and time), and those recorded
today that happened earlier, among the events newer than those seen by the bulletin of the day before yesterday
(an event recorded today was written after that one was counted). This needs what a count saw to be exactly the
events up to the newest id it saw — true on SQLite, where writers take turns and ids are committed in order (an
event written meanwhile with an older stamp is seen as newer than that id, and then the whole log is counted); on
PostgreSQL, where a smaller id may commit after a larger one was seen, the whole log is counted every day. Also
counted whole: a day whose two days before were not kept with what they saw, a day before counted long after its
end, or a change in the districts.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from admitall.domain.people import EventKind
from admitall.services import bulletin as b
from admitall.store.tables import person_events
from admitall.store.tables_bulletin import bulletins

# the newest event id a count saw: kept with its figures (left out of what is shown)
THROUGH = "_counted_through"
# a bulletin counted later than this after its day's end is not a bound for the events recorded the day after
COUNTED_WITHIN = timedelta(hours=23)
# the rows of people registered above any district (one row apart in a bulletin)
OTHER = "*"
KINDS = (
    EventKind.IDENTIFIED.value,
    EventKind.RECLASSIFIED.value,
    EventKind.SEVERITY_CHANGED.value,
    EventKind.ADMITTED.value,
)
E = person_events.c


def _kept(conn: Connection, day: date) -> tuple[dict[str, Any], datetime] | None:
    row = conn.execute(select(bulletins.c.figures, bulletins.c.computed_at).where(bulletins.c.day == day)).first()
    return (dict(row[0]), row[1]) if row is not None else None


def _days_events(since: datetime, cut: datetime, after: int) -> Any:
    """The events known at `cut` and not at `since` (of the kinds a bulletin counts): happened in [since, cut) and
    recorded before cut, or happened before since and recorded in [since, cut) — these newer than `after`."""
    columns = (E.id, E.person_id, E.kind, E.data["from"].as_string().label("src"), b._status_to().label("dst"))
    happened = select(*columns).where(
        E.kind.in_(KINDS), E.occurred_at >= since, E.occurred_at < cut, E.recorded_at < cut
    )
    recorded = select(*columns).where(  # by id: the kind, as an expression, keeps SQLite off its index
        E.id > after, E.kind.concat("").in_(KINDS), E.occurred_at < since, E.recorded_at >= since, E.recorded_at < cut
    )
    return union_all(happened, recorded).subquery()


def from_day_before(
    conn: Connection, wanted: date, since: datetime, cut: datetime, named: set[str]
) -> tuple[b.Figures, b.Figures, dict[str, int]] | None:
    """(figures at the day's cut-off, at the day before's, beds occupied at the cut-off) from the day before's kept
    bulletin and the day's events; None when they cannot be used (see the module's docstring): count whole."""
    if conn.dialect.name != "sqlite":
        return None
    before, two_before = _kept(conn, wanted - timedelta(days=1)), _kept(conn, wanted - timedelta(days=2))
    if before is None or two_before is None or THROUGH not in before[0] or THROUGH not in two_before[0]:
        return None
    if two_before[1] > since - timedelta(days=1) + COUNTED_WITHIN:
        return None
    figures, seen = before[0], int(before[0][THROUGH])
    rows = figures.get("districts") or []
    if {r["code"][: b.DISTRICT_DIGITS] for r in rows if r["code"]} != named:
        return None
    late = exists().where(E.id > seen, E.kind.concat("").in_(KINDS), b._known(since))  # by id, as above
    if conn.execute(select(late)).scalar_one():  # written after the day before was counted, stamped before its cut
        return None
    then: b.Figures = {(r["code"][: b.DISTRICT_DIGITS] if r["code"] else OTHER): Counter(r["figures"]) for r in rows}
    now: b.Figures = {p: Counter({k: v for k, v in c.items() if not k.startswith("new_")}) for p, c in then.items()}

    def place(prefix: str | None) -> Counter[str]:
        return now.setdefault(prefix if prefix in named else OTHER, Counter())

    days = _days_events(since, cut, int(two_before[0][THROUGH]))
    first = aliased(person_events)
    district = (
        select(func.substr(func.max(first.c.data["unit_code"].as_string()), 1, b.DISTRICT_DIGITS))
        .where(
            first.c.person_id == days.c.person_id,
            first.c.kind.concat("") == EventKind.IDENTIFIED.value,  # found by person (as above)
            and_(first.c.occurred_at < cut, first.c.recorded_at < cut),
        )
        .scalar_subquery()
    )
    moves = (
        select(district, days.c.src, days.c.dst, func.count())
        .where(days.c.kind.in_([EventKind.IDENTIFIED.value, EventKind.RECLASSIFIED.value]))
        .group_by(district, days.c.src, days.c.dst)
    )
    for where, src, dst, n in conn.execute(moves):
        b._tally(place(where), src, dst, n, True)
    among = select(days.c.person_id)
    for where, counts in b._severities(conn, cut, among).items():
        place(where).update(counts)
    for where, counts in b._severities(conn, since, among).items():
        place(where).subtract(counts)
    occupied: Counter[str] = Counter({r["bed_type"]: int(r["occupied"]) for r in figures.get("beds") or []})
    occupied.update(b._occupied(conn, cut, among))
    occupied.subtract(b._occupied(conn, since, among))
    return now, then, dict(occupied)
