"""supplies: items, stock movements, requests and allocations (issue 18 §1)

Revision ID: 0027_supplies
Revises: 0026_survey_campaigns
Create Date: 2026-12-07 06:25:00.000000
"""

from __future__ import annotations

revision = "0027_supplies"
down_revision = "0026_survey_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
