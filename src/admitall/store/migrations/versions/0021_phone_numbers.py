"""phone numbers: landlines and numbers abroad, stored in E.164 (issue 14 §6)

`persons.phone` and `officials.phone` were 11 characters, a mainland mobile's digits. A landline or a number
abroad is stored in E.164 with an optional extension ('+862785551234;ext=123', domain.identity.normalize_phone):
at most 32 characters. SQLite does not enforce a declared length, so only PostgreSQL's columns change (a wider
varchar is a catalogue change there, no table rewrite); on SQLite a table rebuild would only cost the triggers.
Going down, a number longer than 11 characters cannot be kept and is emptied.

Revision ID: 0021_phone_numbers
Revises: 0020_watch_change_log
Create Date: 2026-12-07 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_phone_numbers"
down_revision = "0020_watch_change_log"
branch_labels = None
depends_on = None

TABLES = ("persons", "officials")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.alter_column(table, "phone", type_=sa.String(32), existing_type=sa.String(11), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"UPDATE {table} SET phone = NULL WHERE length(phone) > 11")
        op.alter_column(table, "phone", type_=sa.String(11), existing_type=sa.String(32), existing_nullable=True)
