"""supplies: reserved (filled in by the work that needs it)

Revision ID: 0028_supplies
Revises: 0027_twin_constraints
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

revision = "0028_supplies"
down_revision = "0027_twin_constraints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
