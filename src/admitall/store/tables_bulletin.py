"""The public daily bulletins, kept once a day has closed: the figures a bulletin published are the figures it
shows ever after (see services.bulletin). They share the schema's metadata (store.tables)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Table

from admitall.store.tables import UTCDateTime, metadata

bulletins = Table(
    "bulletins",
    metadata,
    Column("day", Date, primary_key=True),  # the local calendar day the bulletin is for
    Column("computed_at", UTCDateTime(), nullable=False),
    Column("figures", JSON, nullable=False),
)
