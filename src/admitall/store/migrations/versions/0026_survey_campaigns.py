"""survey_campaigns: reserved (filled in by the work that needs it)

Revision ID: 0026_survey_campaigns
Revises: 0025_contact_observation
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

revision = "0026_survey_campaigns"
down_revision = "0025_contact_observation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
