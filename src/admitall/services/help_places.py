"""Finding one's community by name for a help request (public, no sign-in): the real tree's communities whose
name (or whose street's) holds the words typed, each as its code and "district / street / community", at most
LIMIT of them. Names of units are public (the bulletin names them); nothing else is shown.

Throttled per client address in this process (a search writes nothing, and a few hundred a minute from one
address cost the database little): SEARCHES_PER_MINUTE, then 429 for the rest of the minute."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from admitall.domain.errors import TooMany
from admitall.domain.identity import nfkc
from admitall.services.context import Context
from admitall.store.tables import units

LIMIT = 20
SEARCHES_PER_MINUTE = 60
_lock = threading.Lock()
_seen: OrderedDict[tuple[str, str], int] = OrderedDict()


def _throttle(client: str, now: datetime) -> None:
    minute = now.strftime("%Y%m%d%H%M")
    with _lock:
        key = (client, minute)
        _seen[key] = _seen.get(key, 0) + 1
        _seen.move_to_end(key)
        while len(_seen) > 10_000:
            _seen.popitem(last=False)
        if _seen[key] > SEARCHES_PER_MINUTE:
            raise TooMany(
                "help.search_too_many",
                "搜索过于频繁，请稍后再试",
                "Too many searches; try again in a minute",
                retry_after=60,
            )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_communities(ctx: Context, q: str, client: str) -> dict[str, Any]:
    """Communities whose name, or whose street's name, holds every word of `q` (at most LIMIT, by code)."""
    _throttle(client or "?", ctx.clock.now())
    words = [w for w in nfkc(q or "").split() if w][:3]
    if not words or sum(len(w) for w in words) < 1:
        return {"q": q, "communities": [], "limit": LIMIT}
    street, district = aliased(units), aliased(units)
    c = units.c
    query = (
        select(c.code, c.name, street.c.name, district.c.name)
        .join(street, street.c.code == c.parent_code)
        .outerjoin(district, district.c.code == street.c.parent_code)
        .where(
            c.level == "community",
            and_(*(or_(c.name.like(_like(w), escape="\\"), street.c.name.like(_like(w), escape="\\")) for w in words)),
        )
        .order_by(c.code)
        .limit(LIMIT + 1)
    )
    with ctx.uow() as uow:
        rows = uow.conn.execute(query).all()
    return {
        "q": q,
        "communities": [
            {"code": code, "name": name, "label": " / ".join(n for n in (d, s, name) if n)}
            for code, name, s, d in rows[:LIMIT]
        ],
        "more": len(rows) > LIMIT,
        "limit": LIMIT,
    }
