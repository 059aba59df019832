"""bulk projections: on SQLite, a batch may keep the census and flow projections once per batch instead of per row

SQLite runs a trigger once per row: an import of 100,000 people paid for 200,000 more inserts (bench/RESULTS.md).
A one-row switch, `bulk_projections.deferred`, lets a batch that writes new people turn the two insert triggers
off for its own inserts; the batch then writes the projections with one grouped statement per table from the rows
it wrote, and turns the switch back on, all in its one transaction (store.bulk.projections_once). The switch is
only ever 1 inside that uncommitted transaction, which holds SQLite's write lock: every other writer, a
hand-written INSERT included, meets the triggers as before. If the row is missing the triggers fire (fail-safe),
and `admitall verify` recounts both projections either way. The update and delete triggers never look at it.

PostgreSQL's triggers already run once per statement over transition tables (COPY fires them too): nothing there.

Revision ID: 0015_bulk_projections
Revises: 0014_person_event_head
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0015_bulk_projections"
down_revision = "0014_person_event_head"
branch_labels = None
depends_on = None

KINDS = "('identified', 'reclassified', 'severity_changed', 'admitted')"
FLOW_COLUMNS = "event_id, unit_code, occurred_at, kind, from_value, to_value"
ON = "NOT EXISTS (SELECT 1 FROM bulk_projections WHERE deferred = 1)"


def _census_insert(when: str) -> str:
    return f"""CREATE TRIGGER persons_census_insert AFTER INSERT ON persons {when} BEGIN
        INSERT INTO unit_census_changes (unit_code, status, severity, placement, n)
        VALUES (NEW.unit_code, NEW.status, COALESCE(NEW.severity, ''), NEW.placement, 1);
    END"""


def _flows(when: str) -> str:
    return f"""CREATE TRIGGER person_events_flows AFTER INSERT ON person_events
    WHEN NEW.kind IN {KINDS}{when} BEGIN
        INSERT INTO event_flows ({FLOW_COLUMNS})
        SELECT NEW.id, p.unit_code, NEW.occurred_at, NEW.kind, json_extract(NEW.data, '$.from'),
               COALESCE(json_extract(NEW.data, '$.status'), json_extract(NEW.data, '$.to'))
        FROM persons p WHERE p.id = NEW.person_id;
    END"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    op.execute(
        "CREATE TABLE bulk_projections (id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), "
        "deferred INTEGER NOT NULL DEFAULT 0 CHECK (deferred IN (0, 1)))"
    )
    op.execute("INSERT INTO bulk_projections (id, deferred) VALUES (1, 0)")
    op.execute("DROP TRIGGER persons_census_insert")
    op.execute(_census_insert(f"WHEN {ON}"))
    op.execute("DROP TRIGGER person_events_flows")
    op.execute(_flows(f" AND {ON}"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    op.execute("DROP TRIGGER person_events_flows")
    op.execute(_flows(""))
    op.execute("DROP TRIGGER persons_census_insert")
    op.execute(_census_insert(""))
    op.execute("DROP TABLE bulk_projections")
