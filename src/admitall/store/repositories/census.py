"""The census of people per unit and the flows of events (see store.tables_census): the census read as base plus
unfolded changes, folded by the watch; both checked against the people and events themselves (`admitall verify`),
which keeps the triggers' guarantee whether a row was projected by its trigger or once per batch (store.bulk)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import and_, delete, func, not_, or_, select, text, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from admitall.domain.units import subtree_bounds
from admitall.store.tables import person_events, persons
from admitall.store.tables_census import event_flows, unit_census, unit_census_changes
from admitall.store.tables_linkage import person_merges

# (unit code or its prefix, status, severity or None, placement) → count
Key = tuple[str, str, str | None, str]

FLOW_KINDS = ("identified", "reclassified", "severity_changed", "admitted")
# at most this many events named per kind of difference; the counts say how many there are in all
NAMED = 20

_e, _f = person_events.c, event_flows.c
# people merged into another record (services.linkage_merge) and not unmerged: counted once, as the survivor,
# so their own census entry and flow rows are taken back while they stay merged
MERGED_AWAY = select(person_merges.c.merged_id).where(person_merges.c.unmerged_at.is_(None))
_MOVES = _e.kind.in_(FLOW_KINDS)
# an event that moves the backlog with no flow row
_UNFLOWED = (
    select(_e.id)
    .select_from(person_events.outerjoin(event_flows, _f.event_id == _e.id))
    .where(_MOVES, _f.event_id.is_(None), _e.person_id.not_in(MERGED_AWAY))
    .order_by(_e.id)
)
# a flow row with no such event, or not the event's kind, time or change
_STRAY = (
    select(_f.event_id)
    .select_from(event_flows.outerjoin(person_events, _e.id == _f.event_id))
    .where(
        or_(
            _e.id.is_(None),
            not_(_MOVES),
            _e.kind != _f.kind,
            _e.occurred_at != _f.occurred_at,
            not_(
                and_(
                    func.coalesce(_e.data["from"].as_string(), "") == func.coalesce(_f.from_value, ""),
                    func.coalesce(_e.data["status"].as_string(), _e.data["to"].as_string(), "")
                    == func.coalesce(_f.to_value, ""),
                )
            ),
        )
    )
    .order_by(_f.event_id)
)


class CensusRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def counts(self, root: str | None, prefix_length: int = 12) -> list[tuple[str, str, str | None, str, int]]:
        """(the first `prefix_length` digits of the unit, status, severity, placement, count) for the subtree
        of `root` (everyone when None), counting the changes not yet folded too; groups that net to 0 left out."""
        parts = []
        for table in (unit_census, unit_census_changes):
            c = table.c
            query = select(
                func.substr(c.unit_code, 1, prefix_length).label("unit"), c.status, c.severity, c.placement, c.n
            )
            if root is not None:
                query = query.where(c.unit_code.between(*subtree_bounds(root)))
            parts.append(query)
        both = union_all(*parts).subquery()
        b = both.c
        rows = self.conn.execute(
            select(b.unit, b.status, b.severity, b.placement, func.sum(b.n))
            .group_by(b.unit, b.status, b.severity, b.placement)
            .having(func.sum(b.n) != 0)
        ).all()
        return [(u, status, severity or None, placement, int(n)) for u, status, severity, placement, n in rows]

    def fold(self) -> int:
        """Move the changes into the base counts, in one transaction: exactly the rows deleted are added, so a
        change a concurrent writer is still committing stays for the next fold. Returns how many were folded."""
        c = unit_census_changes.c
        taken = self.conn.execute(
            delete(unit_census_changes).returning(c.unit_code, c.status, c.severity, c.placement, c.n)
        ).all()
        if not taken:
            return 0
        sums: Counter[tuple[str, str, str, str]] = Counter()
        for unit, status, severity, placement, n in taken:
            sums[(unit, status, severity, placement)] += n
        rows = [
            {"unit_code": u, "status": s, "severity": v, "placement": p, "n": n}
            for (u, s, v, p), n in sums.items()
            if n
        ]
        if rows:
            dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
            insert = dialect.insert(unit_census)
            upsert = insert.on_conflict_do_update(
                index_elements=["unit_code", "status", "severity", "placement"],
                set_={"n": unit_census.c.n + insert.excluded.n},
            )
            self.conn.execute(upsert, rows)
            self.conn.execute(delete(unit_census).where(unit_census.c.n == 0))
        return len(taken)

    def differences(self) -> dict[Key, tuple[int, int]]:
        """Where the census and the people disagree: key → (census, people). Empty when they agree."""
        kept = {(u, s, v, p): n for u, s, v, p, n in self.counts(None)}
        c = persons.c
        actual: dict[Key, int] = {
            (u, s, v or None, p): int(n)
            for u, s, v, p, n in self.conn.execute(
                select(c.unit_code, c.status, c.severity, c.placement, func.count())
                .where(c.id.not_in(MERGED_AWAY))
                .group_by(c.unit_code, c.status, c.severity, c.placement)
            )
        }
        return {
            k: (kept.get(k, 0), actual.get(k, 0))
            for k in kept.keys() | actual.keys()
            if kept.get(k, 0) != actual.get(k, 0)
        }

    def flow_differences(self) -> dict[str, list[int]]:
        """Where the flows and the events disagree: "unflowed" events that move the backlog with no flow row,
        "stray" flow rows with no such event or another kind, time or change (at most NAMED of each, by id).
        Empty lists when they agree."""
        return {
            "unflowed": list(self.conn.execute(_UNFLOWED.limit(NAMED)).scalars()),
            "stray": list(self.conn.execute(_STRAY.limit(NAMED)).scalars()),
        }

    def batch_switch_left_on(self) -> bool:
        """SQLite: whether the once-per-batch switch (migration 0015) was committed on, which would leave the
        census and flow triggers off for every writer. It is only ever on inside a batch's own transaction."""
        if self.conn.dialect.name != "sqlite":
            return False
        return bool(self.conn.execute(text("SELECT count(*) FROM bulk_projections WHERE deferred = 1")).scalar_one())
