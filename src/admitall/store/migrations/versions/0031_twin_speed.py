"""twin_speed: spare revision for the twin's hot paths (issue 13)

Revision ID: 0031_twin_speed
Revises: 0030_verify_checkpoints
Create Date: 2026-12-07 06:25:00.000000
"""

from __future__ import annotations

revision = "0031_twin_speed"
down_revision = "0030_verify_checkpoints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
