"""The chain watch as its own process (`admitall watch --forever`): a round at the start of every minute until told
to stop (SIGTERM or SIGINT end it after the round in progress), one runner at a time.

On PostgreSQL one runner is guaranteed by a session advisory lock held on a connection of its own for the life of
the process: a second process waits for it (blocked in the server, looking up every `settings.watch_retry_seconds`
to see whether it was told to stop); when the first ends, even killed with -9, its connection closes, the server
frees the lock, and the waiting one has it at once. Every other round on PostgreSQL (`admitall watch` once, the
watcher inside a web server when ADMITALL_RUN_JOBS asks for it) takes the same lock for its round (`run_once`), so
the holder of the lock knows every other runner is gone: the lease a killed runner left is lapsed and its round
left 'running' is recorded as 'abandoned' (its transaction was rolled back by the server: nothing half-done stays)
and done again at once. On SQLite (one machine) the watch's lease in the database does it, renewed while a round
runs (services.watch).

Rounds are aligned to the minute of the injected clock (to `settings.watch_every_seconds`, a minute unless a test
asks for less): a round begins when no round has begun in the current slot (any runner's, on the record in
watch_rounds; an abandoned one does not count), then the runner sleeps until the next slot begins; a round that
took longer than a slot is followed by the next at once, never overlapping it (one thread runs them).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine, create_engine, exists, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from admitall.services.context import Context
from admitall.services.watch import RUNNER, watch
from admitall.store.tables_ops import watch_rounds

# the advisory lock's key (any 64-bit number no other program on the database uses): "ADMITALL" read as bytes
LOCK_KEY = int.from_bytes(b"ADMITALL", "big") & 0x7FFF_FFFF_FFFF_FFFF
# PostgreSQL's lock_not_available: a wait for the lock ran out (lock_timeout)
LOCK_NOT_AVAILABLE = "55P03"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ABANDONED = "abandoned"
log = logging.getLogger("admitall.watch")

Report = Callable[[dict[str, Any]], None]


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemd's stop) and SIGINT (Ctrl-C) set `stop`: the round in progress ends, then the loop."""

    def handler(signum: int, _frame: object) -> None:
        log.info("signal %s: stopping after the current round", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def slot_of(moment: datetime, every: float = 60) -> datetime:
    """The start of the slot `moment` falls in: the minute, or a multiple of `every` seconds since the epoch."""
    seconds = (moment - EPOCH).total_seconds()
    return EPOCH + timedelta(seconds=seconds - seconds % every)


def run_forever(ctx: Context, stop: threading.Event, report: Report | None = None, holder: str = RUNNER) -> int:
    """Run rounds until `stop` is set, one runner at a time; returns how many rounds this process ran."""
    postgres = ctx.engine.dialect.name == "postgresql"
    ran = 0
    while not stop.is_set():
        if not postgres:
            return ran + _rounds(ctx, stop, lambda: True, report, holder, take_over=False)
        lock = _wait_for_lock(ctx, stop, holder)
        if lock is None:
            break
        try:
            _abandon_rounds_left_running(ctx)
            ran += _rounds(ctx, stop, partial(_alive, lock), report, holder, take_over=True)
        finally:
            lock.close()  # the session ends, and with it the lock
    return ran


def run_once(ctx: Context, holder: str = RUNNER) -> dict[str, Any]:
    """One round now (`admitall watch`, the watcher inside a web server): on PostgreSQL under the advisory lock, not
    at all if another runner holds it; on SQLite under the lease (services.watch)."""
    if ctx.engine.dialect.name != "postgresql":
        return watch(ctx, holder)
    with _held_for_a_round(ctx) as held:
        if not held:
            return {"ran": False, "reason": "another runner holds the watch"}
        _abandon_rounds_left_running(ctx)
        return watch(ctx, holder, take_over=True)


# the server probes the lock's connection when idle this long, then every 10 s, 3 times: a machine lost without
# closing it (power, network) frees the lock within about a minute, not the system's two hours (over TCP only)
KEEPALIVES = "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"


def _lock_engine(ctx: Context) -> Engine:
    """Connections of their own (not pooled: closing one ends its session, and the lock with it)."""
    return create_engine(
        ctx.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args={"options": KEEPALIVES}
    )


@contextmanager
def _held_for_a_round(ctx: Context) -> Iterator[bool]:
    """The advisory lock for one round if it is free (yields whether it was), released at the end of the block."""
    engine = _lock_engine(ctx)
    try:
        with engine.connect() as conn:
            held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar())
            yield held  # the connection closes after the round: the lock goes with the session
    finally:
        engine.dispose()


