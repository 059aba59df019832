"""alert running miss (issue 14): one open alert per broken link

An alert now has a life after it was raised, sealed with its acknowledgement (domain.chain.ALERT_LIFE): a running
miss (periods_missed, last_period_start), the report that resolved it (resolved_report), its expiry into the
record when a later period was reported (expired_at), where it has gone up the chain (escalated_to, escalated_at,
escalations: the same alert, no longer a copy per level), and the alert it was folded into (folded_into).

An index of the unsettled alerts (kind, unit) lets the watch read each unit's running miss every round without
the alerts settled long ago.

The alerts raised before are folded, never deleted (the day's chain heads count them):
- a copy raised to go one level up (step > 0) is folded into its step 0, which takes the level it had reached;
- a unit's missing-report alerts for periods before its latest reported period expire into the record;
- the unit's open missing-report alerts after that are folded into the first of them, which counts the periods
  (连续缺报 N 期) and names the last.
Each row changed is sealed again with the key (as 0011 does) when its seal held before; a row already tampered
with keeps its old seal and stays named by `admitall verify`.

Revision ID: 0018_alert_running_miss
Revises: 0017_unit_boundaries
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from admitall.domain.chain import ALERT_FIELDS, ALERT_LIFE, ALERT_STATE, fields, same, seal
from admitall.keys import missing_key, resolve
from admitall.settings import get_settings
from admitall.store.tables import UTCDateTime

revision = "0018_alert_running_miss"
down_revision = "0017_unit_boundaries"
branch_labels = None
depends_on = None

MISSING = "missing_report"
# each unit's running misses (the watch reads them every round): an index of the unsettled alerts only
UNSETTLED = "resolved_at IS NULL AND expired_at IS NULL AND folded_into IS NULL"
TIMES = (
    "period_start",
    "raised_at",
    "resolved_at",
    "acknowledged_at",
    "last_period_start",
    "expired_at",
    "escalated_at",
)


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("periods_missed", sa.Integer(), nullable=True),
        sa.Column("last_period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_report", sa.Integer(), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_to", sa.String(length=12), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=True),
        sa.Column("folded_into", sa.Integer(), nullable=True),
    ]


def _alerts(life: bool) -> Any:
    names = [*ALERT_FIELDS, *ALERT_STATE, *(ALERT_LIFE if life else ())]
    return sa.table(
        "alerts",
        sa.column("id"),
        sa.column("hash"),
        sa.column("seal"),
        *(
            sa.column(c, UTCDateTime()) if c in TIMES else sa.column(c, sa.JSON()) if c == "detail" else sa.column(c)
            for c in names
        ),
    )


def _seal(key: bytes, row: dict[str, Any], life: bool) -> str:
    extra = tuple(k for k in ALERT_LIFE if life and row.get(k) is not None)
    return seal(key, str(row["hash"]), fields(row, ALERT_STATE + extra))


def _key(conn: Any, *, required: bool = True) -> bytes | None:
    keys = resolve(get_settings().secret_key, conn.engine.url.render_as_string(hide_password=False))
    if not keys.available:
        if not required:
            return None
        raise missing_key()
    return keys.chain


def upgrade() -> None:
    for column in _columns():
        op.add_column("alerts", column)
    op.create_index(
        "ix_alerts_unsettled_kind_unit",
        "alerts",
        ["kind", "unit_code"],
        sqlite_where=sa.text(UNSETTLED),
        postgresql_where=sa.text(UNSETTLED),
    )
    conn = op.get_bind()
    table = _alerts(life=True)
    rows = {r["id"]: dict(r) for r in conn.execute(sa.select(table).order_by(table.c.id)).mappings()}
    if not rows:
        return
    changes = _folds(conn, rows, datetime.now(UTC))
    if changes:
        _write(conn, table, rows, changes, _key(conn), before=False)


def _folds(conn: Any, rows: dict[int, dict[str, Any]], now: datetime) -> dict[int, dict[str, Any]]:
    """The values each alert takes: escalation copies folded into their step 0, old misses expired, a unit's open
    misses after its latest report folded into the first."""
    changes: dict[int, dict[str, Any]] = defaultdict(dict)
    links: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in rows.values():
        links[(r["kind"], r["unit_code"], r["period_start"], r["subject_id"])].append(r)
    heads = []
    for steps in links.values():
        steps.sort(key=lambda r: r["step"])
        first, top = steps[0], steps[-1]
        if first["step"] != 0:
            heads.extend(steps)
            continue
        heads.append(first)
        if top is not first:
            changes[first["id"]].update(
                escalated_to=top["target_unit"], escalated_at=top["raised_at"], escalations=top["step"]
            )
            for r in steps[1:]:
                changes[r["id"]]["folded_into"] = first["id"]
    reports = sa.table("reports", sa.column("unit_code"), sa.column("period_start", UTCDateTime()))
    latest_report = sa.func.max(reports.c.period_start, type_=UTCDateTime())
    reported = dict(conn.execute(sa.select(reports.c.unit_code, latest_report).group_by(reports.c.unit_code)).all())
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in heads:
        if r["kind"] != MISSING or r["resolved_at"] is not None or r["period_start"] is None:
            continue
        latest = reported.get(r["unit_code"])
        if latest is not None and r["period_start"] < latest:
            changes[r["id"]]["expired_at"] = now
        elif r["acknowledged_at"] is None and r["step"] == 0:
            runs[r["unit_code"]].append(r)
    for run in runs.values():
        run.sort(key=lambda r: r["period_start"])
        first = run[0]
        changes[first["id"]].update(periods_missed=len(run), last_period_start=run[-1]["period_start"])
        for r in run[1:]:
            changes[r["id"]]["folded_into"] = first["id"]
    return changes


def _write(
    conn: Any,
    table: Any,
    rows: dict[int, dict[str, Any]],
    changes: dict[int, dict[str, Any]],
    key: bytes | None,
    before: bool,
) -> None:
    """Each change written; sealed again (the new way, or the old way going down) where the seal held and the
    key is at hand (without it, going down, the seal is left as it was and verification names the row)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for alert_id, values in changes.items():
        row = rows[alert_id]
        held = key is not None and same(_seal(key, row, life=True), row["seal"])
        new = {**row, **values}
        sealed = _seal(key, new, life=not before) if key is not None and held else row["seal"]
        by_columns[tuple(sorted(values))].append(
            {"b_id": alert_id, "b_seal": sealed, **{f"b_{k}": v for k, v in values.items()}}
        )
    for names, params in by_columns.items():
        statement = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("b_id"))
            .values(
                {k: sa.bindparam(f"b_{k}", type_=table.c[k].type) for k in names} | {"seal": sa.bindparam("b_seal")}
            )
        )
        conn.execute(statement, params)


def downgrade() -> None:
    """The life of each alert is dropped: an alert expired or folded is marked resolved (the older code's only
    way to say it waits for nothing), and an alert whose seal held is sealed again the older way."""
    conn = op.get_bind()
    table = _alerts(life=True)
    rows = {r["id"]: dict(r) for r in conn.execute(sa.select(table).order_by(table.c.id)).mappings()}
    lived = {i: r for i, r in rows.items() if any(r[k] is not None for k in ALERT_LIFE)}
    if lived:
        key = _key(conn, required=False)  # going far down (below 0011) re-seals every alert on the way up again
        now = datetime.now(UTC)
        changes: dict[int, dict[str, Any]] = {}
        for alert_id, r in lived.items():
            closed = r["resolved_at"] or r["expired_at"] or (now if r["folded_into"] is not None else None)
            changes[alert_id] = {"resolved_at": closed}
        _write(conn, _alerts(life=False), rows, changes, key, before=True)
    op.drop_index("ix_alerts_unsettled_kind_unit", table_name="alerts")
    for column in reversed(_columns()):
        if conn.dialect.name == "sqlite":
            op.execute(f"ALTER TABLE alerts DROP COLUMN {column.name}")
        else:
            op.drop_column("alerts", column.name)
