"""The chains' heads, kept per day (services.chain_heads): for each family of chained records, how many were stamped
before a moment and the sum of their HMACs, keyed. A record deleted afterwards makes the family fall short of
every head it was counted in. They share the schema's metadata (store.tables)."""

from __future__ import annotations

from sqlalchemy import Column, Date, Integer, String, Table, UniqueConstraint

from admitall.store.tables import UTCDateTime, metadata

chain_heads = Table(
    "chain_heads",
    metadata,
    Column("id", Integer, primary_key=True),
    # the family: person_events, reports, audit_log, alerts, directives
    Column("chain", String(40), nullable=False),
    # the local day the head closes (`through` is its end), or the day it was taken on demand (`through` earlier)
    Column("day", Date, nullable=False),
    Column("through", UTCDateTime(), nullable=False),
    # the records of the family stamped before `through`, and the sum of their HMACs (64 hex digits)
    Column("seq", Integer, nullable=False),
    Column("total", String(64), nullable=False),
    # keyed: domain.chain.head_mac(chain, through, seq, total); what the bulletin prints (its first 16 digits)
    Column("hmac", String(64), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    UniqueConstraint("chain", "through"),
)
