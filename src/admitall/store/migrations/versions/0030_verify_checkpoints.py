"""verify_checkpoints: where the last verify stopped (issue 15)

Revision ID: 0030_verify_checkpoints
Revises: 0029_cadres_staff_safety
Create Date: 2026-12-07 06:25:00.000000
"""

from __future__ import annotations

revision = "0030_verify_checkpoints"
down_revision = "0029_cadres_staff_safety"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
