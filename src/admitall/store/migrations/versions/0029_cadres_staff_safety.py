"""cadres_staff_safety: cadres sent down and health-worker exposures (issue 18 §3–4)

Revision ID: 0029_cadres_staff_safety
Revises: 0028_staffed_beds
Create Date: 2026-12-07 06:25:00.000000
"""

from __future__ import annotations

revision = "0029_cadres_staff_safety"
down_revision = "0028_staffed_beds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
