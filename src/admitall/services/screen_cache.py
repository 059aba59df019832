"""The command screens' shared cache (issue 15 §5): at a province's size, every open screen recomputing everything
every 30 seconds is the load; one computation is shared instead by every web process through the database.

A screen is kept per view, unit and audience — the unit asked for, the viewer's role and the viewer's own unit, so
one user's screen (what they may acknowledge, which jurisdiction) is never served to another — with the time it
was computed and an ETag, a digest of its figures without the time: a screen recomputed with the same figures
keeps its ETag, and a client asking `If-None-Match` with it gets 304.

Staleness: a kept screen is served while the data's stamp (data_stamp: the newest person event, report, alert and
audit entry, four index probes) is what it was when the screen was computed and the screen is younger than
FRESH_SECONDS (the screen's own refresh interval). So a registration, a step of a person, a report, a new alert
or any audited action (an acknowledgement, a directive, a bed count) shows on the next screen; what changes
without any of these (the watch updating an alert it raised, the figures that move with the clock alone) shows
within FRESH_SECONDS. Each screen says when it was computed ("as of"). The jurisdiction is checked before the
cache is read: a unit outside the viewer's subtree is 404 whether or not someone else's screen of it is kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, delete, func, insert, select, update

from admitall.domain.access import Permission
from admitall.services.command import REFRESH_SECONDS, command_screen
from admitall.services.context import Actor, Context
from admitall.services.units import scope_root
from admitall.store.tables import alerts, audit_log, person_events, reports
from admitall.store.tables_screens import screen_cache

FRESH_SECONDS = REFRESH_SECONDS
COMMAND = "command"


@dataclass(frozen=True)
class Cached:
    data: dict[str, Any]
    etag: str  # a strong validator of the figures (quoted, as in the header)
    computed_at: datetime
    hit: bool  # served from the cache (False: computed for this request)


def cache_key(view: str, unit_code: str, actor: Actor) -> str:
    """View, unit and audience: the viewer's role and own unit decide what the screen may show them."""
    return f"{view}:{unit_code}:{actor.role.value}:{actor.unit_code or '-'}"


def digest(data: dict[str, Any]) -> str:
    """The ETag of a screen's figures: the same figures, the same tag, whenever they were computed."""
    return '"' + hashlib.sha256(orjson.dumps(_timeless(data), option=orjson.OPT_SORT_KEYS)).hexdigest()[:32] + '"'


def _timeless(value: Any) -> Any:
    """The figures without the times they were computed at (`as_of`, wherever a part carries its own)."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k != "as_of"}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def cached_command_screen(ctx: Context, actor: Actor, code: str | None = None) -> Cached:
    """The command screen for `code` (the actor's own jurisdiction when None) from the shared cache, computed
    when missing or older than FRESH_SECONDS; refused outside the jurisdiction like command_screen."""
    actor.require(Permission.VIEW_COUNTS)
    root = actor.scoped(code) if code else scope_root(ctx, actor).code
    key = cache_key(COMMAND, root, actor)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        stamp = data_stamp(uow.conn)
        row = uow.conn.execute(
            select(screen_cache.c.payload, screen_cache.c.etag, screen_cache.c.computed_at, screen_cache.c.stamp).where(
                screen_cache.c.key == key
            )
        ).first()
    if (
        row is not None
        and row.stamp == stamp
        and timedelta(0) <= now - row.computed_at < timedelta(seconds=FRESH_SECONDS)
    ):
        return Cached(orjson.loads(row.payload), row.etag, row.computed_at, hit=True)
    data = command_screen(ctx, actor, root)
    payload = orjson.dumps(data)
    data = orjson.loads(payload)  # served as a kept copy would be (JSON's own types), hit or not
    etag = digest(data)
    _store(ctx, key, root, payload.decode(), etag, now, stamp)
    return Cached(data, etag, now, hit=False)


def data_stamp(conn: Connection) -> str:
    """The newest person event, report, alert and audit entry: each the end of its primary key's index."""
    newest = [select(func.max(t.c.id)).scalar_subquery() for t in (person_events, reports, alerts, audit_log)]
    return ".".join(str(v or 0) for v in conn.execute(select(*newest)).one())


def _store(ctx: Context, key: str, unit_code: str, payload: str, etag: str, now: datetime, stamp: str) -> None:
    """Keep the screen: replace the kept one, or add it (two processes computing at once both write the truth;
    the stamp is the one read before computing, so a change made meanwhile is seen by the next request)."""
    values = {"unit_code": unit_code, "payload": payload, "etag": etag, "computed_at": now, "stamp": stamp}
    with ctx.uow(write=True) as uow:
        changed = uow.conn.execute(update(screen_cache).where(screen_cache.c.key == key).values(**values)).rowcount
        if not changed:
            if ctx.engine.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                uow.conn.execute(
                    pg_insert(screen_cache)
                    .values(key=key, **values)
                    .on_conflict_do_update(index_elements=[screen_cache.c.key], set_=values)
                )
            else:
                uow.conn.execute(insert(screen_cache).prefix_with("OR REPLACE").values(key=key, **values))
        uow.commit()


def forget(ctx: Context, older_than: datetime) -> int:
    """Drop screens computed before `older_than` (nobody has looked at them since): the watch keeps the table small."""
    with ctx.uow(write=True) as uow:
        n = uow.conn.execute(delete(screen_cache).where(screen_cache.c.computed_at < older_than)).rowcount
        uow.commit()
    return int(n or 0)


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether a request's If-None-Match names this ETag (weak or strong, one of several, or *)."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


def variant(etag: str, *parts: object) -> str:
    """The ETag of one representation of a screen (a page in a language, for a session): weak, since the same
    figures are rendered around other things (the header's user, the form's token)."""
    extra = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:12]
    return f'W/"{etag.strip(chr(34))}-{extra}"'
