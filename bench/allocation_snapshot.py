"""The allocation snapshot on a real SQLite database (part of bench/allocation.py): what reading the waiting list
costs per plan, the way it was read before (every person built whole, `persons.needing_beds`) beside the way it
is read now (brief rows; then only the people changed since the last plan).

A generated city (Wuhan's streets, a dozen communities each), one isolation point with ten rooms, `people`
people registered (suspected, febrile, contacts and mild confirmed) who all wait. Timed, median of `repeat`,
with statements counted (SQLAlchemy's `before_cursor_execute`):
- before: `persons.needing_beds` and `policy.classify` for everyone (what `build_snapshot` did);
- now, read whole: `build_snapshot` with nothing kept (the first plan of a process, and every plan on PostgreSQL);
- now, brought up to date: `build_snapshot` after `changed` people were registered since the last plan;
- the whole plan as the dispatch page asks for it (`plan_admissions`: snapshot, engine, view), brought up to date.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from admitall.allocation.model import Candidate
from admitall.clock import ManualClock
from admitall.domain.access import Role
from admitall.domain.units import ancestors_of
from admitall.services import allocation_snapshot
from admitall.services.admission import plan_admissions
from admitall.services.allocation_snapshot import build_snapshot
from admitall.services.context import Actor, Context, cli_actor
from admitall.services.demo import read_divisions
from admitall.services.facilities import import_facilities
from admitall.services.registration import register_batch
from admitall.services.units import import_units
from admitall.settings import Settings
from admitall.store.db import init_database, make_engine
from admitall.store.tables import units

NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
ACTOR = cli_actor("bench")
DISPATCH = Actor(username="bench-dispatch", role=Role.DISPATCHER, unit_code=None)
CATEGORIES = (("suspected", None), ("fever", None), ("contact", None), ("confirmed", "mild"))


def _rows(communities: list[str], start: int, n: int, rng: random.Random) -> list[tuple[int, dict[str, str | None]]]:
    rows = []
    for i in range(start, start + n):
        category, severity = rng.choice(CATEGORIES)
        row: dict[str, str | None] = {
            "name": f"患者{i}",
            "phone": f"139{i:08d}",
            "category": category,
            "unit_code": rng.choice(communities),
            "identified_at": "2020-02-10 01:00",
        }
        if severity:
            row["severity"] = severity
        rows.append((i + 2, row))
    return rows


def _build(url: str, people: int) -> tuple[Context, list[str]]:
    ctx = Context(make_engine(url), ManualClock(NOW), Settings(database_url=url, secret_key="bench-" + "x" * 32))
    init_database(ctx.engine)
    rows: list[dict[str, str | None]] = [{"code": d["code"], "name": d["name"]} for d in read_divisions()]
    communities = []
    for d in read_divisions():
        if d["level"] == "street":
            for i in range(1, 13):
                communities.append(d["code"][:9] + f"{i:03d}")
                rows.append({"code": communities[-1], "name": f"社区{i}"})
    import_units(ctx, ACTOR, list(enumerate(rows, start=2)))
    point = {"code": "I1", "name": "隔离点", "type": "isolation_point", "unit_code": communities[0][:9] + "000"}
    import_facilities(ctx, ACTOR, [(2, {**point, "single_room": "10"})])
    register_batch(ctx, ACTOR, _rows(communities, 0, people, random.Random(5)), source="bench")
    return ctx, communities


def _timed(ctx: Context, work: Callable[[], Any], repeat: int, before: Callable[[], None] | None = None) -> dict:
    times, statements = [], []
    n = [0]

    def count(*_: Any) -> None:
        n[0] += 1

    for _ in range(repeat):
        if before is not None:
            before()
        n[0] = 0
        event.listen(ctx.engine, "before_cursor_execute", count)
        start = time.perf_counter()
        try:
            work()
        finally:
            times.append(time.perf_counter() - start)
            event.remove(ctx.engine, "before_cursor_execute", count)
        statements.append(n[0])
    return {"median": statistics.median(times), "times": times, "statements": max(statements)}


def _before(ctx: Context) -> int:
    """The old way (build_snapshot before issue 13): everyone who needs a bed built whole, then classified, and
    each plan finding every unit's origin up the tree anew."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        people = {p.id: p for p in uow.persons.needing_beds(None) if p.id is not None}
        facilities = {f.code: f for f in uow.facilities.in_subtree(None) if f.is_open(now)}
        pools = [p for p in uow.facilities.pools(list(facilities)) if p.free > 0]
        rows = uow.conn.execute(units.select().with_only_columns(units.c.code, units.c.lat, units.c.lon))
        places = {r.code: (r.lat, r.lon) for r in rows if r.lat is not None and r.lon is not None}
        origins: dict[str, tuple[str, float | None, float | None]] = {}
        candidates = []
        for pid, person in people.items():
            cls = ctx.policy.classify(person)
            if cls is None or person.waiting_since is None:
                continue
            if person.unit_code not in origins:
                origins[person.unit_code] = next(
                    (
                        (u, *places[u])
                        for u in [person.unit_code, *reversed(ancestors_of(person.unit_code))]
                        if u in places
                    ),
                    (person.unit_code, None, None),
                )
            origin, lat, lon = origins[person.unit_code]
            candidates.append(Candidate(pid, cls, person.waiting_since, origin, lat, lon))
    return len(candidates) + len(pools)


def _now(ctx: Context) -> int:
    with ctx.uow(write=True) as uow:
        snapshot, _ = build_snapshot(ctx, uow, None)
    return len(snapshot.candidates) + len(snapshot.pools)


def measure(people: int, changed: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        start = time.perf_counter()
        ctx, communities = _build(url, people)
        setup = time.perf_counter() - start
        rng = random.Random(9)
        serial = [people]

        def forget() -> None:
            allocation_snapshot._KEPT.clear()

        def change() -> None:
            _now(ctx)  # the last plan
            register_batch(ctx, ACTOR, _rows(communities, serial[0], changed, rng), source="bench")
            serial[0] += changed
            ctx.clock.advance(timedelta(minutes=1))

        figures = {
            "people": people,
            "changed": changed,
            "setup": setup,
            "before": _timed(ctx, lambda: _before(ctx), repeat),
            "whole": _timed(ctx, lambda: _now(ctx), repeat, before=forget),
            "incremental": _timed(ctx, lambda: _now(ctx), repeat, before=change),
            "plan": _timed(ctx, lambda: plan_admissions(ctx, DISPATCH), repeat, before=change),
        }
        ctx.engine.dispose()
    return figures
