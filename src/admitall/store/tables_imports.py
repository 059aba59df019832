"""What an import leaves for the person who sent it: the rows it rejected, kept a while so that the web import can
offer them as a file to fix and send again (services.registration.rejects). They share the schema's metadata
(store.tables)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, String, Table

from admitall.store.tables import UTCDateTime, metadata

# one row per import that rejected rows: who imported (only they may have the file), when, and the rejections
# (row, problems in both languages, the row as it came) as zlib-compressed JSON
import_rejects = Table(
    "import_rejects",
    metadata,
    Column("import_id", Integer, ForeignKey("import_batches.id"), primary_key=True, autoincrement=False),
    Column("username", String(60), nullable=False, index=True),
    Column("kept_at", UTCDateTime(), nullable=False, index=True),
    Column("rejected", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
)
