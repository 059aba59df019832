"""admission rate: how many people a facility can admit in an hour (issue 13; filled by the allocation work)

`facilities.admissions_per_hour`: NULL for no limit, else a whole number of at least 1, checked by the database.
The engine's plan never sends a facility more people in a clock hour than this, counting those it already
admitted or was assigned in that hour.

Revision ID: 0013_admission_rate
Revises: 0012_reporting_indexes
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_admission_rate"
down_revision = "0012_reporting_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admissions_per_hour", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            "admission_rate_positive", "admissions_per_hour IS NULL OR admissions_per_hour >= 1"
        )


def downgrade() -> None:
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_facilities_admission_rate_positive"), type_="check")
        batch_op.drop_column("admissions_per_hour")
