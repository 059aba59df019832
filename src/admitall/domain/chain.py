"""Hash chains (tamper evidence): each record carries the hash of the one before it in its chain.

A person's events form one chain, a unit's reports another. Changing a stored record behind the system's back
changes its hash, which then no longer matches the hash stored with it, nor the `prev_hash` of the next record:
`admitall verify` walks the chains and names such records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = ""


def canonical(value: Any) -> bytes:
    """One text for one value, whatever the database gave back: UTF-8 JSON, keys sorted, no spaces, times as
    RFC 3339 (the records put them in UTC first)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def link(prev_hash: str, record: Mapping[str, Any]) -> str:
    """The hash of a record chained to the one before it."""
    return hashlib.sha256(prev_hash.encode() + b"|" + canonical(record)).hexdigest()


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
