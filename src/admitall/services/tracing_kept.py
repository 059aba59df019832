"""The whole tree's exposure graph, kept between the watch's rounds: its clusters are grown by the exposures
recorded since the last round (domain.tracing.GrowingClusters), so a round reads and joins the new edges, not
every exposure ever recorded (121,590 on the twin's 26th day: 0.4 s a round read whole).

Exposures are only appended (a correction moves an exposure's date, never its two people). What a round cannot
see by the ids alone — an exposure with a smaller id committed after a larger one was read (PostgreSQL's
sequence), rows removed or rewritten by hand, another database behind the same address — changes the table's
count or the sums of its two columns, which each round reads (one pass over the table, no rows sent): then the
graph is read whole again. The clusters are those of a computation from nothing
(tests/integration/test_tracing_kept.py)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.engine import Connection

from admitall.domain.tracing import GrowingClusters
from admitall.store.tables_observation import exposures

_e = exposures.c
_TALLY = select(func.count(), func.coalesce(func.sum(_e.case_id), 0), func.coalesce(func.sum(_e.contact_id), 0))
_EDGES = select(_e.id, _e.case_id, _e.contact_id)


@dataclass
class _Kept:
    newest: int = 0  # the largest exposure id read
    tally: tuple[int, ...] = (0, 0, 0)  # count, sum of cases, sum of contacts of the edges read
    graph: GrowingClusters = field(default_factory=GrowingClusters)


_KEPT: dict[str, _Kept] = {}
_LOCK = threading.Lock()


def whole_graph(conn: Connection, top: int) -> tuple[int, int, list[set[int]]]:
    """The clusters of every exposure, as domain.tracing.components gives them for `top`."""
    db = conn.engine.url.render_as_string(hide_password=True)
    with _LOCK:
        kept = _KEPT.get(db) or _Kept()
        table = tuple(int(v) for v in conn.execute(_TALLY).one())
        new = conn.execute(_EDGES.where(_e.id > kept.newest)).all()
        if _plus(kept.tally, new) != table:  # not what the ids alone show: read whole
            kept = _Kept()
            new = conn.execute(_EDGES).all()
        kept.graph.add((r.case_id, r.contact_id) for r in new)
        kept.newest = max([kept.newest, *(r.id for r in new)])
        kept.tally = _plus(kept.tally, new)
        _KEPT[db] = kept
        return kept.graph.summary(top)


def _plus(tally: tuple[int, ...], rows: Sequence[Row[Any, Any, Any]]) -> tuple[int, ...]:
    """`tally` (count, sum of cases, sum of contacts) with `rows` added."""
    return (
        tally[0] + len(rows),
        tally[1] + sum(r.case_id for r in rows),
        tally[2] + sum(r.contact_id for r in rows),
    )
