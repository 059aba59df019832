"""province_level: reserved (filled in by the work that needs it)

Revision ID: 0022_province_level
Revises: 0021_watch_rounds
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

revision = "0022_province_level"
down_revision = "0021_watch_rounds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
