"""list search (issue 14) — reserved; filled in by its owner.

Revision ID: 0019_list_search
Revises: 0018_alert_running_miss
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

revision = "0019_list_search"
down_revision = "0018_alert_running_miss"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
