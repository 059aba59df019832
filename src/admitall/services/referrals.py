"""Registration referrals (转交核实): rows that matched a person outside the registrant's jurisdiction.

Such a row changed nobody and told the registrant nothing but "referred". The person's own unit (and the units
above it) see the open referrals in a queue, and someone there who may change that person either applies one —
merging it in exactly as a registration would — or dismisses it with a reason. Both are on the audit record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.errors import Conflict, InvalidInput, NotFound
from admitall.domain.identity import mask_document, mask_phone, nfkc
from admitall.domain.intake import parse_person_input
from admitall.domain.merge import merge
from admitall.domain.text import check_text
from admitall.services.changes import save_changes
from admitall.services.context import Actor, Context, unit_in_scope
from admitall.services.people import load_person, person_view
from admitall.store.repositories.referrals import Referral, ReferralRepository
from admitall.store.tables_referrals import REFERRAL_STATES
from admitall.store.uow import UnitOfWork


def _mask_birth_date(value: str) -> str:
    return value[:4] + "-**-**"


def _mask_address(_value: str) -> str:
    return "***"


_MASKED: dict[str, Callable[[str], str]] = {
    "id_number": mask_document,
    "phone": mask_phone,
    "birth_date": _mask_birth_date,
    "address": _mask_address,
}
REASON_MAX = 500


def _not_found(referral_id: int) -> NotFound:
    return NotFound(
        "referral.not_found",
        f"找不到转交记录 {referral_id}（或不在您的管辖范围内）",
        f"No referral {referral_id} (or not within your jurisdiction)",
    )


def referral_view(r: Referral, unit_names: Mapping[str, str], *, unmasked: bool) -> dict[str, Any]:
    fields = dict(r.fields)
    if not unmasked:
        for key, mask in _MASKED.items():
            if fields.get(key):
                fields[key] = mask(str(fields[key]))
    return {
        "id": r.id,
        "state": r.state,
        "unit_code": r.unit_code,
        "unit_name": unit_names.get(r.unit_code, r.unit_code),
        "person": {
            "id": r.person_id,
            "name": r.person_name,
            "unit_code": r.person_unit,
            "unit_name": unit_names.get(r.person_unit, r.person_unit),
        },
        "matched_by": r.matched_by,
        "submitted_by": r.submitted_by,
        "submitted_unit": r.submitted_unit,
        "submitted_unit_name": unit_names.get(r.submitted_unit, r.submitted_unit) if r.submitted_unit else None,
        "submitted_at": r.submitted_at.isoformat(),
        "source": r.source,
        "filename": r.filename,
        "row": r.row,
        "fields": fields,
        "masked": not unmasked,
        "decided_by": r.decided_by,
        "decided_at": r.decided_at.isoformat() if r.decided_at else None,
        "reason": r.reason,
    }


def _names(uow: UnitOfWork, referrals: list[Referral]) -> dict[str, str]:
    codes = {c for r in referrals for c in (r.unit_code, r.person_unit, r.submitted_unit) if c}
    return uow.units.names(codes)


def list_referrals(
    ctx: Context,
    actor: Actor,
    *,
    state: str = "open",
    unit: str | None = None,
    q: str = "",
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The referrals addressed to units within the actor's jurisdiction (or `unit`'s subtree), newest first; `q`
    finds them by part of the person's name (never by an ID number or a phone, whoever searches)."""
    actor.require(Permission.REGISTER_PERSONS)
    if state not in (*REFERRAL_STATES, "all"):
        raise InvalidInput("referral.bad_state", f"状态无效：{state}", f"Invalid state: {state}", field="state")
    limit = max(1, min(limit, 500))
    unmasked = actor.can(Permission.SEE_PERSONAL_DATA)
    with ctx.uow(write=unmasked) as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        referrals, total = ReferralRepository(uow.conn).listing(
            root, state=None if state == "all" else state, limit=limit, offset=max(offset, 0), name=nfkc(q).strip()
        )
        names = _names(uow, referrals)
        if unmasked and referrals:
            uow.audit.record(
                ctx.clock.now(),
                actor.username,
                "read_referrals",
                "referral",
                None,
                unit=actor.unit_code,
                referral_ids=[r.id for r in referrals],
            )
        uow.commit()
    return {
        "state": state,
        "q": q,
        "total": total,
        "limit": limit,
        "offset": offset,
        "referrals": [referral_view(r, names, unmasked=unmasked) for r in referrals],
    }


