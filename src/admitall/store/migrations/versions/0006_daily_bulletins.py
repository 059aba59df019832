"""daily bulletins: each closed day's public figures, kept as first published

Revision ID: 0006_daily_bulletins
Revises: 0005_simulation_runs
Create Date: 2026-11-28 20:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_daily_bulletins"
down_revision = "0005_simulation_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulletins",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_bulletins")),
    )


def downgrade() -> None:
    op.drop_table("bulletins")
