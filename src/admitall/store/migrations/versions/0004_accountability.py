"""accountability: officials, lead assignments, directives, the waits projection, scorecards; alerts name a subject

Existing people get their wait segments rebuilt from their histories (under the packaged default policy).

Revision ID: 0004_accountability
Revises: 0003_reporting_chain
Create Date: 2026-11-28 17:03:45.495554
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admitall.domain.policy import default_policy
from admitall.store.repositories.waits import WaitRepository

revision = "0004_accountability"
down_revision = "0003_reporting_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scorecards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("ranked", sa.Integer(), nullable=True),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.CheckConstraint("subject_kind IN ('unit', 'official')", name=op.f("ck_scorecards_subject_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecards")),
        sa.UniqueConstraint("day", "subject_kind", "subject", name=op.f("uq_scorecards_day_subject_kind_subject")),
    )
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.create_index("ix_scorecards_day_kind_level", ["day", "subject_kind", "level"], unique=False)

    op.create_table(
        "directives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=60), nullable=False),
        sa.Column("issuer_unit", sa.String(length=12), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("broadcast_level", sa.String(length=12), nullable=True),
        sa.CheckConstraint("due_at > issued_at", name=op.f("ck_directives_due_after_issue")),
        sa.ForeignKeyConstraint(["issuer_unit"], ["units.code"], name=op.f("fk_directives_issuer_unit_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directives")),
    )
    op.create_table(
        "officials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("home_unit", sa.String(length=12), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=True),
        sa.Column("username", sa.String(length=60), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["home_unit"], ["units.code"], name=op.f("fk_officials_home_unit_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officials")),
        sa.UniqueConstraint("username", name=op.f("uq_officials_username")),
    )
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officials_home_unit"), ["home_unit"], unique=False)

    op.create_table(
        "directive_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=60), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=60), nullable=True),
        sa.Column("completion_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status <> 'completed' OR completed_at IS NOT NULL", name=op.f("ck_directive_recipients_completed_has_time")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'completed')", name=op.f("ck_directive_recipients_status")
        ),
        sa.ForeignKeyConstraint(
            ["directive_id"], ["directives.id"], name=op.f("fk_directive_recipients_directive_id_directives")
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_directive_recipients_official_id_officials")
        ),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_directive_recipients_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directive_recipients")),
        sa.UniqueConstraint("directive_id", "unit_code", name=op.f("uq_directive_recipients_directive_id_unit_code")),
    )
    with op.batch_alter_table("directive_recipients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directive_recipients_directive_id"), ["directive_id"], unique=False)
        batch_op.create_index("ix_directive_recipients_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_directive_recipients_unit_status", ["unit_code", "status"], unique=False)

    op.create_table(
        "lead_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name=op.f("ck_lead_assignments_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_lead_assignments_official_id_officials")
        ),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_lead_assignments_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_assignments")),
    )
    with op.batch_alter_table("lead_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_assignments_official_id"), ["official_id"], unique=False)
        batch_op.create_index("ix_lead_assignments_unit_starts", ["unit_code", "starts_at"], unique=False)
        batch_op.create_index(
            "uq_lead_assignments_one_open_per_unit",
            ["unit_code"],
            unique=True,
            sqlite_where=sa.text("ends_at IS NULL"),
            postgresql_where=sa.text("ends_at IS NULL"),
        )

    op.create_table(
        "wait_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("priority_class", sa.String(length=20), nullable=False),
        sa.Column("wait_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.CheckConstraint("(ended_at IS NULL) = (outcome IS NULL)", name=op.f("ck_wait_segments_ended_with_outcome")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_wait_segments_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wait_segments")),
    )
    with op.batch_alter_table("wait_segments", schema=None) as batch_op:
        batch_op.create_index("ix_wait_segments_ended", ["ended_at"], unique=False)
        batch_op.create_index("ix_wait_segments_person_ended", ["person_id", "ended_at"], unique=False)
        batch_op.create_index("ix_wait_segments_unit_started", ["unit_code", "started_at"], unique=False)

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_id", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("official_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_alerts_kind_unit_code_period_start_step"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_alerts_kind_unit_code_period_start_step_subject_id"),
            ["kind", "unit_code", "period_start", "step", "subject_id"],
        )
        batch_op.create_foreign_key(batch_op.f("fk_alerts_official_id_officials"), "officials", ["official_id"], ["id"])

    WaitRepository(op.get_bind()).rebuild(default_policy())


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_alerts_official_id_officials"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_alerts_kind_unit_code_period_start_step_subject_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_alerts_kind_unit_code_period_start_step"), ["kind", "unit_code", "period_start", "step"]
        )
        batch_op.drop_column("official_id")
        batch_op.drop_column("subject_id")

    with op.batch_alter_table("wait_segments", schema=None) as batch_op:
        batch_op.drop_index("ix_wait_segments_unit_started")
        batch_op.drop_index("ix_wait_segments_person_ended")
        batch_op.drop_index("ix_wait_segments_ended")

    op.drop_table("wait_segments")
    with op.batch_alter_table("lead_assignments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_lead_assignments_one_open_per_unit",
            sqlite_where=sa.text("ends_at IS NULL"),
            postgresql_where=sa.text("ends_at IS NULL"),
        )
        batch_op.drop_index("ix_lead_assignments_unit_starts")
        batch_op.drop_index(batch_op.f("ix_lead_assignments_official_id"))

    op.drop_table("lead_assignments")
    with op.batch_alter_table("directive_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_directive_recipients_unit_status")
        batch_op.drop_index("ix_directive_recipients_status_due")
        batch_op.drop_index(batch_op.f("ix_directive_recipients_directive_id"))

    op.drop_table("directive_recipients")
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officials_home_unit"))

    op.drop_table("officials")
    op.drop_table("directives")
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.drop_index("ix_scorecards_day_kind_level")

    op.drop_table("scorecards")
