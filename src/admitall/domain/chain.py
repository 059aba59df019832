"""Hash chains (tamper evidence), keyed outside the database.

A person's events form one chain, a unit's reports another (a report covers its problems and discrepancies, a
directive the units it was sent to). Each record carries an HMAC-SHA256, under a key derived from
ADMITALL_SECRET_KEY, of its fields and the previous record's HMAC: changing a stored record behind the system's
back breaks its HMAC and the next record's link, and nobody without the key can compute a new one. The audit
log, alerts, directives and their recipients carry an HMAC of their own (`seal` for a record whose state
legitimately changes later: an alert acknowledged, a directive completed).

Deletions: each family of records (every event, every report, every audit entry, ...) is summed into a head per
day (`fold`: how many records were stamped before the day's end and the sum of their HMACs), itself keyed
(`head_mac`) and kept in the database, and printed in the public bulletin. A record removed afterwards makes the
family fall short of a head it was counted in.

`link` is the bare SHA-256 of the chains before they were keyed (migration 0003 wrote it; 0011 re-sealed them).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = ""
# the sum of the HMACs of a family is kept modulo this (the HMACs are 256-bit numbers)
MODULUS = 1 << 256


def canonical(value: Any) -> bytes:
    """One text for one value, whatever the database gave back: UTF-8 JSON, keys sorted, no spaces, times as
    RFC 3339 (the records put them in UTC first)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def link(prev_hash: str, record: Mapping[str, Any]) -> str:
    """The bare hash of a record chained to the one before it, as written before the chains were keyed."""
    return hashlib.sha256(prev_hash.encode() + b"|" + canonical(record)).hexdigest()


def derive(secret: str, purpose: str) -> bytes:
    """A key for one purpose ("chains", "tokens") derived from the deployment's secret."""
    return hmac.new(secret.encode(), b"admitall/" + purpose.encode(), hashlib.sha256).digest()


def seal(key: bytes, prev_hash: str, record: Mapping[str, Any]) -> str:
    """The keyed hash of a record chained to the one before it (GENESIS for the first, or for a record of its
    own)."""
    return hmac.new(key, prev_hash.encode() + b"|" + canonical(record), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def fold(total: int, digest: str) -> int:
    """Add one record's HMAC to a family's running sum (order does not matter; a missing record changes it)."""
    return (total + int(digest or "0", 16)) % MODULUS


def sum_hex(total: int) -> str:
    return f"{total:064x}"


def head_mac(key: bytes, chain: str, through: datetime, count: int, total: int) -> str:
    """The keyed head of a family: how many of its records were stamped before `through`, and their sum."""
    record = {"chain": chain, "through": through.astimezone(UTC), "count": count, "sum": sum_hex(total)}
    return seal(key, GENESIS, record)


def event_record(
    person_id: int,
    seq: int,
    kind: str,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: str,
    source: str,
    reason: str | None,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """The fields of a person's event that its hash covers."""
    return {
        "person": person_id,
        "seq": seq,
        "kind": kind,
        "occurred_at": occurred_at.astimezone(UTC),
        "recorded_at": recorded_at.astimezone(UTC),
        "actor": actor,
        "source": source,
        "reason": reason,
        "data": data,
    }


def audit_record(
    at: datetime,
    actor: str,
    action: str,
    target_type: str | None,
    target_id: str | None,
    unit_code: str | None,
    detail: Mapping[str, Any],
) -> dict[str, Any]:
    """The fields of an audit entry that its HMAC covers."""
    return {
        "at": at.astimezone(UTC),
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "unit": unit_code,
        "detail": detail,
    }


ALERT_FIELDS = (
    "kind", "unit_code", "period_start", "target_unit", "step", "consecutive", "raised_at", "detail", "subject_id",
    "official_id",
)  # fmt: skip
ALERT_STATE = ("resolved_at", "acknowledged_at", "acknowledged_by", "ack_note")
# an alert's life after it was raised (a running miss growing, closed by a report, expired, escalated, folded):
# sealed with its state, each field only once it has a value, so that a seal written before these existed holds
ALERT_LIFE = (
    "periods_missed", "last_period_start", "resolved_report", "expired_at", "escalated_to", "escalated_at",
    "escalations", "folded_into",
)  # fmt: skip
DIRECTIVE_FIELDS = ("issuer", "issuer_unit", "title", "body", "issued_at", "due_at", "target", "broadcast_level")
RECIPIENT_FIELDS = ("unit_code", "official_id", "due_at")
RECIPIENT_STATE = (
    "directive_id", "unit_code", "status", "acknowledged_at", "acknowledged_by", "completed_at", "completed_by",
    "completion_note",
)  # fmt: skip


def _utc(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def fields(row: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a stored row, times in UTC."""
    return {k: _utc(row[k]) for k in names}


def directive_record(row: Mapping[str, Any], recipients: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A directive's HMAC covers it and the units it was sent to (in unit order), as issued."""
    sent = sorted((fields(x, RECIPIENT_FIELDS) for x in recipients), key=lambda x: str(x["unit_code"]))
    return {**fields(row, DIRECTIVE_FIELDS), "recipients": sent}


REPORT_FIELDS = (
    "unit_code", "period_start", "version", "supersedes_id", "correction_reason", "received_at", "on_time",
    "reporter", "attested_by", "idempotency_key", "reported", "registry", "field",
)  # fmt: skip


def report_record(
    row: Mapping[str, Any], problems: Sequence[Mapping[str, Any]], discrepancies: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The fields of a report its HMAC covers: its own, its problems as sent, and the discrepancies found in it."""
    record = {k: row[k] for k in REPORT_FIELDS}
    record["problems"] = [{k: p[k] for k in ("type", "severity", "description", "needs_help")} for p in problems]
    record["discrepancies"] = sorted(
        ({k: d[k] for k in ("figure", "reported", "registry")} for d in discrepancies), key=lambda d: str(d["figure"])
    )
    return record
