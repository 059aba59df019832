"""help requests: the public help channel (求助登记, issue 16 §1)

- `help_requests`: one row per request a resident made, owned by the community they chose, with its urgency and
  deadline, the hash of its follow code, and the registry's person it was linked to;
- `help_request_events`: each request's trail (received, assigned, called, visited, ... closed);
- `help_throttle`: submissions per phone and per client address, failed status look-ups per address, counted in
  the database so that the limits hold across workers.

Going down drops the three (the requests are gone with them; the people they registered stay in the registry).

Revision ID: 0023_help_requests
Revises: 0022_province_level
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admitall.store.tables import UTCDateTime

revision = "0023_help_requests"
down_revision = "0022_province_level"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=10), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("for_whom", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("document_type", sa.String(length=20), nullable=True),
        sa.Column("document_number", sa.String(length=24), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("symptoms", sa.String(length=500), server_default="", nullable=False),
        sa.Column("symptoms_since", sa.String(length=10), nullable=True),
        sa.Column("breathless", sa.Boolean(), nullable=False),
        sa.Column("fever_days", sa.Integer(), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("chronic", sa.Boolean(), nullable=False),
        sa.Column("told_contact", sa.Boolean(), nullable=False),
        sa.Column("tested_positive", sa.Boolean(), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("deadline_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("acted_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("close_reason", sa.String(length=20), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.String(length=20), nullable=True),
        sa.Column("linked_at", UTCDateTime(), nullable=True),
        sa.Column("repeats", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_help_requests_unit_code_units")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_help_requests_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_help_requests_number")),
    )
    op.create_index("ix_help_requests_unit_state", "help_requests", ["unit_code", "state", "deadline_at"])
    op.create_index("ix_help_requests_dup", "help_requests", ["phone", "unit_code", "state"])
    op.create_index("ix_help_requests_state_received", "help_requests", ["state", "received_at"])
    op.create_index("ix_help_requests_linked", "help_requests", ["linked_at"])
    op.create_table(
        "help_request_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["help_requests.id"], name=op.f("fk_help_request_events_request_id_help_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_request_events")),
    )
    op.create_index("ix_help_request_events_request", "help_request_events", ["request_id", "id"])
    op.create_table(
        "help_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_throttle")),
    )
    op.create_index("ix_help_throttle_kind_key_at", "help_throttle", ["kind", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_help_throttle_kind_key_at", table_name="help_throttle")
    op.drop_table("help_throttle")
    op.drop_index("ix_help_request_events_request", table_name="help_request_events")
    op.drop_table("help_request_events")
    for index in ("ix_help_requests_linked", "ix_help_requests_state_received", "ix_help_requests_dup"):
        op.drop_index(index, table_name="help_requests")
    op.drop_index("ix_help_requests_unit_state", table_name="help_requests")
    op.drop_table("help_requests")
