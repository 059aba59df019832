"""alert running miss (issue 14) — reserved; filled in by its owner.

Revision ID: 0018_alert_running_miss
Revises: 0017_unit_boundaries
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

revision = "0018_alert_running_miss"
down_revision = "0017_unit_boundaries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
