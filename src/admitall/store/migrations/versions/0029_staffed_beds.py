"""staffed_beds: reserved (filled in by the work that needs it)

Revision ID: 0029_staffed_beds
Revises: 0028_supplies
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

revision = "0029_staffed_beds"
down_revision = "0028_supplies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
