"""record_linkage: reserved (filled in by the work that needs it)

Revision ID: 0024_record_linkage
Revises: 0023_help_requests
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

revision = "0024_record_linkage"
down_revision = "0023_help_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
