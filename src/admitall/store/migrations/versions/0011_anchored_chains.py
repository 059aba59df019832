"""anchored chains: the hash chains keyed outside the database and extended to the audit, alerts, directives and
discrepancies, with each chain's head kept per day

Chains written before are re-sealed here with the key (ADMITALL_SECRET_KEY, or the key file of a SQLite database,
admitall.keys): each record whose bare hash still matched is given its keyed HMAC; a record that no longer matched
keeps its old hash, so that `admitall verify` goes on naming it. A database holding records cannot be upgraded
without the key. The token signing secret that was kept in the database is removed (tokens are signed with a key
derived from ADMITALL_SECRET_KEY; everyone signs in again).

Revision ID: 0011_anchored_chains
Revises: 0010_signin_throttle
Create Date: 2026-12-06 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from admitall.domain.chain import (
    ALERT_FIELDS,
    ALERT_STATE,
    GENESIS,
    RECIPIENT_STATE,
    REPORT_FIELDS,
    audit_record,
    directive_record,
    event_record,
    fields,
    link,
    report_record,
    seal,
)
from admitall.keys import missing_key, resolve
from admitall.settings import get_settings
from admitall.store.tables import UTCDateTime

revision = "0011_anchored_chains"
down_revision = "0010_signin_throttle"
branch_labels = None
depends_on = None

BATCH = 5000
T = UTCDateTime


def upgrade() -> None:
    for table, columns in (
        ("audit_log", ("hash",)),
        ("alerts", ("hash", "seal")),
        ("directives", ("hash",)),
        ("directive_recipients", ("seal",)),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in columns:
                batch_op.add_column(sa.Column(name, sa.String(length=64), server_default="", nullable=False))
    op.create_table(
        "chain_heads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("through", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("total", sa.String(length=64), nullable=False),
        sa.Column("hmac", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_heads")),
        sa.UniqueConstraint("chain", "through", name=op.f("uq_chain_heads_chain")),
    )
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM instance_secrets WHERE name = 'token_signing'"))
    if any(
        conn.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() is not None
        for t in ("person_events", "reports", "audit_log", "alerts", "directives")
    ):
        keys = resolve(get_settings().secret_key, conn.engine.url.render_as_string(hide_password=False))
        if not keys.available:
            raise missing_key()
        key = keys.chain
        _events(conn, key)
        _reports(conn, key)
        _audit(conn, key)
        _alerts(conn, key)
        _directives(conn, key)


def _rows(conn: Any, table: Any, order: list[Any]) -> Iterator[dict[str, Any]]:
    for row in conn.execute(sa.select(table).order_by(*order)).mappings():
        yield dict(row)


def _update(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        names = [k for k in rows[0] if k != "id"]
        sets = ", ".join(f"{k} = :{k}" for k in names)
        conn.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"), rows)


def _events(conn: Any, key: bytes) -> None:
    """Each person's chain, re-sealed link by link; a record whose bare hash no longer matched keeps it."""
    table = sa.table(
        "person_events",
        *(sa.column(c) for c in ("id", "person_id", "seq", "kind", "actor", "source", "reason", "prev_hash", "hash")),
        sa.column("occurred_at", T()),
        sa.column("recorded_at", T()),
        sa.column("data", sa.JSON()),
    )
    person, old_prev, new_prev, batch = None, GENESIS, GENESIS, []
    for r in list(_rows(conn, table, [table.c.person_id, table.c.seq])):
        if r["person_id"] != person:
            person, old_prev, new_prev = r["person_id"], GENESIS, GENESIS
        record = event_record(
            r["person_id"], r["seq"], r["kind"], r["occurred_at"], r["recorded_at"], r["actor"], r["source"],
            r["reason"], r["data"],
        )  # fmt: skip
        intact = r["prev_hash"] == old_prev and link(r["prev_hash"], record) == r["hash"]
        digest = seal(key, new_prev, record) if intact else r["hash"]
        batch.append({"id": r["id"], "prev_hash": new_prev if intact else r["prev_hash"], "hash": digest})
        old_prev, new_prev = r["hash"], digest
        if len(batch) >= BATCH:
            _update(conn, "person_events", batch)
            batch = []
    _update(conn, "person_events", batch)


