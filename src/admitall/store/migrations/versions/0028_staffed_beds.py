"""staffed_beds: staff, medical teams, shifts and staffing ratios (issue 18 §2)

Revision ID: 0028_staffed_beds
Revises: 0027_supplies
Create Date: 2026-12-07 06:25:00.000000
"""

from __future__ import annotations

revision = "0028_staffed_beds"
down_revision = "0027_supplies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
