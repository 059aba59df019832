"""The watch's rounds on the record: a round that ran is one row (start, end, ok), a round skipped because another
runner holds the lease leaves none, rounds older than a week are dropped; and each round deletes the web sessions
past their expiry, never a live one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from admitall.services import watch
from admitall.services.watch_rounds import KEEP
from admitall.store.tables import web_sessions
from admitall.store.tables_ops import watch_rounds
from tests.conftest import START
from tests.factories import CITY, load_small_city, make_user


def rounds(ctx) -> list:
    with ctx.engine.connect() as conn:
        return conn.execute(select(watch_rounds).order_by(watch_rounds.c.id)).all()


def test_a_round_that_ran_is_recorded_a_skipped_one_is_not(ctx, clock):
    watch.watch(ctx)
    (first,) = rounds(ctx)
    assert first.outcome == "ok" and first.started_at == START and first.finished_at == START
    with ctx.uow(write=True) as uow:
        uow.reports.take_lease(watch.JOB, "another-machine", clock.now(), watch.LEASE)
        uow.commit()
    assert watch.watch(ctx)["ran"] is False
    assert len(rounds(ctx)) == 1


def test_rounds_older_than_a_week_are_dropped(ctx, clock):
    watch.watch(ctx)
    clock.advance(KEEP + timedelta(minutes=1))
    watch.watch(ctx)
    assert [r.started_at for r in rounds(ctx)] == [START + KEEP + timedelta(minutes=1)]


def test_each_round_deletes_expired_sessions_only(ctx, clock):
    load_small_city(ctx, leads=False)
    user = make_user(ctx, "admin2", "admin", CITY)
    with ctx.engine.begin() as conn:
        for token, expires in (("old", START - timedelta(minutes=1)), ("live", START + timedelta(hours=1))):
            conn.execute(
                insert(web_sessions).values(
                    token_hash=token, user_id=user["id"], csrf_token="c", created_at=START - timedelta(hours=12),
                    expires_at=expires,
                )
            )  # fmt: skip
    assert watch.watch(ctx)["expired_sessions_purged"] == 1
    with ctx.engine.connect() as conn:
        left = conn.execute(select(web_sessions.c.token_hash)).scalars().all()
        assert left == ["live"]
        assert conn.execute(select(func.count()).select_from(watch_rounds)).scalar_one() == 1
