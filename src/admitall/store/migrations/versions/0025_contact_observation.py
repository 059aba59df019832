"""contact_observation: tracing and medical observation (issue 17 §1, §2)

- `exposures`: a contact exposed to a case (date, setting, closeness), one row per pair;
- `observations`: each contact's observation window (from the last exposure, the policy's days), its state;
- `observation_checks`: the twice-daily checks (temperature, symptoms), one per person, day and slot.

Going down drops the three tables (and what they held).

Revision ID: 0025_contact_observation
Revises: 0024_record_linkage
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admitall.store.tables import UTCDateTime

revision = "0025_contact_observation"
down_revision = "0024_record_linkage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exposures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("exposed_on", sa.Date(), nullable=False),
        sa.Column("setting", sa.String(length=12), nullable=False),
        sa.Column("closeness", sa.String(length=8), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.CheckConstraint("setting IN ('household', 'work', 'transport', 'care')", name=op.f("ck_exposures_setting")),
        sa.CheckConstraint("closeness IN ('close', 'medium', 'casual')", name=op.f("ck_exposures_closeness")),
        sa.CheckConstraint("contact_id <> case_id", name=op.f("ck_exposures_not_self")),
        sa.ForeignKeyConstraint(["contact_id"], ["persons.id"], name=op.f("fk_exposures_contact_id_persons")),
        sa.ForeignKeyConstraint(["case_id"], ["persons.id"], name=op.f("fk_exposures_case_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposures")),
    )
    op.create_index("ux_exposures_contact_case", "exposures", ["contact_id", "case_id"], unique=True)
    op.create_index("ix_exposures_case", "exposures", ["case_id", "contact_id"])
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("due_from", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("state IN ('active', 'converted', 'released', 'ended')", name=op.f("ck_observations_state")),
        sa.CheckConstraint("starts_on < ends_on", name=op.f("ck_observations_window")),
        sa.CheckConstraint(
            "(state = 'active') = (closed_at IS NULL)", name=op.f("ck_observations_closed_iff_not_active")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_observations_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observations")),
    )
    op.create_index("ix_observations_person_state", "observations", ["person_id", "state"])
    op.create_table(
        "observation_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("symptoms", sa.String(length=120), server_default="", nullable=False),
        sa.Column("alarming", sa.Boolean(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("team_unit", sa.String(length=12), nullable=False),
        sa.CheckConstraint("slot >= 0", name=op.f("ck_observation_checks_slot")),
        sa.CheckConstraint("temperature >= 34 AND temperature <= 43", name=op.f("ck_observation_checks_temperature")),
        sa.ForeignKeyConstraint(
            ["observation_id"], ["observations.id"], name=op.f("fk_observation_checks_observation_id_observations")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_observation_checks_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation_checks")),
    )
    op.create_index(
        "ux_observation_checks_person_day_slot", "observation_checks", ["person_id", "day", "slot"], unique=True
    )
    op.create_index("ix_observation_checks_day_slot", "observation_checks", ["day", "slot", "person_id"])


def downgrade() -> None:
    op.drop_index("ix_observation_checks_day_slot", table_name="observation_checks")
    op.drop_index("ux_observation_checks_person_day_slot", table_name="observation_checks")
    op.drop_table("observation_checks")
    op.drop_index("ix_observations_person_state", table_name="observations")
    op.drop_table("observations")
    op.drop_index("ix_exposures_case", table_name="exposures")
    op.drop_index("ux_exposures_contact_case", table_name="exposures")
    op.drop_table("exposures")
