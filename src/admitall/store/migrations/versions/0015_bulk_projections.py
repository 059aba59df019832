"""bulk projections: the census and flow projections maintained once per batch (issue 13; filled by the import work)

Revision ID: 0015_bulk_projections
Revises: 0014_person_event_head
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

revision = "0015_bulk_projections"
down_revision = "0014_person_event_head"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
