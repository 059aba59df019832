"""Each round of the chain watch on the record (store.tables_ops.watch_rounds): when it started and ended, and how
(ok or failed), so that readiness (/readyz) can say how old the last finished round is whichever process ran it, and
the metrics time it. Also the round's housekeeping: web sessions past their expiry are deleted."""

from __future__ import annotations

import logging
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, desc, insert, select, update
from sqlalchemy.engine import Connection

from admitall.services.context import Context
from admitall.store.tables import web_sessions
from admitall.store.tables_ops import watch_rounds

# rounds are kept this long (a row a minute: about 10,000 rows)
KEEP = timedelta(days=7)
log = logging.getLogger("admitall.watch")


def begin_round(ctx: Context, runner: str, now: datetime) -> tuple[int, float]:
    """Record a round as running; returns its id and the monotonic time it began (for its duration)."""
    with ctx.uow(write=True) as uow:
        uow.conn.execute(delete(watch_rounds).where(watch_rounds.c.started_at < now - KEEP))
        found = uow.conn.execute(
            insert(watch_rounds)
            .values(runner=runner[:80], started_at=now, outcome="running")
            .returning(watch_rounds.c.id)
        )
        round_id = int(found.scalar_one())
        uow.commit()
    return round_id, time.monotonic()


def end_round(ctx: Context, began: tuple[int, float]) -> None:
    """Record how the round ended: 'failed' with the error when called while an exception is propagating (from a
    `finally`), else 'ok'. Its duration goes to the metrics."""
    from admitall.services.ops_metrics import WATCH_ROUND_SECONDS

    round_id, started = began
    error = sys.exc_info()[1]
    outcome = "ok" if error is None else "failed"
    WATCH_ROUND_SECONDS.labels(outcome=outcome).observe(time.monotonic() - started)
    try:
        with ctx.uow(write=True) as uow:
            uow.conn.execute(
                update(watch_rounds)
                .where(watch_rounds.c.id == round_id)
                .values(
                    finished_at=ctx.clock.now(), outcome=outcome, error=None if error is None else repr(error)[:2000]
                )
            )
            uow.commit()
    except Exception:  # the round's own failure is what matters; this one is logged
        log.exception("could not record the end of watch round %s", round_id)


def last_round(conn: Connection) -> dict[str, Any] | None:
    """The latest round that finished well (its start, end and runner), or None."""
    row = (
        conn.execute(
            select(watch_rounds)
            .where(watch_rounds.c.outcome == "ok")
            .order_by(desc(watch_rounds.c.started_at), desc(watch_rounds.c.id))
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def purge_sessions(conn: Connection, now: datetime) -> int:
    """Delete the web sessions past their expiry (they are refused already); returns how many."""
    return conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now)).rowcount or 0
