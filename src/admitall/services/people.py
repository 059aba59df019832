"""Reading and changing people within a user's jurisdiction: find, show, history, reclassify, severity, stock.

Personal data (ID numbers, phones, birth dates, addresses) is masked for roles that do not need it; every read
of unmasked personal data is written to the audit log, as is every change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from admitall.domain.access import Permission, sees_people_at_desk_only
from admitall.domain.errors import Conflict, InvalidInput
from admitall.domain.identity import mask_document, mask_phone, nfkc, normalize_phone, parse_document
from admitall.domain.intake import FieldProblem, parse_datetime, parse_severity, parse_status
from admitall.domain.lifecycle import change_severity, reclassify
from admitall.domain.people import FOUR_CATEGORIES, Person, PersonEvent, Placement, Severity, Stamp, Status
from admitall.services.auth import shown_names
from admitall.services.changes import save_changes
from admitall.services.context import Actor, Context, not_found, unit_in_scope
from admitall.services.registration import register_batch
from admitall.store.name_search import BROAD_SCOPE, too_broad
from admitall.store.paged import COUNT_CAP, capped_total
from admitall.store.repositories.persons import in_subtree
from admitall.store.uow import UnitOfWork


def person_view(p: Person, unit_names: Mapping[str, str], *, unmasked: bool, now: datetime) -> dict[str, Any]:
    d = p.details
    doc = d.document
    return {
        "id": p.id,
        "name": d.name,
        "document_type": doc.type.value if doc else None,
        "document": (doc.number if unmasked else mask_document(doc.number)) if doc else None,
        "phone": (d.phone if unmasked else mask_phone(d.phone)) if d.phone else None,
        "sex": d.sex.value if d.sex else None,
        "birth_date": (d.birth_date.isoformat() if unmasked else f"{d.birth_date.year}-**-**")
        if d.birth_date
        else None,
        "address": (d.address if unmasked else "***") if d.address else None,
        "masked": not unmasked,
        "unit_code": d.unit_code,
        "unit_name": unit_names.get(d.unit_code, d.unit_code),
        "status": p.status.value,
        "severity": p.severity.value if p.severity else None,
        "risks": sorted(r.value for r in p.risks),
        "placement": p.placement.value,
        "identified_at": p.identified_at.isoformat(),
        "status_since": p.status_since.isoformat() if p.status_since else None,
        "waiting_since": p.waiting_since.isoformat() if p.waiting_since else None,
        "waiting_hours": round((now - p.waiting_since).total_seconds() / 3600, 1) if p.waiting_since else None,
        "facility_code": p.facility_code,
        "bed_type": p.bed_type,
        "held_facility_code": p.held_facility_code,
        "held_bed_type": p.held_bed_type,
        "awaiting_transfer": p.awaiting_transfer,
        "version": p.version,
    }


def event_view(seq: int, e: PersonEvent) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": e.kind.value,
        "occurred_at": e.stamp.occurred_at.isoformat(),
        "recorded_at": e.stamp.recorded_at.isoformat(),
        "actor": e.stamp.actor,
        "source": e.stamp.source,
        "reason": e.stamp.reason,
        "data": dict(e.data),
    }


_PERSONAL_KEYS = ("document_number", "phone", "birth_date", "address")


def _unmasked(actor: Actor) -> bool:
    return actor.can(Permission.SEE_PERSONAL_DATA)


def _audit_read(ctx: Context, uow: UnitOfWork, actor: Actor, people: list[Person], action: str) -> None:
    """An unmasked read is on record: who read whom, when. One entry per read, listing every person shown."""
    if people and _unmasked(actor):
        ids = [p.id for p in people]
        units = {p.unit_code for p in people}
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            action,
            "person",
            ids[0] if len(ids) == 1 else None,
            unit=units.pop() if len(units) == 1 else actor.unit_code,
            person_ids=ids,
        )


def people_desk(actor: Actor) -> str | None:
    """The facility through which alone the actor sees people (a facility officer's desk: domain.access), or
    None where the jurisdiction decides. A desk role without a facility sees nobody; the console and the twin,
    acting over the whole registry (no unit), are not narrowed."""
    if actor.unit_code is None or not sees_people_at_desk_only(actor.role):
        return None
    return actor.facility_code or ""


def load_person(uow: UnitOfWork, actor: Actor, person_id: int) -> Person:
    """The person if within the actor's jurisdiction (for a facility's desk: among the people its facility has
    had); otherwise not found."""
    person = uow.persons.get(person_id, within=actor.unit_code, facility=people_desk(actor))
    if person is None:
        raise not_found("person", person_id)
    return person


def get_person(ctx: Context, actor: Actor, person_id: int) -> dict[str, Any]:
    actor.require(Permission.VIEW_PERSONS)
    with ctx.uow(write=_unmasked(actor)) as uow:
        person = load_person(uow, actor, person_id)
        names = uow.units.names([person.unit_code])
        _audit_read(ctx, uow, actor, [person], "read_person")
        uow.commit()
    return person_view(person, names, unmasked=_unmasked(actor), now=ctx.clock.now())


def person_history(ctx: Context, actor: Actor, person_id: int) -> dict[str, Any]:
    """The person and every event of theirs. Events hold the details as registered, so the same masking
    applies to them: masked roles see the kinds, times, actors and reasons, not the personal fields."""
    actor.require(Permission.VIEW_PERSONS)
    unmasked = _unmasked(actor)
    with ctx.uow(write=unmasked) as uow:
        person = load_person(uow, actor, person_id)
        names = uow.units.names([person.unit_code])
        history = uow.persons.history(person_id)
        codes = (h.event.data.get(k) for h in history for k in ("facility_code", "held_facility_code"))
        facilities = uow.facilities.names(c for c in codes if c)
        actors = shown_names(uow, {h.event.stamp.actor for h in history})  # who did it, by the name they go by
        _audit_read(ctx, uow, actor, [person], "read_person_history")
        uow.commit()
    events = [{**event_view(h.seq, h.event), "actor_name": actors.get(h.event.stamp.actor)} for h in history]
    if not unmasked:
        for e in events:
            for key in _PERSONAL_KEYS:
                if e["data"].get(key):
                    e["data"][key] = "***"
    person_data = person_view(person, names, unmasked=unmasked, now=ctx.clock.now())
    return {"person": person_data, "events": events, "facilities": facilities}


def search_people(
    ctx: Context,
    actor: Actor,
    *,
    q: str = "",
    unit: str | None = None,
    status: str | None = None,
    placement: str | None = None,
    severity: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Search by name (part of it), full document number or phone, within the actor's jurisdiction (a facility's
    desk: among the people its facility has had). A role that sees personal data masked searches by name only:
    a query with a digit in it finds nobody for them, and the answer carries a note that says so."""
    actor.require(Permission.VIEW_PERSONS)
    desk = people_desk(actor)
    root = actor.scoped(unit) if unit else (None if desk is not None else actor.unit_code)
    filters = _query_filters(q)
    note = None
    if not _unmasked(actor) and ("phone" in filters or "document" in filters):
        note = {"code": "search.name_only", "zh": _NAME_ONLY[0], "en": _NAME_ONLY[1]}
    one_character = note is None and desk is None and len(filters.get("name", "")) == 1
    for value, allowed in ((status, Status), (placement, Placement), (severity, Severity)):
        if value and value not in {m.value for m in allowed}:
            raise InvalidInput("search.bad_filter", f"筛选条件无效：{value}", f"Invalid filter value: {value}")
    limit = max(1, min(limit, 500))
    with ctx.uow(write=_unmasked(actor)) as uow:
        if unit:
            unit_in_scope(uow, actor, unit)  # a unit elsewhere answers as one that does not exist
        people: list[Person] = []
        total = 0
        # at a province's size a common surname matches a million people: PostgreSQL counts up to a cap
        cap = COUNT_CAP if uow.conn.dialect.name == "postgresql" else None
        if one_character and too_broad(uow.conn, filters["name"], in_subtree(root)):
            note = {"code": "search.one_character", "zh": _ONE_CHARACTER[0], "en": _ONE_CHARACTER[1]}
        if note is None:
            people, total = uow.persons.search(
                root,
                status=status,
                placement=placement,
                severity=severity,
                facility=desk,
                limit=limit,
                offset=max(offset, 0),
                cap=cap,
                **filters,
            )
        names = uow.units.names(p.unit_code for p in people)
        _audit_read(ctx, uow, actor, people, "search_persons")
        uow.commit()
    now = ctx.clock.now()
    total, more = capped_total(total, cap)
    return {
        "total": total,
        "total_more": more,
        "limit": limit,
        "offset": offset,
        "people": [person_view(p, names, unmasked=_unmasked(actor), now=now) for p in people],
        "note": note,
    }


