"""contact_observation: reserved (filled in by the work that needs it)

Revision ID: 0025_contact_observation
Revises: 0024_record_linkage
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

revision = "0025_contact_observation"
down_revision = "0024_record_linkage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
