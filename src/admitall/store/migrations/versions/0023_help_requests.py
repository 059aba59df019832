"""help_requests: reserved (filled in by the work that needs it)

Revision ID: 0023_help_requests
Revises: 0022_province_level
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

revision = "0023_help_requests"
down_revision = "0022_province_level"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
