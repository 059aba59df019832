"""staffed_beds: staff on the roster, medical teams and their headcounts (issue 18 §2, store.tables_staffing)

Revision ID: 0028_staffed_beds
Revises: 0027_supplies
Create Date: 2026-12-07 06:25:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028_staffed_beds"
down_revision = "0027_supplies"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
ROLES = "role IN ('doctor', 'nurse', 'icu_doctor', 'icu_nurse', 'community_worker', 'technician', 'other')"


def upgrade() -> None:
    op.create_table(
        "medical_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=60), nullable=False),
        sa.Column("facility_code", sa.String(length=40), nullable=False),
        sa.Column("arrives_on", sa.Date(), nullable=False),
        sa.Column("departs_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint("departs_on IS NULL OR departs_on >= arrives_on", name=op.f("ck_medical_teams_dates")),
        sa.ForeignKeyConstraint(
            ["facility_code"], ["facilities.code"], name=op.f("fk_medical_teams_facility_code_facilities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_teams")),
    )
    op.create_index("ix_medical_teams_facility_code", "medical_teams", ["facility_code"])
    op.create_table(
        "medical_team_headcounts",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.CheckConstraint(ROLES, name=op.f("ck_medical_team_headcounts_role")),
        sa.CheckConstraint("headcount >= 0", name=op.f("ck_medical_team_headcounts_headcount_not_negative")),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["medical_teams.id"],
            name=op.f("fk_medical_team_headcounts_team_id_medical_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "role", name=op.f("pk_medical_team_headcounts")),
    )
    op.create_table(
        "staff_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("site_code", sa.String(length=40), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("id_number", sa.String(length=30), nullable=True),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("active_until", sa.Date(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint(ROLES, name=op.f("ck_staff_members_role")),
        sa.CheckConstraint("source IN ('desk', 'import')", name=op.f("ck_staff_members_source")),
        sa.CheckConstraint("active_until IS NULL OR active_until >= active_from", name=op.f("ck_staff_members_dates")),
        sa.ForeignKeyConstraint(["team_id"], ["medical_teams.id"], name=op.f("fk_staff_members_team_id_medical_teams")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_staff_members_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_members")),
    )
    op.create_index("ix_staff_members_site_code_role", "staff_members", ["site_code", "role"])
    op.create_index("ix_staff_members_team_id", "staff_members", ["team_id"])
    op.create_index("ix_staff_members_person_id", "staff_members", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_members_person_id", table_name="staff_members")
    op.drop_index("ix_staff_members_team_id", table_name="staff_members")
    op.drop_index("ix_staff_members_site_code_role", table_name="staff_members")
    op.drop_table("staff_members")
    op.drop_table("medical_team_headcounts")
    op.drop_index("ix_medical_teams_facility_code", table_name="medical_teams")
    op.drop_table("medical_teams")
