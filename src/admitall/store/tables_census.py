"""The census: how many people each unit has by status, severity and placement, kept by the database itself.

Triggers on `persons` (migration 0007) append every change to `unit_census_changes` (+1 for the new state, -1
for the old), whatever code or hand-written SQL made it; appending never waits on another writer. On SQLite a batch
of new people (an import) switches the insert triggers off inside its own transaction and appends one change per
group instead, and the flow rows in one statement (store.bulk.projections_once, migration 0015). The watch folds
the changes into `unit_census` every minute. A count is the base plus the changes not yet folded, so it is exact
at any moment, and reading the city's counts reads a few rows per unit instead of every person. `admitall
verify` checks it against the people themselves. Severity is '' when there is none (a key column cannot be
NULL). They share the schema's metadata (store.tables)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, PrimaryKeyConstraint, String, Table

from admitall.store.tables import UTCDateTime, metadata

unit_census = Table(
    "unit_census",
    metadata,
    Column("unit_code", String(12), nullable=False),
    Column("status", String(12), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("placement", String(12), nullable=False),
    Column("n", Integer, nullable=False),
    PrimaryKeyConstraint("unit_code", "status", "severity", "placement"),
)

unit_census_changes = Table(
    "unit_census_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_code", String(12), nullable=False),
    Column("status", String(12), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("placement", String(12), nullable=False),
    Column("n", Integer, nullable=False),
)

# The events that move the backlog (identified, reclassified, severity changed, admitted), each with the unit its
# person belonged to when it was recorded and what it changed from and to, copied by a trigger on person_events
# (migration 0008): the screen's hourly flows read a narrow table by time and unit instead of joining every event
# to its person and parsing its data.
event_flows = Table(
    "event_flows",
    metadata,
    Column("event_id", Integer, primary_key=True),
    Column("unit_code", String(12), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("from_value", String(12), nullable=True),
    Column("to_value", String(12), nullable=True),
    # PostgreSQL also has ix_event_flows_unit_occurred (unit_code, occurred_at, kind, to_value), made by migration
    # 0012 only there: its planner chooses between the two by their statistics; SQLite has none to choose by
    # every column: the screen's counts are read from the index alone
    Index("ix_event_flows_occurred_unit", "occurred_at", "unit_code", "kind", "from_value", "to_value"),
)
