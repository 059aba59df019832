"""sign-in throttle and printed PDFs: failed sign-ins and lockouts counted in the database, so a lockout holds across
workers; the PDF printer's slots (a limit across workers) and the PDFs printed once and kept

Revision ID: 0010_signin_throttle
Revises: 0009_registration_referrals
Create Date: 2026-12-06 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_signin_throttle"
down_revision = "0009_registration_referrals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_failures")),
    )
    op.create_index(op.f("ix_signin_failures_at"), "signin_failures", ["at"])
    op.create_index("ix_signin_failures_username_at", "signin_failures", ["username", "at"])
    op.create_index("ix_signin_failures_address_at", "signin_failures", ["address", "at"])
    op.create_table(
        "signin_lockouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_lockouts")),
    )
    op.create_index("ix_signin_lockouts_kind_key_until", "signin_lockouts", ["kind", "key", "until"])
    op.create_table(
        "print_slots",
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slot", name=op.f("pk_print_slots")),
    )
    op.create_table(
        "printed_pdfs",
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("subject", "lang", name=op.f("pk_printed_pdfs")),
    )


def downgrade() -> None:
    op.drop_table("printed_pdfs")
    op.drop_table("print_slots")
    op.drop_index("ix_signin_lockouts_kind_key_until", table_name="signin_lockouts")
    op.drop_table("signin_lockouts")
    op.drop_index("ix_signin_failures_address_at", table_name="signin_failures")
    op.drop_index("ix_signin_failures_username_at", table_name="signin_failures")
    op.drop_index(op.f("ix_signin_failures_at"), table_name="signin_failures")
    op.drop_table("signin_failures")
