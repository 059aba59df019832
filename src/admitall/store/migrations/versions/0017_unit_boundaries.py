"""unit boundaries (issue 14) — reserved; filled in by its owner.

Revision ID: 0017_unit_boundaries
Revises: 0016_watch_state
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

revision = "0017_unit_boundaries"
down_revision = "0016_watch_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