def _wait_for_lock(ctx: Context, stop: threading.Event, holder: str) -> Connection | None:
    """A connection of its own holding the advisory lock; None if stopped while waiting for it. The wait is in the
    server (pg_advisory_lock), so a runner taking over has the lock the moment the holder's session ends; it gives
    up every `watch_retry_seconds` (lock_timeout) to look whether it was told to stop, then waits again."""
    engine = _lock_engine(ctx)
    retry = ctx.settings.watch_retry_seconds
    said = False
    while not stop.is_set():
        conn: Connection | None = None
        try:
            conn = engine.connect()
            if conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar():
                gone = ": the previous runner is gone" if said else ""
                log.info("runner %s holds the watch (advisory lock %s)%s", holder, LOCK_KEY, gone)
                return conn
            if not said:
                log.info("runner %s waits: another runner holds the watch", holder)
                said = True
            conn.execute(text("SELECT set_config('lock_timeout', :ms, false)"), {"ms": f"{int(retry * 1000)}ms"})
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
            conn.execute(text("SET lock_timeout = 0"))
            log.info("runner %s holds the watch (advisory lock %s): the previous runner is gone", holder, LOCK_KEY)
            return conn
        except DBAPIError as e:
            if getattr(e.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:  # the database away: try again later
                log.exception("could not ask for the watch's lock")
                stop.wait(retry)
        if conn is not None:
            conn.close()
    return None


def _alive(lock: Connection) -> bool:
    """Whether the lock's session is still there (a restarted server or a dropped connection loses the lock)."""
    try:
        lock.execute(text("SELECT 1"))
        return True
    except Exception:
        log.exception("the watch's lock connection is gone; waiting for the lock again")
        return False


def _abandon_rounds_left_running(ctx: Context) -> int:
    """Rounds on the record as running when this runner has the lock are a killed runner's (its transaction was
    rolled back by the server): recorded as 'abandoned', so none stays 'running' for ever."""
    with ctx.uow(write=True) as uow:
        left = uow.conn.execute(
            update(watch_rounds)
            .where(watch_rounds.c.outcome == "running")
            .values(outcome=ABANDONED, error="its runner ended during the round (what it had not committed was undone)")
        ).rowcount
        uow.commit()
    if left:
        log.warning("%s round(s) left running by a runner that ended: recorded as abandoned", left)
    return left or 0


def _rounds(
    ctx: Context,
    stop: threading.Event,
    holding: Callable[[], bool],
    report: Report | None,
    holder: str,
    take_over: bool,
) -> int:
    """Rounds at the start of each slot while `holding()` and not stopped; returns how many ran."""
    every = ctx.settings.watch_every_seconds
    ran = 0
    while not stop.is_set() and holding():
        slot = slot_of(ctx.clock.now(), every)
        if not _begun_since(ctx, slot):
            try:
                result = watch(ctx, holder, take_over=take_over)
            except Exception:  # recorded as failed by the round itself; the next slot tries again
                log.exception("chain watch round failed")
                result = {"ran": False, "reason": "the round failed (see the log)"}
            ran += bool(result.get("ran"))
            if report is not None:
                report(result)
        wait = (slot + timedelta(seconds=every) - ctx.clock.now()).total_seconds()
        if wait > 0:
            stop.wait(wait)
    return ran


def _begun_since(ctx: Context, moment: datetime) -> bool:
    """Whether a round (any runner's) began at `moment` or later: a runner taking over does not do it again. A round
    abandoned by a runner that ended in its middle does not count: what it did was rolled back, so the runner taking
    over does it at once rather than at the next slot."""
    with ctx.engine.connect() as conn:
        began = exists().where(watch_rounds.c.started_at >= moment, watch_rounds.c.outcome != ABANDONED)
        return bool(conn.execute(select(began)).scalar())
