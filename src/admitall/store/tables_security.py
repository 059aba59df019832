"""Tables of the server's own defences, kept in the database so that they hold across workers: failed sign-ins and
the lockouts they caused (services.signin), the PDF printer's slots, and the PDFs printed once and kept
(services.printing). They share the schema's metadata (store.tables)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table

from admitall.store.tables import UTCDateTime, metadata

# one row per failed sign-in: the name tried (lower case, whether or not such a user exists) and the client address
signin_failures = Table(
    "signin_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("username", String(60), nullable=False),
    Column("address", String(64), nullable=False),
    Index("ix_signin_failures_username_at", "username", "at"),
    Index("ix_signin_failures_address_at", "address", "at"),
)

# an account (`kind` 'account', key the name) or a client address ('address') refused sign-in until `until`
signin_lockouts = Table(
    "signin_lockouts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("key", String(64), nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("until", UTCDateTime(), nullable=False),
    Index("ix_signin_lockouts_kind_key_until", "kind", "key", "until"),
)

# the printer's slots: a worker prints only while it holds one (at most `print_limit` rows are ever claimed at once);
# a slot left by a worker that died frees itself at `expires_at`
print_slots = Table(
    "print_slots",
    metadata,
    Column("slot", Integer, primary_key=True, autoincrement=False),
    Column("holder", String(100), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# printed PDFs, one per subject (a day's bulletin, a unit's brief for a day) and language: `fingerprint` is the hash
# of exactly what was printed (the figures, the templates and the style), so a changed page is printed again
printed_pdfs = Table(
    "printed_pdfs",
    metadata,
    Column("subject", String(120), primary_key=True),
    Column("lang", String(5), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("printed_at", UTCDateTime(), nullable=False),
    Column("body", LargeBinary, nullable=False),
)