_ONE_CHARACTER = (
    f"查找范围超过 {BROAD_SCOPE:,} 人时，按姓名查找请至少输入两个字，或先选择区县及以下单位。",
    f"Over more than {BROAD_SCOPE:,} people, a name search needs at least two characters, or a district or "
    "smaller unit chosen first.",
)
_NAME_ONLY = (
    "您的角色只能按姓名查找人员；按证件号码或手机号查找不返回任何人。",
    "Your role searches people by name only; a document number or phone finds nobody.",
)


def _query_filters(q: str) -> dict[str, str]:
    """A query that is a valid document number searches documents; a mobile number, phones; anything else with a
    digit in it, documents as typed; else names."""
    text = nfkc(q).replace(" ", "")
    if not text:
        return {}
    if any(ch.isdigit() for ch in text):
        try:
            return {"phone": normalize_phone(text)}
        except InvalidInput:
            pass
        try:
            doc, _ = parse_document(text)
            return {"document": doc.number}
        except InvalidInput:
            return {"document": text.upper()}
    return {"name": text}


def change_person(
    ctx: Context,
    actor: Actor,
    person_id: int,
    expected_version: int | None,
    make: Callable[[Person], tuple[Person, PersonEvent]],
    action: str,
) -> dict[str, Any]:
    """Load a person within the actor's reach, apply one change, store it with what follows from it."""
    with ctx.uow(write=True) as uow:
        person = load_person(uow, actor, person_id)
        if expected_version is not None and person.version != expected_version:
            raise Conflict(
                "person.changed_meanwhile",
                "该人员信息刚被他人修改，请刷新后重试",
                "Someone else changed this person meanwhile; reload and try again",
            )
        changed, event = make(person)
        new = save_changes(ctx, uow, actor, person, changed, [event], action)
        names = uow.units.names([new.unit_code])
        uow.commit()
    return person_view(new, names, unmasked=_unmasked(actor), now=ctx.clock.now())


