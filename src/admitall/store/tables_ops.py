"""What an operator reads and keeps: each round of the chain watch, its start, end and outcome (services.watch records
them; the readiness check /readyz says how old the last finished one is), and the seals of person events whose
personal details were purged (services.purge). Shares the schema's metadata (store.tables)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from admitall.store.tables import UTCDateTime, metadata

# one row per round: 'running' while it runs, then 'ok', 'skipped' (another runner held the lease), 'failed', or
# 'abandoned' (its runner ended during the round: recorded so by the runner that took over, services.watch_runner)
watch_rounds = Table(
    "watch_rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("runner", String(80), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("outcome", String(10), nullable=False),
    Column("error", Text, nullable=True),
    Index("ix_watch_rounds_started_at", "started_at"),
)

# an event whose personal details were purged: the keyed hash of the event as redacted, chained to the event's own
# `hash` (kept, so the person's links and the day's heads still hold); verify checks the event against this
person_event_redactions = Table(
    "person_event_redactions",
    metadata,
    Column("event_id", Integer, ForeignKey("person_events.id"), primary_key=True, autoincrement=False),
    Column("seal", String(64), nullable=False),
    Column("redacted_at", UTCDateTime(), nullable=False),
)

# where the last verify that found everything intact stopped (services.verify_incremental): the events, reports and
# audit entries it covered (ids up to `*_through`), so the next `admitall verify` reads only what changed since
verify_checkpoints = Table(
    "verify_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("finished_at", UTCDateTime(), nullable=False),
    Column("full", Boolean, nullable=False),
    Column("events_through", Integer, nullable=False),
    Column("reports_through", Integer, nullable=False),
    Column("audit_through", Integer, nullable=False),
    Column("events_checked", Integer, nullable=False),
)

# each person's chain head as last verified: the id and hash of their last verified event
verified_person_heads = Table(
    "verified_person_heads",
    metadata,
    Column("person_id", Integer, primary_key=True, autoincrement=False),
    Column("event_id", Integer, nullable=False),
    Column("head", String(64), nullable=False),
)

# each unit's report chain head as last verified: the id and hash of its last verified report
verified_unit_heads = Table(
    "verified_unit_heads",
    metadata,
    Column("unit_code", String(12), primary_key=True),
    Column("report_id", Integer, nullable=False),
    Column("head", String(64), nullable=False),
)
