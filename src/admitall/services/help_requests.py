"""Public help requests (求助登记, issue 16 §1): a resident asks for help for themselves or a family member, without
signing in; the request is stored at once and answered with a number and a follow code; it is then linked to the
registry (`link_pending`, run by the watch round and by the desk's "registered"): a known person gets it on their
history, an unknown one is registered in their community's queue through the registration service.

The public side tells nothing else: a status look-up with a wrong code answers exactly as one with a wrong number,
and is throttled per client address; submissions are throttled per phone and per address, capped per phone and
day, and a second request for the same person (phone, name, community) while one is open is folded into it.
Limits live in the settings (help_*), deadlines in the policy file ([help_request_hours]).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from admitall.domain import help as rules
from admitall.domain.access import Role
from admitall.domain.errors import InvalidInput, NotFound, TransitionRefused
from admitall.domain.identity import nfkc
from admitall.domain.lifecycle import help_requested
from admitall.services.changes import save_changes
from admitall.services.context import Actor, Context
from admitall.services.help_intake import PUBLIC, HelpInvalid, count_attempts, submit, too_many
from admitall.services.registration import register_batch
from admitall.services.registration.matching import Matcher, Target, doc_key, name_phone_key
from admitall.store.tables import facilities, person_events
from admitall.store.tables_help import help_request_events, help_requests, help_throttle
from admitall.store.uow import UnitOfWork

# the source of the people requests register
SOURCE = "help_request"
# the registration of unknown residents acts over the whole registry (the request names its community)
REGISTRAR = Actor(username=PUBLIC, role=Role.ADMIN, unit_code=None, display_name=PUBLIC)
LINK_BATCH = 3000  # a watch round links this many at most (in chunks), the rest in the next round
LINK_CHUNK = 25
_r = help_requests.c
__all__ = ["PUBLIC", "HelpInvalid", "link_pending", "link_request", "public_trail", "status", "submit"]


# ---------------------------------------------------------------------------------------------------- following


def _not_found() -> NotFound:
    return NotFound(
        "help.not_found",
        "找不到该求助：请核对求助编号和查询码",
        "No such request: check the request number and the follow code",
    )


def status(ctx: Context, number: str, code: str, client: str) -> dict[str, Any]:
    """The request's trail, for whoever holds its number and code: what happened and when, the community it is
    with and the facility that admitted the patient, the reason it was closed — nothing else. A wrong number and a
    wrong code answer the same; failed look-ups are counted per address and refused beyond the limit."""
    now = ctx.clock.now()
    client = (client or "?")[:64]
    number = nfkc(number or "").strip()
    if not number or not (code or "").strip():
        raise InvalidInput(
            "help.number_and_code",
            "请填写求助编号和查询码",
            "Give the request number and the follow code",
            field="number" if not number else "code",
        )
    with ctx.uow(write=True) as uow:
        window = now - timedelta(minutes=ctx.settings.help_window_minutes)
        if count_attempts(uow, "status", client, window) >= ctx.settings.help_status_failures:
            raise too_many(ctx.settings.help_window_minutes, "查询失败次数过多", "Too many failed look-ups")
        row = uow.conn.execute(select(help_requests).where(_r.number == number[:10])).first() if number else None
        wanted = rules.code_hash(ctx.keys.tokens, number, code or "")
        if row is None or not hmac.compare_digest(row.code_hash, wanted):
            uow.conn.execute(insert(help_throttle).values(at=now, kind="status", key=client))
            uow.commit()
            raise _not_found()
        trail = public_trail(uow, row)
    return {"number": row.number, "state": row.state, "received_at": row.received_at.isoformat(), "trail": trail}


def public_trail(uow: UnitOfWork, row: Any) -> list[dict[str, Any]]:
    """The trail the resident may see: the public kinds only, the community's and the facility's names, and the
    patient's admission (from the registry, after the request) when linked."""
    e = help_request_events.c
    found = [
        {"kind": k, "at": at, "unit_code": d.get("unit_code"), "reason": d.get("reason"), "facility_code": None}
        for k, at, d in uow.conn.execute(
            select(e.kind, e.at, e.detail).where(e.request_id == row.id, e.kind.in_(rules.PUBLIC_KINDS)).order_by(e.id)
        )
    ]
    if row.person_id is not None:
        pe = person_events.c
        for at, data in uow.conn.execute(
            select(pe.occurred_at, pe.data).where(
                pe.person_id == row.person_id, pe.kind == "admitted", pe.occurred_at >= row.received_at
            )
        ):
            found.append(
                {
                    "kind": "admitted",
                    "at": at,
                    "unit_code": None,
                    "reason": None,
                    "facility_code": data.get("facility_code"),
                }
            )
    found.sort(key=lambda x: x["at"])
    # one step once: "registered" by the community and the registration it made, an admission seen twice
    found = [
        x
        for i, x in enumerate(found)
        if i == 0 or (x["kind"], x["unit_code"]) != (found[i - 1]["kind"], found[i - 1]["unit_code"])
    ]
    unit_names = uow.units.names({x["unit_code"] for x in found if x["unit_code"]})
    codes = {x["facility_code"] for x in found if x["facility_code"]}
    facility_names = (
        dict(uow.conn.execute(select(facilities.c.code, facilities.c.name).where(facilities.c.code.in_(codes))).all())
        if codes
        else {}
    )
    return [
        {
            "kind": x["kind"],
            "at": x["at"].isoformat(),
            "unit_name": unit_names.get(x["unit_code"]) if x["unit_code"] else None,
            "facility_name": facility_names.get(x["facility_code"]) if x["facility_code"] else None,
            "reason": x["reason"],
        }
        for x in found
    ]


