"""The watch's own loop in one process (services.watch_runner), on SQLite and PostgreSQL: a round at the start of a
minute, none when a round (any runner's) already began in it, the next at once after a round longer than a minute,
a clean stop; and the lease renewed while a round runs, so a long round does not let a second runner in."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from admitall.services import watch
from admitall.services.watch_runner import run_forever
from admitall.store.tables_ops import watch_rounds
from tests.conftest import START


def started(ctx) -> list:
    with ctx.engine.connect() as conn:
        return conn.execute(select(watch_rounds.c.started_at).order_by(watch_rounds.c.id)).scalars().all()


def in_thread(ctx, stop: threading.Event, report=None) -> tuple[threading.Thread, list[int]]:
    ran: list[int] = []
    thread = threading.Thread(target=lambda: ran.append(run_forever(ctx, stop, report)), daemon=True)
    thread.start()
    return thread, ran


def test_a_round_at_once_when_none_began_this_minute_then_a_clean_stop(ctx, clock):
    clock.set(START + timedelta(seconds=30))
    stop = threading.Event()
    seen: list[dict[str, Any]] = []
    thread, ran = in_thread(ctx, stop, seen.append)
    deadline = time.monotonic() + 60
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()  # it was sleeping until the next minute: it ends now, not then
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert ran == [1] and seen[0]["ran"] is True
    assert started(ctx) == [START + timedelta(seconds=30)]


def test_no_round_in_a_minute_where_another_runner_began_one(ctx, clock):
    with ctx.engine.begin() as conn:
        conn.execute(insert(watch_rounds).values(runner="another-machine", started_at=START, outcome="ok"))
    clock.set(START + timedelta(seconds=40))
    stop = threading.Event()
    thread, ran = in_thread(ctx, stop)
    time.sleep(1)
    stop.set()
    thread.join(timeout=30)
    assert ran == [0]
    assert started(ctx) == [START]


def test_a_round_longer_than_a_minute_is_followed_by_the_next_at_once_never_overlapping(ctx, clock):
    stop = threading.Event()
    seen: list[dict[str, Any]] = []

    def report(result: dict[str, Any]) -> None:
        seen.append(result)
        if len(seen) == 1:
            clock.advance(timedelta(seconds=70))  # the first round "took" 70 s
        else:
            stop.set()

    thread, ran = in_thread(ctx, stop, report)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert ran == [2]
    assert started(ctx) == [START, START + timedelta(seconds=70)]


def test_a_long_round_keeps_its_lease_so_a_second_runner_stays_out(ctx, clock, monkeypatch):
    monkeypatch.setattr(watch, "RENEW_EVERY", 0.02)
    second: list[dict[str, Any]] = []
    real_refresh = watch.refresh

    def slow_refresh(context):  # the scorecards of a big day: the first round runs on for five minutes
        if second:
            return real_refresh(context)
        for _ in range(10):
            clock.advance(timedelta(seconds=30))
            time.sleep(0.2)  # the renewal beats meanwhile
        second.append(watch.watch(ctx, holder="second-runner"))
        return real_refresh(context)

    monkeypatch.setattr(watch, "refresh", slow_refresh)
    assert watch.watch(ctx, holder="first-runner")["ran"] is True
    assert second == [{"ran": False, "reason": "another runner holds the lease"}]
    assert len(started(ctx)) == 1
    monkeypatch.setattr(watch, "refresh", real_refresh)
    assert watch.watch(ctx, holder="second-runner")["ran"] is True  # released at the end of the round
