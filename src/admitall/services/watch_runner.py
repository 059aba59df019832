"""The chain watch as its own process (`admitall watch --forever`): a round at the start of every minute until told
to stop (SIGTERM or SIGINT end it after the round in progress), one runner at a time.

On PostgreSQL one runner is guaranteed by a session advisory lock held on a connection of its own for the life of
the process: a second process waits, trying again every `settings.watch_retry_seconds`; when the first ends, even
killed with -9, its connection closes, the server frees the lock, and the second takes over. On SQLite (one machine)
the watch's lease in the database does it, renewed while a round runs (services.watch).

Rounds are aligned to the minute of the injected clock: a round begins when no round has begun in the current
minute (any runner's, on the record in watch_rounds), then the runner sleeps until the next minute begins; a round
that took longer than a minute is followed by the next at once, never overlapping it (one thread runs them).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import create_engine, exists, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from admitall.services.context import Context
from admitall.services.watch import RUNNER, watch
from admitall.store.tables_ops import watch_rounds

# the advisory lock's key (any 64-bit number no other program on the database uses): "ADMITALL" read as bytes
LOCK_KEY = int.from_bytes(b"ADMITALL", "big") & 0x7FFF_FFFF_FFFF_FFFF
log = logging.getLogger("admitall.watch")

Report = Callable[[dict[str, Any]], None]


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemd's stop) and SIGINT (Ctrl-C) set `stop`: the round in progress ends, then the loop."""

    def handler(signum: int, _frame: object) -> None:
        log.info("signal %s: stopping after the current round", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def run_forever(ctx: Context, stop: threading.Event, report: Report | None = None, holder: str = RUNNER) -> int:
    """Run rounds until `stop` is set, one runner at a time; returns how many rounds this process ran."""
    postgres = ctx.engine.dialect.name == "postgresql"
    ran = 0
    while not stop.is_set():
        if not postgres:
            return ran + _rounds(ctx, stop, lambda: True, report, holder)
        lock = _wait_for_lock(ctx, stop, holder)
        if lock is None:
            break
        try:
            ran += _rounds(ctx, stop, partial(_alive, lock), report, holder)
        finally:
            lock.close()  # the session ends, and with it the lock
    return ran


def _wait_for_lock(ctx: Context, stop: threading.Event, holder: str) -> Connection | None:
    """A connection of its own (not pooled: closing it ends the session) holding the advisory lock; None if
    stopped while waiting for it."""
    engine = create_engine(ctx.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    retry = ctx.settings.watch_retry_seconds
    while not stop.is_set():
        conn: Connection | None = None
        try:
            conn = engine.connect()
            if conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar():
                log.info("runner %s holds the watch (advisory lock %s)", holder, LOCK_KEY)
                return conn
            log.info("runner %s waits: another runner holds the watch; trying again in %s s", holder, retry)
        except Exception:  # the database away: try again later
            log.exception("could not ask for the watch's lock")
        if conn is not None:
            conn.close()
        stop.wait(retry)
    return None


def _alive(lock: Connection) -> bool:
    """Whether the lock's session is still there (a restarted server or a dropped connection loses the lock)."""
    try:
        lock.execute(text("SELECT 1"))
        return True
    except Exception:
        log.exception("the watch's lock connection is gone; waiting for the lock again")
        return False


def _rounds(
    ctx: Context, stop: threading.Event, holding: Callable[[], bool], report: Report | None, holder: str
) -> int:
    """Rounds at the start of each minute while `holding()` and not stopped; returns how many ran."""
    ran = 0
    while not stop.is_set() and holding():
        minute = minute_of(ctx.clock.now())
        if not _begun_since(ctx, minute):
            try:
                result = watch(ctx, holder)
            except Exception:  # recorded as failed by the round itself; the next minute tries again
                log.exception("chain watch round failed")
                result = {"ran": False, "reason": "the round failed (see the log)"}
            ran += bool(result.get("ran"))
            if report is not None:
                report(result)
        wait = (minute + timedelta(minutes=1) - ctx.clock.now()).total_seconds()
        if wait > 0:
            stop.wait(wait)
    return ran


def _begun_since(ctx: Context, minute: datetime) -> bool:
    """Whether a round (any runner's) began in this minute or later: a runner taking over does not do it again."""
    with ctx.engine.connect() as conn:
        return bool(conn.execute(select(exists().where(watch_rounds.c.started_at >= minute))).scalar())
