"""supplies: items, stock movements, requests and allocations (issue 18 §1)

- `supply_sites`: the places that hold stock (a facility, a unit, a warehouse), each in a unit's jurisdiction;
- `supply_movements`: appended receipts, issues, transfer legs, consumption and count corrections (the stock is
  their sum, never a stored total);
- `supply_requests` and `supply_request_lines`: requests up the chain and how each line was decided;
- `supply_shortages`: the shortages the watch round has open (one alert per site and item while open).

The item catalogue is a packaged file (data/supplies.toml), not a table. Going down drops the five.

Revision ID: 0027_supplies
Revises: 0026_survey_campaigns
Create Date: 2026-12-07 06:25:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admitall.store.tables import UTCDateTime

revision = "0027_supplies"
down_revision = "0026_survey_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supply_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_supply_sites_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_sites")),
        sa.UniqueConstraint("kind", "code", name="uq_supply_sites_kind_code"),
    )
    op.create_index("ix_supply_sites_unit", "supply_sites", ["unit_code"])
    op.create_table(
        "supply_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.String(length=200), server_default="", nullable=False),
        sa.Column("counted", sa.Float(), nullable=True),
        sa.Column("transfer_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("estimated", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["supply_sites.id"], name=op.f("fk_supply_movements_site_id_supply_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_movements")),
    )
    op.create_index("ix_supply_movements_site_item", "supply_movements", ["site_id", "item_code", "at"])
    op.create_index("ix_supply_movements_kind_at", "supply_movements", ["kind", "at"])
    op.create_table(
        "supply_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("approver_unit", sa.String(length=12), nullable=False),
        sa.Column("why", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=60), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("source_site_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["supply_sites.id"], name=op.f("fk_supply_requests_site_id_supply_sites")),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_supply_requests_unit_code_units")),
        sa.ForeignKeyConstraint(["approver_unit"], ["units.code"], name=op.f("fk_supply_requests_approver_unit_units")),
        sa.ForeignKeyConstraint(
            ["source_site_id"], ["supply_sites.id"], name=op.f("fk_supply_requests_source_site_id_supply_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_requests")),
    )
    op.create_index("ix_supply_requests_unit_state", "supply_requests", ["unit_code", "state", "created_at"])
    op.create_index("ix_supply_requests_approver_state", "supply_requests", ["approver_unit", "state"])
    op.create_table(
        "supply_request_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=24), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("approved", sa.Float(), nullable=True),
        sa.Column("reason_zh", sa.String(length=200), nullable=True),
        sa.Column("reason_en", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["supply_requests.id"], name=op.f("fk_supply_request_lines_request_id_supply_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_request_lines")),
    )
    op.create_index("ix_supply_request_lines_request", "supply_request_lines", ["request_id"])
    op.create_table(
        "supply_shortages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=24), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("on_hand", sa.Float(), nullable=False),
        sa.Column("per_day", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["supply_sites.id"], name=op.f("fk_supply_shortages_site_id_supply_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_shortages")),
    )
    op.create_index("ix_supply_shortages_open", "supply_shortages", ["ended_at", "site_id", "item_code"])


def downgrade() -> None:
    op.drop_index("ix_supply_shortages_open", table_name="supply_shortages")
    op.drop_table("supply_shortages")
    op.drop_index("ix_supply_request_lines_request", table_name="supply_request_lines")
    op.drop_table("supply_request_lines")
    op.drop_index("ix_supply_requests_approver_state", table_name="supply_requests")
    op.drop_index("ix_supply_requests_unit_state", table_name="supply_requests")
    op.drop_table("supply_requests")
    op.drop_index("ix_supply_movements_kind_at", table_name="supply_movements")
    op.drop_index("ix_supply_movements_site_item", table_name="supply_movements")
    op.drop_table("supply_movements")
    op.drop_index("ix_supply_sites_unit", table_name="supply_sites")
    op.drop_table("supply_sites")
