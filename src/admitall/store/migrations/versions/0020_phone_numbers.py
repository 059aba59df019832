"""phone numbers and import rejects: landlines and numbers abroad stored in E.164; an import's rejected rows kept
for the one who imported (issue 14 §6)

`persons.phone` and `officials.phone` were 11 characters, a mainland mobile's digits. A landline or a number
abroad is stored in E.164 with an optional extension ('+862785551234;ext=123', domain.identity.normalize_phone):
at most 32 characters. SQLite does not enforce a declared length, so only PostgreSQL's columns change (a wider
varchar is a catalogue change there, no table rewrite); on SQLite a table rebuild would only cost the triggers.
Going down, a number longer than 11 characters cannot be kept and is emptied.

`import_rejects`: the rows an import rejected, kept for the user who imported (store.tables_imports).

Revision ID: 0020_phone_numbers
Revises: 0019_list_search
Create Date: 2026-12-07 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_phone_numbers"
down_revision = "0019_list_search"
branch_labels = None
depends_on = None

TABLES = ("persons", "officials")


def upgrade() -> None:
    op.create_table(
        "import_rejects",
        sa.Column("import_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["import_batches.id"], name=op.f("fk_import_rejects_import_id_import_batches")
        ),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_import_rejects")),
    )
    with op.batch_alter_table("import_rejects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_rejects_username"), ["username"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_rejects_kept_at"), ["kept_at"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.alter_column(table, "phone", type_=sa.String(32), existing_type=sa.String(11), existing_nullable=True)


def downgrade() -> None:
    op.drop_table("import_rejects")
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"UPDATE {table} SET phone = NULL WHERE length(phone) > 11")
        op.alter_column(table, "phone", type_=sa.String(11), existing_type=sa.String(32), existing_nullable=True)
