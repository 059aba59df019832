"""The whole tree's exposure graph kept between rounds (services.tracing_kept): after exposures recorded in rounds,
and after changes the ids alone do not show (a row removed, one rewritten by hand), its clusters are those of a
computation from nothing; a round with nothing new reads no exposure again."""

from __future__ import annotations

import random

from sqlalchemy import event, select, text

from admitall.domain.tracing import components
from admitall.services import tracing_kept
from admitall.store.tables_observation import exposures
from tests.factories import load_small_city
from tests.integration.test_tracing_tile import _exposures, _people


def _from_nothing(ctx, top=5):
    with ctx.engine.connect() as conn:
        edges = conn.execute(select(exposures.c.case_id, exposures.c.contact_id)).all()
    return components(edges, top)


def _kept(ctx, top=5):
    with ctx.engine.connect() as conn:
        return tracing_kept.whole_graph(conn, top)


def test_the_kept_graph_grows_with_each_round_and_equals_one_read_whole(ctx, clock):
    load_small_city(ctx)
    rng = random.Random(5)
    ids = list(_people(ctx, 60, 300))
    assert _kept(ctx) == _from_nothing(ctx) == (0, 0, [])
    for n in (10, 0, 25, 7):
        _exposures(ctx, rng, ids, n, clock.now().date()) if n else None
        assert _kept(ctx) == _from_nothing(ctx)
    read: list[str] = []
    event.listen(ctx.engine, "before_cursor_execute", lambda *a: read.append(a[2]))
    _kept(ctx)
    edges_read = [s for s in read if s.startswith("SELECT exposures.id, exposures.case_id")]
    assert edges_read and all("WHERE exposures.id >" in s for s in edges_read)  # only what is newer


def test_a_row_removed_or_rewritten_by_hand_makes_the_next_round_read_whole(ctx, clock):
    load_small_city(ctx)
    rng = random.Random(9)
    ids = list(_people(ctx, 40, 500))
    _exposures(ctx, rng, ids, 30, clock.now().date())
    assert _kept(ctx) == _from_nothing(ctx)
    with ctx.engine.begin() as conn:
        first, last = conn.execute(text("SELECT min(id), max(id) FROM exposures")).one()
        conn.execute(text("DELETE FROM exposures WHERE id = :id"), {"id": first})
    assert _kept(ctx) == _from_nothing(ctx)
    assert _kept(ctx) == _from_nothing(ctx)  # and the round after
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE exposures SET case_id = :c WHERE id = :id"), {"c": ids[0], "id": last})
    assert _kept(ctx) == _from_nothing(ctx)
