"""arrival linkage keys: a community's people found by name or by birth date through an index (issue 13)

services.linkage_arrivals looks each arrival up in its own community by the same name or the same birth date.
Without these indexes that lookup read every person ever registered in the arrivals' communities (about 30,000
rows for an hour of the twin's 250 registrations on its 25th day, 150 ms), so its cost grew with the registry;
with them it seeks each (community, name) and (community, birth date) pair.

Revision ID: 0032_arrival_linkage_keys
Revises: 0031_name_search_pieces
Create Date: 2026-12-07 20:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0032_arrival_linkage_keys"
down_revision = "0031_name_search_pieces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain CREATE INDEX (no batch mode): the table keeps its triggers
    op.create_index("ix_persons_unit_name", "persons", ["unit_code", "name"])
    op.create_index("ix_persons_unit_birth", "persons", ["unit_code", "birth_date"])


def downgrade() -> None:
    op.drop_index("ix_persons_unit_birth", table_name="persons")
    op.drop_index("ix_persons_unit_name", table_name="persons")
