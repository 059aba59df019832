"""The command screens' shared cache (services.screen_cache): one row per screen as one audience sees it, computed by
whichever web process or watch round got there first and read by every other (issue 15 §5). Shares the schema's
metadata (store.tables)."""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from admitall.store.tables import UTCDateTime, metadata

# key: view, unit and audience (services.screen_cache.cache_key); payload: the screen's data as JSON; etag: a digest
# of the payload without its time (an unchanged screen keeps its ETag, so a browser asking If-None-Match gets 304)
screen_cache = Table(
    "screen_cache",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("unit_code", String(12), nullable=False, index=True),
    Column("payload", Text, nullable=False),
    Column("etag", String(64), nullable=False),
    # what the data looked like when it was computed (services.screen_cache.data_stamp)
    Column("stamp", String(100), nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
)
