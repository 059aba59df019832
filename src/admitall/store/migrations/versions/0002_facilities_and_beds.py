"""facilities and beds: bed pools with their capacity check, transfers' held beds, facility desks

Revision ID: 0002_facilities_and_beds
Revises: 0001_create_registry
Create Date: 2026-11-28 15:17:47.242791
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_facilities_and_beds"
down_revision = "0001_create_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "facilities",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('designated_hospital', 'shelter_hospital', 'isolation_point', 'quarantine_site', 'fever_clinic', 'recovery_station')",
            name=op.f("ck_facilities_type"),
        ),
        sa.CheckConstraint(
            "opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at",
            name=op.f("ck_facilities_opens_before_closing"),
        ),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_facilities_unit_code_units")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_facilities")),
    )
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facilities_unit_code"), ["unit_code"], unique=False)

    op.create_table(
        "bed_pools",
        sa.Column("facility_code", sa.String(length=40), nullable=False),
        sa.Column("bed_type", sa.String(length=20), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("occupied", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("out_of_service", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "bed_type IN ('icu', 'severe', 'general', 'shelter', 'single_room', 'quarantine_room', 'observation', 'recovery_room')",
            name=op.f("ck_bed_pools_bed_type"),
        ),
        sa.CheckConstraint(
            "capacity >= 0 AND occupied >= 0 AND reserved >= 0 AND out_of_service >= 0",
            name=op.f("ck_bed_pools_counts_not_negative"),
        ),
        sa.CheckConstraint(
            "occupied + reserved + out_of_service <= capacity", name=op.f("ck_bed_pools_within_capacity")
        ),
        sa.ForeignKeyConstraint(
            ["facility_code"], ["facilities.code"], name=op.f("fk_bed_pools_facility_code_facilities")
        ),
        sa.PrimaryKeyConstraint("facility_code", "bed_type", name=op.f("pk_bed_pools")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_facility_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("held_bed_type", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_persons_facility_placement", ["facility_code", "placement"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_persons_held_facility_code_facilities"), "facilities", ["held_facility_code"], ["code"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_persons_facility_code_facilities"), "facilities", ["facility_code"], ["code"]
        )
        # an admitted person may now wait (for a transfer); a person who left may not
        batch_op.drop_constraint(op.f("ck_persons_queued_has_waiting_since"), type_="check")
        batch_op.create_check_constraint(
            "queued_has_waiting_since",
            "placement NOT IN ('waiting', 'assigned', 'in_transit') OR waiting_since IS NOT NULL",
        )
        batch_op.create_check_constraint("left_has_no_wait", "placement <> 'left' OR waiting_since IS NULL")
        batch_op.create_check_constraint("held_bed_whole", "(held_facility_code IS NULL) = (held_bed_type IS NULL)")
        batch_op.create_check_constraint(
            "held_only_in_transfer", "held_facility_code IS NULL OR placement IN ('assigned', 'in_transit')"
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facility_code", sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_users_facility_code_facilities"), "facilities", ["facility_code"], ["code"]
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_facility_code_facilities"), type_="foreignkey")
        batch_op.drop_column("facility_code")

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_persons_held_only_in_transfer"), type_="check")
        batch_op.drop_constraint(op.f("ck_persons_held_bed_whole"), type_="check")
        batch_op.drop_constraint(op.f("ck_persons_left_has_no_wait"), type_="check")
        batch_op.drop_constraint(op.f("ck_persons_queued_has_waiting_since"), type_="check")
        batch_op.create_check_constraint(
            "queued_has_waiting_since",
            "(placement IN ('waiting', 'assigned', 'in_transit')) = (waiting_since IS NOT NULL)",
        )
        batch_op.drop_constraint(batch_op.f("fk_persons_facility_code_facilities"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_persons_held_facility_code_facilities"), type_="foreignkey")
        batch_op.drop_index("ix_persons_facility_placement")
        batch_op.drop_column("held_bed_type")
        batch_op.drop_column("held_facility_code")

    op.drop_table("bed_pools")
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facilities_unit_code"))

    op.drop_table("facilities")
