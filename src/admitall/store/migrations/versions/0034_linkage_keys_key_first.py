"""linkage keys lead with the key: (name, unit) and (birth date, unit) instead of (unit, name) and (unit, birth date)

The arrival linkage (services.linkage_arrivals) seeks each (community, name) and (community, birth date) pair; it
needs both columns, in either order. Led by the unit, the indexes of 0032 tied with ix_persons_unit_status for
every query over a range of units with a status — a subtree's contacts, a team's list — and SQLite, which keeps
no statistics here, took the birth-date index, which cannot test the status before reading each person's row.
Led by the key, no range of units can use them.

Revision ID: 0034_linkage_keys_key_first
Revises: 0033_chain_stamp_indexes
Create Date: 2026-12-07 23:45:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0034_linkage_keys_key_first"
down_revision = "0033_chain_stamp_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain CREATE/DROP INDEX (no batch mode): the table keeps its triggers
    op.drop_index("ix_persons_unit_birth", table_name="persons")
    op.drop_index("ix_persons_unit_name", table_name="persons")
    op.create_index("ix_persons_name_unit", "persons", ["name", "unit_code"])
    op.create_index("ix_persons_birth_unit", "persons", ["birth_date", "unit_code"])


def downgrade() -> None:
    op.drop_index("ix_persons_birth_unit", table_name="persons")
    op.drop_index("ix_persons_name_unit", table_name="persons")
    op.create_index("ix_persons_unit_name", "persons", ["unit_code", "name"])
    op.create_index("ix_persons_unit_birth", "persons", ["unit_code", "birth_date"])
