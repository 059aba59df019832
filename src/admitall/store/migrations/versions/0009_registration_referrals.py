"""registration referrals: a registration that matched a person outside the registrant's jurisdiction, kept for
that person's own unit instead of changing them

Revision ID: 0009_registration_referrals
Revises: 0008_event_flows
Create Date: 2026-12-06 18:00:00.000000
"""

from __future__ import annotations

revision = "0009_registration_referrals"
down_revision = "0008_event_flows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
