"""person event head: each person's event chain head kept on the person (issue 13; filled by the batch steps work)

The hash of a person's last event is kept on the person (`persons.event_head`), so that appending events to the
chain needs no read of the previous one; `verify` checks it against the chain. Existing people get the head of
the chain they have.

Revision ID: 0014_person_event_head
Revises: 0013_admission_rate
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_person_event_head"
down_revision = "0013_admission_rate"
branch_labels = None
depends_on = None

# the last event by the (person_id, seq) unique index; the same text on SQLite and PostgreSQL
BACKFILL = """UPDATE persons SET event_head = (
    SELECT e.hash FROM person_events e WHERE e.person_id = persons.id ORDER BY e.seq DESC LIMIT 1
) WHERE EXISTS (SELECT 1 FROM person_events e WHERE e.person_id = persons.id)"""


def upgrade() -> None:
    # a plain ADD COLUMN on both (a batch rebuild of the table on SQLite would drop the census triggers on it)
    op.add_column("persons", sa.Column("event_head", sa.String(length=64), server_default="", nullable=False))
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_column("persons", "event_head")