# ---------------------------------------------------------------------------------------------------- linking


def link_request(uow: UnitOfWork, request: Mapping[str, Any]) -> tuple[int | None, str]:
    """The registry's person a request is about, and what matched (document, name_phone), or (None, "").

    The one place that decides it (H2's record linkage may replace the inside): the registration matcher
    (services.registration.matching) over the same ID number, or the same name and phone without a differing ID
    number. `request` is a help_requests row (name, phone, document_type, document_number, unit_code)."""
    from admitall.domain.identity import Document, DocumentType
    from admitall.domain.intake import PersonInput
    from admitall.domain.people import PersonDetails, Status
    from admitall.services.linkage_merge import survivors

    document = (
        Document(DocumentType(request["document_type"]), request["document_number"])
        if request["document_number"]
        else None
    )
    item = PersonInput(
        PersonDetails(request["name"], request["unit_code"], document, request["phone"]),
        Status.FEVER,
        None,
        frozenset(),
        request["received_at"],
        None,
    )
    doc_ids = uow.persons.ids_by_document([k] if (k := doc_key(item)) else [])
    np_ids = uow.persons.ids_by_name_phone([k] if (k := name_phone_key(item)) else [])
    # a record merged into another (services.linkage_merge) is a pointer: the request lands on the survivor;
    # a resident not found here is registered, and the registration queues a likely duplicate for review
    doc_ids, np_ids = survivors(uow, doc_ids), survivors(uow, np_ids)
    stored = {
        pid: Target(p, [], [], stored_id=pid, stored=p)
        for pid, p in uow.persons.get_many({*doc_ids.values(), *np_ids.values()}).items()
    }
    matcher = Matcher(
        {k: stored[v] for k, v in doc_ids.items() if v in stored},
        {k: stored[v] for k, v in np_ids.items() if v in stored},
        {},
    )
    target, matched_by = matcher.find(item, SOURCE)
    return (target.stored_id, matched_by) if target is not None else (None, "")


def _raw_row(ctx: Context, row: Any) -> dict[str, str | None]:
    """The registration a request makes of an unknown resident (services.registration's row)."""
    a = rules.SelfAssessment(
        row.breathless, row.fever_days, row.age, row.chronic, row.told_contact, row.tested_positive,
        bool(row.symptoms or row.symptoms_since),
    )  # fmt: skip
    status, _ = rules.category(a)
    return {
        "name": row.name,
        "id_number": row.document_number,
        "id_type": row.document_type,
        "phone": row.phone,
        "category": status.value,
        "risk": ",".join(sorted(r.value for r in rules.risks(a, ctx.policy.elderly_age))) or None,
        "unit_code": row.unit_code,
        "address": row.address,
        "identified_at": row.received_at.isoformat(),
        "source_ref": row.number,
    }


