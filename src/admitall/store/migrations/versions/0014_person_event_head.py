"""person event head: each person's event chain head kept on the person (issue 13; filled by the batch steps work)

Revision ID: 0014_person_event_head
Revises: 0013_admission_rate
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

revision = "0014_person_event_head"
down_revision = "0013_admission_rate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
