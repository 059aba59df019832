"""Verification of the records that are not a person's or a unit's chain: every audit entry, every alert (as
raised, and its state now: acknowledged, resolved, expired, grown as a running miss, gone up the chain, folded),
every directive (with the units it was sent to) and every
receipt of it (acknowledged, completed), each against its keyed HMAC (domain.chain). Removals are found by the
day's heads (services.chain_heads)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from admitall.domain.chain import GENESIS, audit_record, directive_record, same, seal
from admitall.services.context import Context
from admitall.store.repositories.directives import receipt_seal
from admitall.store.repositories.reports import alert_hash, alert_seal
from admitall.store.tables import alerts, audit_log
from admitall.store.tables_accountability import directive_recipients, directives

BATCH = 10_000


def audit_entries(ctx: Context, found: list[dict[str, Any]], *, after: int = 0) -> int:
    """Every audit entry with an id above `after` against its HMAC."""
    key = ctx.keys.chain
    checked = 0
    with ctx.engine.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
            select(audit_log).where(audit_log.c.id > after).order_by(audit_log.c.id)
        )
        for r in rows:
            checked += 1
            record = audit_record(r.at, r.actor, r.action, r.target_type, r.target_id, r.unit_code, r.detail)
            if not same(seal(key, GENESIS, record), r.hash):
                found.append(
                    {
                        "table": "audit_log",
                        "id": r.id,
                        "unit": r.unit_code,
                        "problem": "the entry no longer matches its HMAC (changed after it was written)",
                    }
                )
    return checked


def alerts_and_directives(ctx: Context, found: list[dict[str, Any]]) -> dict[str, int]:
    key = ctx.keys.chain
    checked = {"alerts": 0, "directives": 0}
    with ctx.uow() as uow:
        for found_row in uow.conn.execute(select(alerts).order_by(alerts.c.id)).mappings():
            row = dict(found_row)
            checked["alerts"] += 1
            if not same(alert_hash(key, row), row["hash"]):
                problem = "the alert no longer matches its HMAC as raised (changed after it was raised)"
            elif not same(alert_seal(key, row), row["seal"]):
                problem = "its acknowledgement, resolution, expiry or escalation no longer matches its seal"
            else:
                continue
            found.append({"table": "alerts", "id": row["id"], "unit": row["unit_code"], "problem": problem})
        receipts: dict[int, list[dict[str, Any]]] = {}
        for receipt in uow.conn.execute(select(directive_recipients).order_by(directive_recipients.c.id)).mappings():
            receipts.setdefault(receipt["directive_id"], []).append(dict(receipt))
        for directive in uow.conn.execute(select(directives).order_by(directives.c.id)).mappings():
            row = dict(directive)
            checked["directives"] += 1
            sent = receipts.pop(row["id"], [])
            if not same(seal(key, GENESIS, directive_record(row, sent)), row["hash"]):
                found.append(
                    {
                        "table": "directives",
                        "id": row["id"],
                        "unit": row["issuer_unit"],
                        "problem": "the directive or the units it was sent to no longer match its HMAC",
                    }
                )
            for x in sent:
                if not same(receipt_seal(key, row["hash"], x), x["seal"]):
                    found.append(
                        {
                            "table": "directive_recipients",
                            "id": x["id"],
                            "unit": x["unit_code"],
                            "problem": "its acknowledgement or completion no longer matches its seal",
                        }
                    )
        for directive_id, sent in receipts.items():
            for x in sent:
                found.append(
                    {
                        "table": "directive_recipients",
                        "id": x["id"],
                        "unit": x["unit_code"],
                        "problem": f"received a directive {directive_id} that is not there (removed?)",
                    }
                )
    return checked
