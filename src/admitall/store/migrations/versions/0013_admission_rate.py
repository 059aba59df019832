"""admission rate: how many people a facility can admit in an hour (issue 13; filled by the allocation work)

Revision ID: 0013_admission_rate
Revises: 0012_reporting_indexes
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

revision = "0013_admission_rate"
down_revision = "0012_reporting_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