def _reports(conn: Any, key: bytes) -> None:
    """Each unit's chain; the discrepancies found in a report are now covered by its HMAC too."""
    json_fields = ("reported", "registry", "field")
    times = ("period_start", "received_at")
    plain = [c for c in REPORT_FIELDS if c not in json_fields + times]
    table = sa.table(
        "reports",
        *(sa.column(c) for c in ("id", "prev_hash", "hash", *plain)),
        *(sa.column(c, sa.JSON()) for c in json_fields),
        *(sa.column(c, T()) for c in times),
    )
    problems: dict[int, list[dict[str, Any]]] = {}
    query = "SELECT report_id, type, severity, description, needs_help FROM report_problems ORDER BY id"
    for p in conn.execute(sa.text(query)).mappings():
        problems.setdefault(p["report_id"], []).append({**p, "needs_help": bool(p["needs_help"])})
    found: dict[int, list[dict[str, Any]]] = {}
    for d in conn.execute(sa.text("SELECT report_id, figure, reported, registry FROM discrepancies")).mappings():
        found.setdefault(d["report_id"], []).append(dict(d))
    unit, old_prev, new_prev, batch = None, GENESIS, GENESIS, []
    for r in list(_rows(conn, table, [table.c.unit_code, table.c.id])):
        if r["unit_code"] != unit:
            unit, old_prev, new_prev = r["unit_code"], GENESIS, GENESIS
        r["on_time"] = bool(r["on_time"])
        sent = problems.get(r["id"], [])
        bare = {k: v for k, v in report_record(r, sent, []).items() if k != "discrepancies"}
        intact = r["prev_hash"] == old_prev and link(r["prev_hash"], bare) == r["hash"]
        digest = seal(key, new_prev, report_record(r, sent, found.get(r["id"], []))) if intact else r["hash"]
        batch.append({"id": r["id"], "prev_hash": new_prev if intact else r["prev_hash"], "hash": digest})
        old_prev, new_prev = r["hash"], digest
    _update(conn, "reports", batch)


def _audit(conn: Any, key: bytes) -> None:
    table = sa.table(
        "audit_log",
        *(sa.column(c) for c in ("id", "actor", "action", "target_type", "target_id", "unit_code")),
        sa.column("at", T()),
        sa.column("detail", sa.JSON()),
    )
    batch = []
    for r in _rows(conn, table, [table.c.id]):
        record = audit_record(
            r["at"], r["actor"], r["action"], r["target_type"], r["target_id"], r["unit_code"], r["detail"]
        )
        batch.append({"id": r["id"], "hash": seal(key, GENESIS, record)})
    for i in range(0, len(batch), BATCH):
        _update(conn, "audit_log", batch[i : i + BATCH])


def _alerts(conn: Any, key: bytes) -> None:
    times = ("period_start", "raised_at", "resolved_at", "acknowledged_at")
    others = [c for c in (*ALERT_FIELDS, *ALERT_STATE) if c not in (*times, "detail")]
    table = sa.table(
        "alerts", sa.column("id"), *(sa.column(c) for c in others), *(sa.column(c, T()) for c in times),
        sa.column("detail", sa.JSON()),
    )  # fmt: skip
    batch = []
    for r in _rows(conn, table, [table.c.id]):
        digest = seal(key, GENESIS, fields(r, ALERT_FIELDS))
        batch.append({"id": r["id"], "hash": digest, "seal": seal(key, digest, fields(r, ALERT_STATE))})
    _update(conn, "alerts", batch)


def _directives(conn: Any, key: bytes) -> None:
    times = ("issued_at", "due_at")
    table = sa.table(
        "directives", *(sa.column(c) for c in ("id", "issuer", "issuer_unit", "title", "body", "broadcast_level")),
        *(sa.column(c, T()) for c in times), sa.column("target", sa.JSON()),
    )  # fmt: skip
    r_times = ("due_at", "acknowledged_at", "completed_at")
    receipts_table = sa.table(
        "directive_recipients", sa.column("id"),
        *(sa.column(c) for c in ("official_id", *RECIPIENT_STATE) if c not in r_times),
        *(sa.column(c, T()) for c in r_times),
    )  # fmt: skip
    receipts: dict[int, list[dict[str, Any]]] = {}
    for x in _rows(conn, receipts_table, [receipts_table.c.id]):
        receipts.setdefault(x["directive_id"], []).append(x)
    batch, sealed = [], []
    for r in _rows(conn, table, [table.c.id]):
        sent = receipts.get(r["id"], [])
        digest = seal(key, GENESIS, directive_record(r, sent))
        batch.append({"id": r["id"], "hash": digest})
        sealed.extend({"id": x["id"], "seal": seal(key, digest, fields(x, RECIPIENT_STATE))} for x in sent)
    _update(conn, "directives", batch)
    _update(conn, "directive_recipients", sealed)


def downgrade() -> None:
    op.drop_table("chain_heads")
    for table, columns in (
        ("directive_recipients", ("seal",)),
        ("directives", ("hash",)),
        ("alerts", ("seal", "hash")),
        ("audit_log", ("hash",)),
    ):
        for name in columns:  # a plain DROP COLUMN: rebuilding a table that others reference breaks their keys
            op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
