"""Personal data retention (PIPL): the names, ID numbers, phones and addresses of people released (out of the four
categories: released, ruled out, dead) before a day are removed; their counts, events and chains stay, and stay
verifiable.

A person's events are chained by HMACs over their content (domain.chain), raw details included. Purging keeps every
event's `hash` (so the person's links and the day's heads hold) after checking it against the raw content one last
time, redacts the event's data, and seals the redacted event chained to that hash (`person_event_redactions`,
migration 0021); verify checks a redacted event against that seal (services.verify). An event whose hash no longer
matches is not redacted (that would launder a tampering): its person is left as is and counted apart, for
`admitall verify` to name. The person's row, and the referral rows that carried their details, are redacted the
same way. Sex and birth date are kept (the policy's age risk and the statistics need them).

Dry run by default (counts only); applying is for an administrator, audited, a few hundred people a transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update

from admitall.domain.access import Role
from admitall.domain.chain import event_record, same, seal
from admitall.domain.errors import Forbidden
from admitall.services.context import Actor, Context
from admitall.store.repositories.persons import in_subtree
from admitall.store.tables import person_events, persons
from admitall.store.tables_linkage import person_merges
from admitall.store.tables_ops import person_event_redactions
from admitall.store.tables_referrals import registration_referrals

REDACTED_NAME = "***"
# what is removed, wherever a person's details are kept: the value left in its place
REDACT: dict[str, Any] = {
    "name": REDACTED_NAME,
    "document_type": None,
    "document_number": None,
    "phone": None,
    "address": None,
    # a referral keeps the row as it came: its own names for the document
    "id_number": None,
    "id_type": None,
}
PERSON_COLUMNS = {k: REDACT[k] for k in ("name", "document_type", "document_number", "phone", "address")}
LEFT = ("released", "excluded", "dead")
BATCH = 500


def redacted(data: dict[str, Any]) -> dict[str, Any]:
    """The data with the personal details it holds replaced (only the keys it has)."""
    return {k: REDACT.get(k, v) for k, v in data.items()}


def _holds_details(data: Any) -> bool:
    return isinstance(data, dict) and any(k in data and data[k] != v for k, v in REDACT.items())


def _eligible(actor: Actor, cutoff: datetime) -> Any:
    """Released before the cutoff, details not yet removed, within the actor's jurisdiction — and, for a record
    merged into another (services.linkage_merge), only once its survivor is released before the cutoff too: an
    unmerge restores both records, so the merged-away one keeps its details as long as its survivor does."""
    p = persons.c
    not_yet = or_(p.name != REDACTED_NAME, p.document_number.is_not(None), p.phone.is_not(None), p.address.is_not(None))
    survivor = persons.alias("survivor")
    m = person_merges.c
    survivor_still_held = (
        select(m.merged_id)
        .join(survivor, survivor.c.id == m.survivor_id)
        .where(m.unmerged_at.is_(None), or_(survivor.c.status.not_in(LEFT), survivor.c.status_since >= cutoff))
    )
    return and_(
        p.status.in_(LEFT),
        p.status_since < cutoff,
        not_yet,
        in_subtree(actor.unit_code),
        p.id.not_in(survivor_still_held),
    )


def purge(ctx: Context, actor: Actor, released_before: date, *, apply: bool = False) -> dict[str, Any]:
    """Count (and with `apply`, purge) the people released before the start of `released_before` (local time)."""
    if actor.role is not Role.ADMIN:
        raise Forbidden(
            "purge.forbidden", "只有管理员可以清除个人信息", "Only an administrator may purge personal data"
        )
    cutoff = datetime.combine(released_before, time(0), tzinfo=ctx.settings.tz)
    with ctx.uow() as uow:
        ids = list(uow.conn.execute(select(persons.c.id).where(_eligible(actor, cutoff))).scalars())
    result: dict[str, Any] = {
        "released_before": released_before.isoformat(),
        "people": len(ids),
        "applied": apply,
        "events_redacted": 0,
        "referrals_redacted": 0,
        "people_skipped_tampered": [],
    }
    if not apply:
        return result
    for start in range(0, len(ids), BATCH):
        _purge_batch(ctx, ids[start : start + BATCH], result)
    with ctx.uow(write=True) as uow:
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            "personal_data_purged",
            "persons",
            None,
            unit=actor.unit_code,
            released_before=released_before.isoformat(),
            people=len(ids) - len(result["people_skipped_tampered"]),
            events=result["events_redacted"],
            skipped=result["people_skipped_tampered"],
        )
        uow.commit()
    result["people"] = len(ids) - len(result["people_skipped_tampered"])
    return result


def _purge_batch(ctx: Context, ids: list[int], result: dict[str, Any]) -> None:
    key = ctx.keys.chain
    e = person_events.c
    with ctx.uow(write=True) as uow:
        by_person: dict[int, list[Any]] = defaultdict(list)
        sealed = select(person_event_redactions.c.event_id)
        found = uow.conn.execute(
            select(person_events).where(e.person_id.in_(ids), e.id.not_in(sealed)).order_by(e.person_id, e.seq)
        )
        for row in found:
            by_person[row.person_id].append(row)
        changes: list[dict[str, Any]] = []
        done: list[int] = []
        for person_id in ids:
            mine, sound = [], True
            for r in by_person.get(person_id, []):
                if not _holds_details(r.data):
                    continue
                record = event_record(
                    r.person_id, r.seq, r.kind, r.occurred_at, r.recorded_at, r.actor, r.source, r.reason, r.data
                )
                if not same(seal(key, r.prev_hash, record), r.hash):
                    sound = False
                    break
                data = redacted(r.data)
                record["data"] = data
                mine.append({"event_id": r.id, "data": data, "seal": seal(key, r.hash, record)})
            if not sound:
                result["people_skipped_tampered"].append(person_id)
                continue
            changes.extend(mine)
            done.append(person_id)
        if changes:
            uow.conn.execute(
                update(person_events).where(e.id == bindparam("event_id")).values(data=bindparam("data")),
                [{"event_id": c["event_id"], "data": c["data"]} for c in changes],
            )
            now = ctx.clock.now()
            uow.conn.execute(
                insert(person_event_redactions),
                [{"event_id": c["event_id"], "seal": c["seal"], "redacted_at": now} for c in changes],
            )
        if done:
            uow.conn.execute(update(persons).where(persons.c.id.in_(done)).values(**PERSON_COLUMNS))
            refs = registration_referrals.c
            referred = uow.conn.execute(select(refs.id, refs.fields).where(refs.person_id.in_(done))).all()
            rows = [{"ref_id": i, "fields": redacted(f)} for i, f in referred if _holds_details(f)]
            if rows:
                uow.conn.execute(
                    update(registration_referrals)
                    .where(refs.id == bindparam("ref_id"))
                    .values(fields=bindparam("fields")),
                    rows,
                )
            result["referrals_redacted"] += len(rows)
        result["events_redacted"] += len(changes)
        uow.commit()
