"""create registry: units, persons and their events, users, audit

Revision ID: 0001_create_registry
Revises:
Create Date: 2026-11-28 14:28:29.138895
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_create_registry"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=True),
        sa.Column("target_id", sa.String(length=40), nullable=True),
        sa.Column("unit_code", sa.String(length=12), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_log_target", ["target_type", "target_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_unit_code"), ["unit_code"], unique=False)

    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_secrets")),
    )
    op.create_table(
        "units",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('province', 'city', 'district', 'street', 'community')", name=op.f("ck_units_level")
        ),
        sa.CheckConstraint("length(code) = 12", name=op.f("ck_units_code_length")),
        sa.ForeignKeyConstraint(["parent_code"], ["units.code"], name=op.f("fk_units_parent_code_units")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_units")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("document_type", sa.String(length=20), nullable=True),
        sa.Column("document_number", sa.String(length=24), nullable=True),
        sa.Column("phone", sa.String(length=11), nullable=True),
        sa.Column("sex", sa.String(length=6), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=True),
        sa.Column("risks", sa.String(length=60), nullable=False),
        sa.Column("placement", sa.String(length=12), nullable=False),
        sa.Column("identified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("facility_code", sa.String(length=40), nullable=True),
        sa.Column("bed_type", sa.String(length=20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(placement IN ('assigned', 'in_transit', 'admitted')) = (facility_code IS NOT NULL)",
            name=op.f("ck_persons_bed_iff_facility"),
        ),
        sa.CheckConstraint(
            "(placement IN ('waiting', 'assigned', 'in_transit')) = (waiting_since IS NOT NULL)",
            name=op.f("ck_persons_queued_has_waiting_since"),
        ),
        sa.CheckConstraint(
            "(status IN ('excluded', 'released', 'dead')) = (placement = 'left')",
            name=op.f("ck_persons_left_iff_out"),
        ),
        sa.CheckConstraint(
            "placement IN ('waiting', 'assigned', 'in_transit', 'admitted', 'left')",
            name=op.f("ck_persons_placement"),
        ),
        sa.CheckConstraint(
            "severity IS NULL OR severity IN ('mild', 'moderate', 'severe', 'critical')",
            name=op.f("ck_persons_severity"),
        ),
        sa.CheckConstraint(
            "status IN ('confirmed', 'suspected', 'fever', 'contact', 'excluded', 'recovered', 'released', 'dead')",
            name=op.f("ck_persons_status"),
        ),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_persons_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("document_type", "document_number", name=op.f("uq_persons_document_type_document_number")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index("ix_persons_phone", ["phone"], unique=False)
        batch_op.create_index("ix_persons_placement_waiting", ["placement", "waiting_since"], unique=False)
        batch_op.create_index("ix_persons_unit_status", ["unit_code", "status"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'commander', 'unit_officer', 'dispatcher', 'facility_officer', 'analyst')",
            name=op.f("ck_users_role"),
        ),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_users_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "person_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_events_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_events")),
        sa.UniqueConstraint("person_id", "seq", name=op.f("uq_person_events_person_id_seq")),
    )
    with op.batch_alter_table("person_events", schema=None) as batch_op:
        batch_op.create_index("ix_person_events_kind_occurred", ["kind", "occurred_at"], unique=False)

    op.create_table(
        "person_sources",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("source_ref", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_person_sources_person_id_persons")),
        sa.PrimaryKeyConstraint("source", "source_ref", name=op.f("pk_person_sources")),
    )
    with op.batch_alter_table("person_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_sources_person_id"), ["person_id"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("person_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_sources_person_id"))

    op.drop_table("person_sources")
    with op.batch_alter_table("person_events", schema=None) as batch_op:
        batch_op.drop_index("ix_person_events_kind_occurred")

    op.drop_table("person_events")
    op.drop_table("users")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_unit_status")
        batch_op.drop_index("ix_persons_placement_waiting")
        batch_op.drop_index("ix_persons_phone")

    op.drop_table("persons")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_parent_code"))

    op.drop_table("units")
    op.drop_table("instance_secrets")
    op.drop_table("import_batches")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_unit_code"))
        batch_op.drop_index("ix_audit_log_target")
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
