"""name search by pieces: people's names are searched through the index of their one- and two-character pieces
only (store.name_search), whatever the database's character type; the trigram index on people's names, which
served nothing any more and cost every registration a GIN update, is dropped (PostgreSQL only)

Revision ID: 0031_name_search_pieces
Revises: 0030_verify_checkpoints
Create Date: 2026-12-07 13:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0031_name_search_pieces"
down_revision = "0030_verify_checkpoints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_persons_name_trgm")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_persons_name_trgm ON persons USING gin (name gin_trgm_ops)")
