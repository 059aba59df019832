"""watch change log (issue 13) (issue 14) — reserved; filled in by its owner.

Revision ID: 0020_watch_change_log
Revises: 0019_list_search
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

revision = "0020_watch_change_log"
down_revision = "0019_list_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