def _stamp(ctx: Context, actor: Actor, source: str, reason: str | None, occurred_at: str | None) -> Stamp:
    at = parse_datetime(occurred_at, "occurred_at", ctx.settings.tz) if occurred_at else None
    return ctx.stamp(actor, source, reason=(nfkc(reason) or None) if reason else None, occurred_at=at)


def reclassify_person(
    ctx: Context,
    actor: Actor,
    person_id: int,
    to: str,
    *,
    severity: str | None = None,
    reason: str | None = None,
    occurred_at: str | None = None,
    source: str = "api",
    expected_version: int | None = None,
) -> dict[str, Any]:
    actor.require(Permission.RECLASSIFY)
    _chosen(to, "类别", "status")
    status = Status.parse(to) or (parse_status(to) if to else None)
    if status is None:
        raise InvalidInput("status.invalid", f"类别无法识别：{to}", f"Unknown status: {to}", field="to")
    level = parse_severity(severity) if severity else None
    stamp = _stamp(ctx, actor, source, reason, occurred_at)
    return change_person(
        ctx,
        actor,
        person_id,
        expected_version,
        lambda p: reclassify(p, status, stamp, severity=level),
        "reclassify_person",
    )


def _chosen(to: str, zh: str, en: str) -> None:
    """Nothing chosen (a form sent with its empty first choice) is said as such; nothing changes."""
    if not (to or "").strip():
        raise InvalidInput(
            f"{en}.not_chosen",
            f"请先选择新的{zh}，未做任何更改",
            f"Choose the new {en} first; nothing was changed",
            field="to",
        )


