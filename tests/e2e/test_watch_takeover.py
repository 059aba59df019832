"""Two real `admitall watch --forever` processes on one PostgreSQL database: one works (its rounds on the record), the
other waits (no round of its own while the first lives); the working one is killed with -9 in the middle of a round
(held there by a lock the test takes on a table the round writes last) — the other takes over at once, the killed
round is recorded as abandoned and nothing of it was kept (the new holder does that slot's round again, in the same
slot), and nothing is done twice (one alert per unit and running miss, never one miss raised twice, one good round
per slot).

The processes start a round every ADMITALL_WATCH_EVERY_SECONDS=15 seconds (a minute in production) so that the test
takes seconds, not minutes; every wait polls the database with a generous deadline (a loaded 2-core machine)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from admitall.clock import ManualClock
from admitall.services.context import Context
from admitall.store.tables import alerts
from admitall.store.tables_ops import watch_rounds
from tests.conftest import make_ctx
from tests.factories import load_small_city
from tests.postgres import PostgresServer

pytestmark = pytest.mark.postgres

ADMITALL = str(Path(sys.executable).parent / "admitall")
EVERY = 15
SECRET = "test-secret-" + "x" * 32  # tests.conftest.make_ctx's: the chains the seed wrote stay verifiable
LONG = 120.0  # seconds: a deadline for anything on a loaded machine


def until(condition: Callable[[], Any], what: str, timeout: float = LONG) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.1)


class Runner:
    """One `admitall watch --forever --json` process, its output in a file."""

    def __init__(self, url: str, tmp: Path, name: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADMITALL_")}
        env.update(
            ADMITALL_DATABASE_URL=url,
            ADMITALL_SECRET_KEY=SECRET,
            ADMITALL_WATCH_EVERY_SECONDS=str(EVERY),
            ADMITALL_WATCH_RETRY_SECONDS="1",
            ADMITALL_LOG_FORMAT="json",
        )
        self.log = tmp / f"{name}.log"
        self.out = self.log.open("w")
        self.process = subprocess.Popen(
            [ADMITALL, "watch", "--forever", "--json"], env=env, stdout=self.out, stderr=subprocess.STDOUT
        )

    def text(self) -> str:
        return self.log.read_text()

    def holder(self) -> str | None:
        """The runner's name, from its log ("runner X holds/waits")."""
        for line in self.text().splitlines():
            if "runner " in line and (" holds the watch" in line or " waits" in line):
                return line.split("runner ", 1)[1].split(" ", 1)[0]
        return None

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self.out.close()


@pytest.fixture
def world(postgres: PostgresServer, tmp_path: Path) -> Iterator[tuple[str, Context]]:
    url = postgres.fresh_database()
    ctx = make_ctx(url, ManualClock(datetime.now(UTC) - timedelta(hours=6)))
    load_small_city(ctx)  # set up six hours ago, no report since: every unit misses its reports, a running miss each
    yield url, ctx
    ctx.engine.dispose()
    postgres.drop(url)


def rounds(ctx: Context) -> list[dict[str, Any]]:
    with ctx.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(watch_rounds).order_by(watch_rounds.c.id)).mappings()]


