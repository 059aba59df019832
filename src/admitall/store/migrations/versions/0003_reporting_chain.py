"""reporting chain: schedules, reports, problems, discrepancies, alerts, job locks; hash chains on events

Revision ID: 0003_reporting_chain
Revises: 0002_facilities_and_beds
Create Date: 2026-11-28 15:47:01.297642
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from admitall.domain.chain import GENESIS, event_record, link

revision = "0003_reporting_chain"
down_revision = "0002_facilities_and_beds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_locks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_locks")),
    )
    op.create_table(
        "reporting_schedules",
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("period_minutes", sa.Integer(), nullable=False),
        sa.Column("grace_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level IN ('district', 'street', 'community')", name=op.f("ck_reporting_schedules_level")),
        sa.CheckConstraint(
            "period_minutes > 0 AND grace_minutes >= 0 AND grace_minutes < period_minutes",
            name=op.f("ck_reporting_schedules_sane"),
        ),
        sa.PrimaryKeyConstraint("level", name=op.f("pk_reporting_schedules")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("target_unit", sa.String(length=12), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("consecutive", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=60), nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["target_unit"], ["units.code"], name=op.f("fk_alerts_target_unit_units")),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_alerts_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint(
            "kind", "unit_code", "period_start", "step", name=op.f("uq_alerts_kind_unit_code_period_start_step")
        ),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_target_ack", ["target_unit", "acknowledged_at"], unique=False)
        batch_op.create_index("ix_alerts_unit", ["unit_code", "kind"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("reporter", sa.String(length=60), nullable=False),
        sa.Column("attested_by", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("reported", sa.JSON(), nullable=False),
        sa.Column("registry", sa.JSON(), nullable=False),
        sa.Column("field", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("(version = 1) = (supersedes_id IS NULL)", name=op.f("ck_reports_correction_points_back")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_reports_version")),
        sa.ForeignKeyConstraint(["supersedes_id"], ["reports.id"], name=op.f("fk_reports_supersedes_id_reports")),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_reports_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_reports_idempotency_key")),
        sa.UniqueConstraint(
            "unit_code", "period_start", "version", name=op.f("uq_reports_unit_code_period_start_version")
        ),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_period_unit", ["period_start", "unit_code"], unique=False)

    op.create_table(
        "discrepancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figure", sa.String(length=60), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.Column("registry", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_discrepancies_report_id_reports")),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_discrepancies_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discrepancies")),
    )
    with op.batch_alter_table("discrepancies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discrepancies_report_id"), ["report_id"], unique=False)
        batch_op.create_index("ix_discrepancies_unit_period", ["unit_code", "period_start"], unique=False)

    op.create_table(
        "report_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("needs_help", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("owner_unit", sa.String(length=12), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=60), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status <> 'resolved' OR (resolution_note IS NOT NULL AND resolved_at IS NOT NULL)",
            name=op.f("ck_report_problems_resolution_has_note"),
        ),
        sa.CheckConstraint("status IN ('noted', 'open', 'resolved')", name=op.f("ck_report_problems_status")),
        sa.ForeignKeyConstraint(["owner_unit"], ["units.code"], name=op.f("fk_report_problems_owner_unit_units")),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_report_problems_report_id_reports")),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_report_problems_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_problems")),
    )
    with op.batch_alter_table("report_problems", schema=None) as batch_op:
        batch_op.create_index("ix_report_problems_owner_status", ["owner_unit", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_problems_report_id"), ["report_id"], unique=False)
        batch_op.create_index("ix_report_problems_status_due", ["status", "due_at"], unique=False)

    with op.batch_alter_table("person_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), server_default="", nullable=False))

    _chain_existing_events()
    _default_schedules()


def _default_schedules() -> None:
    """Every hour for districts, streets and communities; ten minutes' grace."""
    table = sa.table(
        "reporting_schedules",
        sa.column("level", sa.String),
        sa.column("period_minutes", sa.Integer),
        sa.column("grace_minutes", sa.Integer),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {"level": level, "period_minutes": 60, "grace_minutes": 10, "updated_at": now}
            for level in ("district", "street", "community")
        ],
    )


def _chain_existing_events() -> None:
    """Events recorded before the chains existed are chained now, person by person, in their order."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, person_id, seq, kind, occurred_at, recorded_at, actor, source, reason, data "
            "FROM person_events ORDER BY person_id, seq"
        )
    ).all()
    previous: dict[int, str] = {}
    for r in rows:
        occurred, recorded, data = r.occurred_at, r.recorded_at, r.data
        if isinstance(occurred, str):  # SQLite gives text back through plain SQL
            occurred, recorded = (datetime.fromisoformat(t).replace(tzinfo=UTC) for t in (occurred, recorded))
        if isinstance(data, str):
            data = json.loads(data)
        prev = previous.get(r.person_id, GENESIS)
        digest = link(
            prev, event_record(r.person_id, r.seq, r.kind, occurred, recorded, r.actor, r.source, r.reason, data)
        )
        conn.execute(
            sa.text("UPDATE person_events SET prev_hash = :p, hash = :h WHERE id = :i"),
            {"p": prev, "h": digest, "i": r.id},
        )
        previous[r.person_id] = digest


def downgrade() -> None:
    with op.batch_alter_table("person_events", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")

    with op.batch_alter_table("report_problems", schema=None) as batch_op:
        batch_op.drop_index("ix_report_problems_status_due")
        batch_op.drop_index(batch_op.f("ix_report_problems_report_id"))
        batch_op.drop_index("ix_report_problems_owner_status")

    op.drop_table("report_problems")
    with op.batch_alter_table("discrepancies", schema=None) as batch_op:
        batch_op.drop_index("ix_discrepancies_unit_period")
        batch_op.drop_index(batch_op.f("ix_discrepancies_report_id"))

    op.drop_table("discrepancies")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_period_unit")

    op.drop_table("reports")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_unit")
        batch_op.drop_index("ix_alerts_target_ack")

    op.drop_table("alerts")
    op.drop_table("reporting_schedules")
    op.drop_table("job_locks")