def link_pending(ctx: Context, request_ids: list[int] | None = None, limit: int = LINK_BATCH) -> dict[str, int]:
    """Link up to `limit` requests not linked yet (the oldest first, or those named): a known person gets the
    request on their history; the unknown are registered by the registration service (source help_request, the
    request's number as its source reference, so that linking again after an interruption finds the same person).
    LINK_CHUNK at a time, each chunk its own transactions, so that submissions waiting for SQLite's writer wait for
    one chunk at most. Returns the counts."""
    found = {"linked_known": 0, "registered": 0}
    while limit > 0:
        chunk = _link_some(ctx, request_ids, min(LINK_CHUNK, limit))
        if chunk["rows"] == 0:
            break
        limit -= chunk["rows"]
        found["linked_known"] += chunk["linked_known"]
        found["registered"] += chunk["registered"]
    return found


def _link_some(ctx: Context, request_ids: list[int] | None, limit: int) -> dict[str, int]:
    with ctx.uow() as uow:
        query = select(help_requests).where(_r.linked_at.is_(None))
        if request_ids is not None:
            query = query.where(_r.id.in_(request_ids))
        rows = list(uow.conn.execute(query.order_by(_r.id).limit(limit)))
        if not rows:
            return {"rows": 0, "linked_known": 0, "registered": 0}
        known = {row.id: link_request(uow, row._mapping) for row in rows}
        by_source = uow.persons.ids_by_source({(SOURCE, row.number) for row in rows})
    unknown = [row for row in rows if known[row.id][0] is None and (SOURCE, row.number) not in by_source]
    registered: dict[int, int] = {}
    if unknown:
        summary = register_batch(
            ctx, REGISTRAR, [(i, _raw_row(ctx, row)) for i, row in enumerate(unknown, 1)], source=SOURCE
        )
        registered = {unknown[i - 1].id: pid for i, pid in summary.person_ids.items()}
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        for row in rows:
            if row.id in registered:
                person_id, how, kind = registered[row.id], "registered", "registered"
                _on_record(ctx, uow, person_id, row)
            elif (SOURCE, row.number) in by_source:
                person_id, how, kind = by_source[(SOURCE, row.number)], "registered", "registered"
            else:
                person_id, how = known[row.id]
                kind = "linked"
                if person_id is not None:
                    _on_record(ctx, uow, person_id, row)
            uow.conn.execute(
                update(help_requests)
                .where(_r.id == row.id, _r.linked_at.is_(None))
                .values(person_id=person_id, matched_by=how or None, linked_at=now)
            )
            if person_id is not None:
                uow.conn.execute(
                    insert(help_request_events).values(
                        request_id=row.id,
                        at=now,
                        kind=kind,
                        actor=PUBLIC,
                        detail={"person_id": person_id, "matched_by": how},
                    )
                )
        uow.commit()
    linked_known = sum(1 for r in rows if known[r.id][0] is not None)
    return {"rows": len(rows), "linked_known": linked_known, "registered": len(registered)}


def _on_record(ctx: Context, uow: UnitOfWork, person_id: int, row: Any) -> None:
    """The request on a known person's history (not for one whose state takes no more events: a death)."""
    person = uow.persons.get(person_id)
    if person is None:
        return
    stamp = ctx.stamp(REGISTRAR, SOURCE, reason=row.number, occurred_at=row.received_at)
    said = rules.SelfAssessment(
        row.breathless, row.fever_days, row.age, row.chronic, row.told_contact, row.tested_positive,
        bool(row.symptoms or row.symptoms_since),
    )  # fmt: skip
    try:
        after, event = help_requested(person, stamp, row.number, row.urgency, rules.category(said)[1])
    except TransitionRefused:
        return
    save_changes(ctx, uow, REGISTRAR, person, after, [event], "help_request_linked")