def test_one_watch_works_the_other_waits_and_takes_over_when_it_is_killed(world, tmp_path: Path):
    url, ctx = world
    runners: list[Runner] = []
    try:
        first = Runner(url, tmp_path, "first")
        runners.append(first)
        until(lambda: any(r["outcome"] == "ok" for r in rounds(ctx)), "the first runner's first round")
        holder_a = until(first.holder, "the first runner to name itself")
        with ctx.engine.connect() as conn:
            missing = conn.execute(
                select(func.count()).select_from(alerts).where(alerts.c.kind == "missing_report")
            ).scalar_one()
        assert missing > 0, "the seed should leave running misses for the watch to raise"

        second = Runner(url, tmp_path, "second")
        runners.append(second)
        until(lambda: " waits" in second.text(), "the second runner to wait")
        holder_b = second.holder()
        assert holder_b is not None and holder_b != holder_a
        done = len(rounds(ctx))
        until(lambda: len([r for r in rounds(ctx) if r["outcome"] == "ok"]) >= done + 1, "one more round")
        assert {r["runner"] for r in rounds(ctx)} == {holder_a}, "the waiting runner ran a round"

        # hold the next round of the first runner in its middle: its last write (the expired sessions) waits on a
        # lock the test holds, its alerts and census work done but not committed; then kill it there
        blocker = ctx.engine.connect()  # its transaction begins with the statement
        blocker.execute(text("LOCK TABLE web_sessions IN SHARE MODE"))

        def waiting_round() -> bool:
            with ctx.engine.connect() as conn:
                return bool(
                    conn.execute(
                        text(
                            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                            "WHERE c.relname = 'web_sessions' AND NOT l.granted "
                            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                        )
                    ).scalar_one()
                )

        until(waiting_round, "the first runner's round to wait on the lock")
        (running,) = [r for r in rounds(ctx) if r["outcome"] == "running"]
        assert running["runner"] == holder_a
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=30)
        killed_at = datetime.now(UTC)
        blocker.rollback()
        blocker.close()

        taken = until(
            lambda: [r for r in rounds(ctx) if r["runner"] == holder_b and r["outcome"] == "ok"],
            "the second runner's first round",
        )
        takeover = (taken[0]["started_at"] - killed_at).total_seconds()
        print(f"\ntakeover: the second runner's first round began {takeover:.1f} s after the kill (slot {EVERY} s)")
        assert takeover < 30
        slot_of_kill = int(running["started_at"].timestamp()) // EVERY
        assert int(taken[0]["started_at"].timestamp()) // EVERY == slot_of_kill, "waited for the next slot"
        assert second.process.poll() is None
        assert "previous runner is gone" in second.text()

        kept = rounds(ctx)
        abandoned = next(r for r in kept if r["id"] == running["id"])
        assert abandoned["outcome"] == "abandoned" and abandoned["finished_at"] is None
        assert not [r for r in kept if r["outcome"] in ("running", "failed")]
        slots = [int(r["started_at"].timestamp()) // EVERY for r in kept if r["outcome"] == "ok"]
        assert len(slots) == len(set(slots)), "two rounds in one slot"
        assert all(r["runner"] == holder_a for r in kept if r["started_at"] < killed_at)
        with ctx.engine.connect() as conn:
            doubled = conn.execute(
                text(
                    "SELECT unit_code, count(*) FROM alerts WHERE kind = 'missing_report' AND resolved_at IS NULL "
                    "AND expired_at IS NULL GROUP BY unit_code HAVING count(*) > 1"
                )
            ).all()
            assert doubled == [], "more than one running miss for a unit"
            raised_twice = conn.execute(
                text(
                    "SELECT unit_code, period_start, count(*) FROM alerts WHERE kind = 'missing_report' "
                    "GROUP BY unit_code, period_start HAVING count(*) > 1"
                )
            ).all()
            assert raised_twice == [], "a miss raised twice"

        second.process.send_signal(signal.SIGTERM)  # systemd's stop: it ends after the round, cleanly
        assert second.process.wait(timeout=LONG) == 0
    finally:
        for runner in runners:
            runner.end()


def test_a_single_round_on_postgresql_takes_the_lock_or_does_not_run(world):
    """`admitall watch` once (and the watcher inside a web server) takes the same lock for its round: none while a
    `--forever` runner holds it; with it free, a lease and a round left by a killed runner do not keep it out."""
    from admitall.services import watch
    from admitall.services.watch_runner import LOCK_KEY, run_once

    _, ctx = world
    ctx.clock.set(datetime.now(UTC))
    with ctx.engine.connect() as holder:
        assert holder.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar() is True
        assert run_once(ctx, "once") == {"ran": False, "reason": "another runner holds the watch"}
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        holder.commit()
    with ctx.uow(write=True) as uow:  # what a runner killed in its round leaves behind
        uow.reports.take_lease(watch.JOB, "killed-runner", ctx.clock.now(), watch.LEASE)
        uow.conn.execute(
            watch_rounds.insert().values(runner="killed-runner", started_at=ctx.clock.now(), outcome="running")
        )
        uow.commit()
    assert watch.watch(ctx, "plain")["ran"] is False  # the lease alone keeps a round without the lock out
    assert run_once(ctx, "once")["ran"] is True
    assert [(r["runner"], r["outcome"]) for r in rounds(ctx)] == [("killed-runner", "abandoned"), ("once", "ok")]


def test_the_watcher_inside_a_web_server_takes_the_same_lock(world):
    """ADMITALL_RUN_JOBS=true on PostgreSQL: the server's own watcher runs no round while a runner holds the lock."""
    import threading

    from admitall.services.watch import run_every_minute
    from admitall.services.watch_runner import LOCK_KEY

    _, ctx = world
    ctx.clock.set(datetime.now(UTC))
    stop = threading.Event()
    stop.set()  # one round, then it returns
    with ctx.engine.connect() as holder:
        assert holder.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar() is True
        run_every_minute(ctx, stop)
        assert rounds(ctx) == []
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        holder.commit()
    run_every_minute(ctx, stop)
    assert [r["outcome"] for r in rounds(ctx)] == ["ok"]