def change_person_severity(
    ctx: Context,
    actor: Actor,
    person_id: int,
    to: str,
    *,
    reason: str | None = None,
    occurred_at: str | None = None,
    source: str = "api",
    expected_version: int | None = None,
) -> dict[str, Any]:
    actor.require(Permission.CHANGE_SEVERITY)
    _chosen(to, "病情", "severity")
    level = parse_severity(to)
    stamp = _stamp(ctx, actor, source, reason, occurred_at)
    return change_person(
        ctx, actor, person_id, expected_version, lambda p: change_severity(p, level, stamp), "change_severity"
    )


def register_person(
    ctx: Context, actor: Actor, fields: Mapping[str, str | None], *, source: str = "api"
) -> dict[str, Any]:
    """Register one person (or merge into the same person already registered). A bad field is an error that
    names every field at fault; nothing is stored. The same person registered outside the actor's jurisdiction
    is neither changed nor shown: the registration is referred to their unit (outcome "referred", no person). A
    role that sees personal data masked is not shown the person a registration merged into either."""
    actor.require(Permission.REGISTER_PERSONS)
    if not any(v is not None and str(v).strip() for v in fields.values()):  # a file would skip it as blank
        raise InvalidInput(
            "person.blank",
            "登记内容为空：姓名、类别和社区编码必填",
            "The registration is empty: the name, category and unit code are required",
            field="name",
        )
    summary = register_batch(ctx, actor, [(1, fields)], source=source)
    if summary.rejections:
        raise _field_errors(list(summary.rejections[0].problems))
    if summary.referred:
        return {
            "outcome": "referred",
            "person": None,
            "message": {"zh": "已转交该人员所属单位核实", "en": "Referred to the person's own unit to check"},
            "warnings": [{"field": w.field, "zh": w.zh, "en": w.en} for _, w in summary.warnings],
        }
    if summary.merged and not _unmasked(actor):
        # a role that sees personal data masked would otherwise learn who holds a document number or phone
        # (item 13): the row is merged, as for anyone, but the answer names nobody
        return {
            "outcome": "merged",
            "person": None,
            "message": {"zh": "已合并到已登记人员", "en": "Merged into the registered person"},
            "warnings": [],
        }
    person_id = summary.person_ids[1]
    result = get_person(ctx, actor, person_id)
    return {
        "outcome": "accepted" if summary.accepted else "merged",
        "person": result,
        "warnings": [{"field": w.field, "zh": w.zh, "en": w.en} for _, w in summary.warnings],
    }


def _field_errors(problems: list[FieldProblem]) -> InvalidInput:
    return InvalidInput(
        "person.invalid",
        "；".join(f"{p.field}：{p.zh}" for p in problems),
        "; ".join(f"{p.field}: {p.en}" for p in problems),
        field=problems[0].field,
    )


def stock(ctx: Context, actor: Actor, unit: str | None = None) -> dict[str, Any]:
    """Counts of people by category, severity and placement for a unit's subtree, and the oldest wait."""
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        rows = uow.persons.stock(root)
        oldest = uow.persons.oldest_waiting(root)
    by_status: Counter[str] = Counter()
    by_placement: dict[str, Counter[str]] = {}
    confirmed_by_severity: Counter[str] = Counter()
    for status, severity, placement, n in rows:
        by_status[status] += n
        by_placement.setdefault(status, Counter())[placement] += n
        if status == Status.CONFIRMED.value:
            confirmed_by_severity[severity or "unassessed"] += n
    waiting = sum(n for s, _, p, n in rows if p == Placement.WAITING.value and Status(s) in FOUR_CATEGORIES)
    now = ctx.clock.now()
    return {
        "unit": root,
        "as_of": now.isoformat(),
        "by_category": {s.value: by_status.get(s.value, 0) for s in Status},
        "by_category_and_placement": {s: dict(c) for s, c in by_placement.items()},
        "confirmed_by_severity": dict(confirmed_by_severity),
        "four_categories_total": sum(by_status.get(s.value, 0) for s in FOUR_CATEGORIES),
        "waiting": waiting,
        "oldest_waiting_since": oldest.isoformat() if oldest else None,
        "oldest_wait_hours": round((now - oldest).total_seconds() / 3600, 1) if oldest else None,
    }
