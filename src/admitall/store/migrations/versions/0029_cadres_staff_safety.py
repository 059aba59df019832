"""cadres_staff_safety: cadres sent down and health-worker exposures (issue 18 §3–4, store.tables_cadres)

Revision ID: 0029_cadres_staff_safety
Revises: 0028_staffed_beds
Create Date: 2026-12-07 06:25:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_cadres_staff_safety"
down_revision = "0028_staffed_beds"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
SAFETY_STATUS = (
    "(kind = 'infection' AND status IN ('suspected', 'confirmed')) OR (kind = 'exposure' AND status IS NULL)"
)


def upgrade() -> None:
    op.create_table(
        "cadre_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("role", sa.String(length=60), server_default="", nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("ended_by", sa.String(length=60), nullable=True),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.CheckConstraint("source IN ('desk', 'import')", name=op.f("ck_cadre_assignments_source")),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_cadre_assignments_dates")),
        sa.ForeignKeyConstraint(
            ["community_code"], ["units.code"], name=op.f("fk_cadre_assignments_community_code_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cadre_assignments")),
    )
    op.create_index(
        "ix_cadre_assignments_community_dates", "cadre_assignments", ["community_code", "starts_on", "ends_on"]
    )
    op.create_table(
        "staff_safety_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("cadre_id", sa.Integer(), nullable=True),
        sa.Column("facility_code", sa.String(length=40), nullable=True),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=100), server_default="", nullable=False),
        sa.Column("protection", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=True),
        sa.Column("source_case_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.CheckConstraint("kind IN ('exposure', 'infection')", name=op.f("ck_staff_safety_events_kind")),
        sa.CheckConstraint(
            "protection IN ('none', 'surgical_mask', 'n95', 'full_ppe')", name=op.f("ck_staff_safety_events_protection")
        ),
        sa.CheckConstraint("(staff_id IS NULL) <> (cadre_id IS NULL)", name=op.f("ck_staff_safety_events_one_worker")),
        sa.CheckConstraint(SAFETY_STATUS, name=op.f("ck_staff_safety_events_status")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name=op.f("fk_staff_safety_events_staff_id_staff_members")
        ),
        sa.ForeignKeyConstraint(
            ["cadre_id"], ["cadre_assignments.id"], name=op.f("fk_staff_safety_events_cadre_id_cadre_assignments")
        ),
        sa.ForeignKeyConstraint(
            ["facility_code"], ["facilities.code"], name=op.f("fk_staff_safety_events_facility_code_facilities")
        ),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_staff_safety_events_unit_code_units")),
        sa.ForeignKeyConstraint(
            ["source_case_id"], ["persons.id"], name=op.f("fk_staff_safety_events_source_case_id_persons")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_staff_safety_events_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_safety_events")),
    )
    op.create_index("ix_staff_safety_events_facility_day", "staff_safety_events", ["facility_code", "occurred_on"])
    op.create_index("ix_staff_safety_events_unit_day", "staff_safety_events", ["unit_code", "occurred_on"])


def downgrade() -> None:
    op.drop_index("ix_staff_safety_events_unit_day", table_name="staff_safety_events")
    op.drop_index("ix_staff_safety_events_facility_day", table_name="staff_safety_events")
    op.drop_table("staff_safety_events")
    op.drop_index("ix_cadre_assignments_community_dates", table_name="cadre_assignments")
    op.drop_table("cadre_assignments")
