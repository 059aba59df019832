"""verify_checkpoints: where the last verify stopped (issue 15): the ids it covered, and every person's and unit's
chain head as verified, so `admitall verify` reads only what changed since (services.verify_incremental); and the
open waits' index by class, oldest first, that a province's screen walks for its longest waits (services.backlog)

Revision ID: 0030_verify_checkpoints
Revises: 0029_cadres_staff_safety
Create Date: 2026-12-07 06:25:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030_verify_checkpoints"
down_revision = "0029_cadres_staff_safety"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verify_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("events_through", sa.Integer(), nullable=False),
        sa.Column("reports_through", sa.Integer(), nullable=False),
        sa.Column("audit_through", sa.Integer(), nullable=False),
        sa.Column("events_checked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verify_checkpoints")),
    )
    op.create_table(
        "verified_person_heads",
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_verified_person_heads")),
    )
    op.create_table(
        "verified_unit_heads",
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", name=op.f("pk_verified_unit_heads")),
    )
    op.create_index(
        "ix_wait_segments_open_class",
        "wait_segments",
        ["priority_class", "wait_started_at", "person_id"],
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_wait_segments_open_class", table_name="wait_segments")
    op.drop_table("verified_unit_heads")
    op.drop_table("verified_person_heads")
    op.drop_table("verify_checkpoints")