def _open_referral(uow: UnitOfWork, actor: Actor, referral_id: int) -> Referral:
    referral = ReferralRepository(uow.conn).get(referral_id, within=actor.unit_code)
    if referral is None:
        raise _not_found(referral_id)
    if referral.state != "open":
        raise Conflict(
            "referral.closed",
            f"此转交记录已处理（{referral.state}）",
            f"This referral has already been dealt with ({referral.state})",
        )
    return referral


def _close(uow: UnitOfWork, referral_id: int, state: str, actor: Actor, ctx: Context, reason: str | None) -> None:
    if not ReferralRepository(uow.conn).decide(
        referral_id, state, by=actor.username, at=ctx.clock.now(), reason=reason
    ):
        raise Conflict(
            "referral.closed",
            "此转交记录刚被他人处理，请刷新",
            "Someone else dealt with this referral meanwhile; reload",
        )


def apply_referral(ctx: Context, actor: Actor, referral_id: int) -> dict[str, Any]:
    """Merge the referred registration into the person, as a registration within the jurisdiction would: a
    category and a severity only go up, blank details are filled, all it does not apply comes back as warnings.
    Only a user who may register people and change this person can do it."""
    actor.require(Permission.REGISTER_PERSONS)
    with ctx.uow(write=True) as uow:
        referral = _open_referral(uow, actor, referral_id)
        person = load_person(uow, actor, referral.person_id)
        parsed = parse_person_input(referral.fields, now=ctx.clock.now(), tz=ctx.settings.tz)
        if isinstance(parsed, list):  # stored only after it parsed; a changed rule may refuse it now
            raise InvalidInput(
                "referral.invalid",
                "；".join(f"{p.field}：{p.zh}" for p in parsed),
                "; ".join(f"{p.field}: {p.en}" for p in parsed),
            )
        stamp = ctx.stamp(actor, referral.source, occurred_at=parsed.identified_at, reason=f"#{referral.id}")
        outcome = merge(person, parsed, stamp)
        after = person
        if outcome.events:
            after = save_changes(ctx, uow, actor, person, outcome.person, outcome.events, None)
        key = (referral.source, parsed.source_ref) if parsed.source_ref else None
        if key is not None and not uow.persons.ids_by_source([key]):
            uow.persons.add_sources(referral.person_id, [key])
        _close(uow, referral.id, "applied", actor, ctx, None)
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            "apply_referral",
            "person",
            referral.person_id,
            unit=person.unit_code,
            referral=referral.id,
            events=[e.kind.value for e in outcome.events],
        )
        names = uow.units.names([after.unit_code])
        uow.commit()
    unmasked = actor.can(Permission.SEE_PERSONAL_DATA)
    return {
        "referral": referral.id,
        "state": "applied",
        "person": person_view(after, names, unmasked=unmasked, now=ctx.clock.now()),
        "warnings": [{"field": n.field, "zh": n.zh, "en": n.en} for n in outcome.notes],
    }


def dismiss_referral(ctx: Context, actor: Actor, referral_id: int, reason: str) -> dict[str, Any]:
    """Close a referral without changing the person (not the same person, already known, …): a reason is due."""
    actor.require(Permission.REGISTER_PERSONS)
    text = check_text("reason", nfkc(reason or "").strip(), max_length=REASON_MAX)
    if not text:
        raise InvalidInput("referral.reason", "请填写驳回理由", "Give the reason for dismissing", field="reason")
    with ctx.uow(write=True) as uow:
        referral = _open_referral(uow, actor, referral_id)
        load_person(uow, actor, referral.person_id)
        _close(uow, referral.id, "dismissed", actor, ctx, text)
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            "dismiss_referral",
            "person",
            referral.person_id,
            unit=referral.person_unit,
            referral=referral.id,
            reason=text,
        )
        uow.commit()
    return {"referral": referral.id, "state": "dismissed", "reason": text}
