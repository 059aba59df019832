"""record_linkage: candidate pairs of people who may be the same, and the merges made (issue 16 §2)

- `link_pairs`: the review queue of `admitall link` and the imports (store.tables_linkage);
- `person_merges`: each merge with what its unmerge restores.

Going down drops both; people merged away stay as they are (ruled out, with their merge event in their history).

Revision ID: 0024_record_linkage
Revises: 0023_help_requests
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admitall.store.tables import UTCDateTime

revision = "0024_record_linkage"
down_revision = "0023_help_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_a", sa.Integer(), nullable=False),
        sa.Column("person_b", sa.Integer(), nullable=False),
        sa.Column("unit_a", sa.String(length=12), nullable=False),
        sa.Column("unit_b", sa.String(length=12), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("found_by", sa.String(length=20), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=60), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("person_a < person_b", name=op.f("ck_link_pairs_ordered")),
        sa.CheckConstraint("state IN ('review', 'merged', 'distinct', 'unmerged')", name=op.f("ck_link_pairs_state")),
        sa.ForeignKeyConstraint(["person_a"], ["persons.id"], name=op.f("fk_link_pairs_person_a_persons")),
        sa.ForeignKeyConstraint(["person_b"], ["persons.id"], name=op.f("fk_link_pairs_person_b_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_pairs")),
        sa.UniqueConstraint("person_a", "person_b", name=op.f("uq_link_pairs_person_a_person_b")),
    )
    op.create_index("ix_link_pairs_state_units", "link_pairs", ["state", "unit_a", "unit_b"])
    op.create_index("ix_link_pairs_person_b", "link_pairs", ["person_b"])
    op.create_table(
        "person_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("merged_at", UTCDateTime(), nullable=False),
        sa.Column("merged_by", sa.String(length=60), nullable=False),
        sa.Column("survivor_before", sa.JSON(), nullable=False),
        sa.Column("merged_before", sa.JSON(), nullable=False),
        sa.Column("survivor_version", sa.Integer(), nullable=False),
        sa.Column("unmerged_at", UTCDateTime(), nullable=True),
        sa.Column("unmerged_by", sa.String(length=60), nullable=True),
        sa.CheckConstraint("survivor_id <> merged_id", name=op.f("ck_person_merges_two_people")),
        sa.ForeignKeyConstraint(["pair_id"], ["link_pairs.id"], name=op.f("fk_person_merges_pair_id_link_pairs")),
        sa.ForeignKeyConstraint(["survivor_id"], ["persons.id"], name=op.f("fk_person_merges_survivor_id_persons")),
        sa.ForeignKeyConstraint(["merged_id"], ["persons.id"], name=op.f("fk_person_merges_merged_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merges")),
    )
    op.create_index("ix_person_merges_merged", "person_merges", ["merged_id", "unmerged_at"])
    op.create_index("ix_person_merges_survivor", "person_merges", ["survivor_id"])


def downgrade() -> None:
    op.drop_index("ix_person_merges_survivor", table_name="person_merges")
    op.drop_index("ix_person_merges_merged", table_name="person_merges")
    op.drop_table("person_merges")
    op.drop_index("ix_link_pairs_person_b", table_name="link_pairs")
    op.drop_index("ix_link_pairs_state_units", table_name="link_pairs")
    op.drop_table("link_pairs")
