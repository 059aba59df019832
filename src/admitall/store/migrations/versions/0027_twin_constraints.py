"""twin_constraints: reserved (filled in by the work that needs it)

Revision ID: 0027_twin_constraints
Revises: 0026_survey_campaigns
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

revision = "0027_twin_constraints"
down_revision = "0026_survey_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
