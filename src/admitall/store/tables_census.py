"""The census: how many people each unit has by status, severity and placement, kept by the database itself.

Triggers on `persons` (migration 0007) append every change to `unit_census_changes` (+1 for the new state, -1
for the old), whatever code or hand-written SQL made it; appending never waits on another writer. The watch folds
the changes into `unit_census` every minute. A count is the base plus the changes not yet folded, so it is exact
at any moment, and reading the city's counts reads a few rows per unit instead of every person. `admitall
verify` checks it against the people themselves. Severity is '' when there is none (a key column cannot be
NULL). They share the schema's metadata (store.tables)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, PrimaryKeyConstraint, String, Table

from admitall.store.tables import metadata

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
