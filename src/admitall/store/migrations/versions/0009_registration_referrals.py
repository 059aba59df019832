"""registration referrals: a registration that matched a person outside the registrant's jurisdiction, kept for
that person's own unit instead of changing them

Revision ID: 0009_registration_referrals
Revises: 0008_event_flows
Create Date: 2026-12-06 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_registration_referrals"
down_revision = "0008_event_flows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registration_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("matched_by", sa.String(length=12), nullable=False),
        sa.Column("submitted_by", sa.String(length=60), nullable=False),
        sa.Column("submitted_unit", sa.String(length=12), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=300), server_default="", nullable=False),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("decided_by", sa.String(length=60), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'applied', 'dismissed')", name=op.f("ck_registration_referrals_state")),
        sa.CheckConstraint(
            "(state = 'open') = (decided_at IS NULL)", name=op.f("ck_registration_referrals_decided_iff_closed")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_registration_referrals_person_id_persons")
        ),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_registration_referrals_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_referrals")),
    )
    with op.batch_alter_table("registration_referrals", schema=None) as batch_op:
        batch_op.create_index("ix_registration_referrals_unit_state", ["unit_code", "state"], unique=False)
        batch_op.create_index("ix_registration_referrals_person", ["person_id"], unique=False)
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referred", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_column("referred")
    with op.batch_alter_table("registration_referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_referrals_person")
        batch_op.drop_index("ix_registration_referrals_unit_state")
    op.drop_table("registration_referrals")
