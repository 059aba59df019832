"""simulation runs: the digital twin's recorded results (scenario, summary, daily and hourly rows)

Revision ID: 0005_simulation_runs
Revises: 0004_accountability
Create Date: 2026-11-28 18:30:12.118402
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_simulation_runs"
down_revision = "0004_accountability"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sim_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_name", sa.String(length=100), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("wall_seconds", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.Column("scenario", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("daily", sa.JSON(), nullable=False),
        sa.Column("hourly", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_runs")),
    )
    with op.batch_alter_table("sim_runs", schema=None) as batch_op:
        batch_op.create_index("ix_sim_runs_scenario_name_recorded_at", ["scenario_name", "recorded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sim_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_sim_runs_scenario_name_recorded_at")

    op.drop_table("sim_runs")
