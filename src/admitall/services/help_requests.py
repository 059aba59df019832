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

import hashlib
import hmac
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text, update

from admitall.domain import help as rules
from admitall.domain.access import Role
from admitall.domain.errors import InvalidInput, NotFound, TooMany, TransitionRefused
from admitall.domain.identity import nfkc, normalize_name, normalize_phone, parse_document
from admitall.domain.lifecycle import help_requested
from admitall.domain.text import check_text
from admitall.services.changes import save_changes
from admitall.services.context import Actor, Context
from admitall.services.registration import register_batch
from admitall.services.registration.matching import Matcher, Target, doc_key, name_phone_key
from admitall.store.tables import facilities, person_events, units
from admitall.store.tables_help import help_request_events, help_requests, help_throttle
from admitall.store.uow import UnitOfWork

# who acts for the public: the audit's and the trail's actor, and the registrant of the people requests register
PUBLIC = "public"
SOURCE = "help_request"
# the registration of unknown residents acts over the whole registry (the request names its community)
REGISTRAR = Actor(username=PUBLIC, role=Role.ADMIN, unit_code=None, display_name=PUBLIC)
LINK_BATCH = 500
_r = help_requests.c


def _field(problems: list[tuple[str, str, str]], key: str, zh: str, en: str) -> None:
    problems.append((key, zh, en))


class HelpInvalid(InvalidInput):
    """A request with fields at fault: every field named, each with its message in both languages."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__(
            "help.invalid",
            "；".join(zh for _, zh, _ in problems),
            "; ".join(en for _, _, en in problems),
            field=problems[0][0],
        )
        self.problems = problems

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        found: dict[str, Any] = dict(super().as_dict(lang))
        found["fields"] = {k: (en if lang == "en" else zh) for k, zh, en in self.problems}
        return found


@dataclass(frozen=True)
class HelpInput:
    """A validated request, not yet stored."""

    for_whom: str
    name: str
    phone: str
    document_type: str | None
    document_number: str | None
    unit_code: str
    address: str
    symptoms: str
    symptoms_since: str | None
    assessment: rules.SelfAssessment


def _yes(raw: Any) -> bool:
    return str(raw).strip().lower() in ("1", "true", "yes", "on", "y", "是") if raw is not None else False


def _whole(raw: Any, key: str, hi: int, problems: list[tuple[str, str, str]], zh: str, en: str) -> int | None:
    value = nfkc(str(raw)) if raw is not None else ""
    if not value:
        return None
    if not value.isdigit() or not 0 <= int(value) <= hi:
        _field(problems, key, f"{zh}应为 0 到 {hi} 之间的整数", f"The {en} must be a whole number from 0 to {hi}")
        return None
    return int(value)


def _text(raw: Any, key: str, limit: int, problems: list[tuple[str, str, str]], *, lines: bool = False) -> str:
    value = nfkc(str(raw or "")).strip()
    try:
        check_text(key, value, max_length=limit, multiline=lines)
    except InvalidInput as e:
        _field(problems, key, e.zh, e.en)
        return ""
    return value


def parse_help(raw: Mapping[str, Any], today: date) -> HelpInput:
    """Check every field of a request; all problems at once, each naming its field (HelpInvalid)."""
    problems: list[tuple[str, str, str]] = []
    for_whom = str(raw.get("for_whom") or rules.SELF)
    if for_whom not in (rules.SELF, rules.FAMILY):
        _field(
            problems, "for_whom", "请选择为本人还是为家人求助", "Say whether the request is for you or a family member"
        )
    name = ""
    try:
        name = normalize_name(str(raw.get("name") or ""))
    except InvalidInput as e:
        _field(problems, "name", "请填写患者姓名" if e.code == "name.empty" else e.zh, e.en)
    phone = ""
    if not str(raw.get("phone") or "").strip():
        _field(problems, "phone", "请填写联系电话", "Give a phone number")
    else:
        try:
            phone = normalize_phone(str(raw["phone"]))
        except InvalidInput as e:
            _field(problems, "phone", e.zh, e.en)
    doc_type = doc_number = None
    if str(raw.get("id_number") or "").strip():
        try:
            document, _ = parse_document(str(raw["id_number"]), today=today)
            doc_type, doc_number = document.type.value, document.number
        except InvalidInput as e:
            _field(problems, "id_number", e.zh, e.en)
    unit_code = nfkc(str(raw.get("unit_code") or "")).strip()
    if not (len(unit_code) == 12 and unit_code.isdigit()):
        _field(problems, "unit_code", "请搜索并选择所在社区", "Search for your community and choose it")
    address = _text(raw.get("address"), "address", 200, problems)
    if not address and not any(p[0] == "address" for p in problems):
        _field(problems, "address", "请填写住址（楼栋、单元、门牌）", "Give the address (building, entrance, door)")
    symptoms = _text(raw.get("symptoms"), "symptoms", 500, problems, lines=True)
    since = nfkc(str(raw.get("symptoms_since") or "")).strip() or None
    if since is not None:
        try:
            if date.fromisoformat(since) > today:
                raise ValueError
        except ValueError:
            _field(
                problems,
                "symptoms_since",
                "起病日期应为今天或更早的日期",
                "The date symptoms began must be today or earlier",
            )
            since = None
    fever_days = _whole(raw.get("fever_days"), "fever_days", 60, problems, "发热天数", "days of fever")
    age = _whole(raw.get("age"), "age", 120, problems, "年龄", "age")
    if problems:
        raise HelpInvalid(problems)
    assessment = rules.SelfAssessment(
        breathless=_yes(raw.get("breathless")),
        fever_days=fever_days,
        age=age,
        chronic=_yes(raw.get("chronic")),
        told_contact=_yes(raw.get("told_contact")),
        tested_positive=_yes(raw.get("tested_positive")),
        has_symptoms=bool(symptoms or since),
    )
    return HelpInput(for_whom, name, phone, doc_type, doc_number, unit_code, address, symptoms, since, assessment)


# ---------------------------------------------------------------------------------------------------- throttling


def _key(text_: str) -> str:
    return hashlib.sha256(text_.encode()).hexdigest()


def _too_many(minutes: int, zh: str, en: str) -> TooMany:
    return TooMany(
        "help.too_many", f"{zh}，请 {minutes} 分钟后再试", f"{en}; try again in {minutes} min", retry_after=minutes * 60
    )


def _count(uow: UnitOfWork, kind: str, key: str, since: datetime) -> int:
    c = help_throttle.c
    return int(uow.conn.execute(select(func.count()).where(c.kind == kind, c.key == key, c.at > since)).scalar_one())


def _serialise(uow: UnitOfWork, *keys: str) -> None:
    """On PostgreSQL, submissions for the same phone take turns (SQLite's write transactions do already), so that
    parallel ones cannot slip past the count or the duplicate check."""
    if uow.conn.dialect.name == "postgresql":
        for key in sorted(keys):
            uow.conn.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(f"help:{key}".encode()) - 2**31}
            )


def _throttle_submission(ctx: Context, uow: UnitOfWork, phone_key: str, client: str, now: datetime) -> None:
    s = ctx.settings
    window = now - timedelta(minutes=s.help_window_minutes)
    if _count(uow, "address", client, window) >= s.help_address_per_window:
        raise _too_many(s.help_window_minutes, "来自此网络的求助过多", "Too many requests from this network")
    if _count(uow, "phone", phone_key, window) >= s.help_phone_per_window:
        raise _too_many(s.help_window_minutes, "此电话号码的求助过于频繁", "Too many requests for this phone number")
    if _count(uow, "phone", phone_key, now - timedelta(days=1)) >= s.help_phone_per_day:
        raise _too_many(24 * 60, "此电话号码今天的求助已达上限", "This phone number has reached today's limit")
    uow.conn.execute(
        insert(help_throttle),
        [{"at": now, "kind": "phone", "key": phone_key}, {"at": now, "kind": "address", "key": client}],
    )


# ---------------------------------------------------------------------------------------------------- submitting


def _event(uow: UnitOfWork, request_id: int, at: datetime, kind: str, actor: str, **detail: Any) -> None:
    uow.conn.execute(
        insert(help_request_events).values(request_id=request_id, at=at, kind=kind, actor=actor, detail=detail)
    )


def submit(ctx: Context, raw: Mapping[str, Any], client: str) -> dict[str, Any]:
    """Store one request (or fold it into the same person's open one) and answer with its number and follow code.
    Nothing is linked here: the answer is quick and the request is stored before it is given (link_pending)."""
    now = ctx.clock.now()
    item = parse_help(raw, now.astimezone(ctx.settings.tz).date())
    client = (client or "?")[:64]
    phone_key = _key(item.phone)
    with ctx.uow(write=True) as uow:
        community = uow.conn.execute(
            select(units.c.code).where(units.c.code == item.unit_code, units.c.level == "community")
        ).scalar_one_or_none()
        if community is None:
            raise HelpInvalid([("unit_code", "请搜索并选择所在社区", "Search for your community and choose it")])
        _serialise(uow, phone_key)
        _throttle_submission(ctx, uow, phone_key, client, now)
        level = rules.urgency(item.assessment)
        open_one = uow.conn.execute(
            select(_r.id, _r.number, _r.urgency, _r.deadline_at).where(
                _r.phone == item.phone, _r.unit_code == item.unit_code, _r.state == rules.OPEN, _r.name == item.name
            )
        ).first()
        if open_one is not None:
            return _fold(ctx, uow, open_one, level, now)
        number, code = rules.new_number(), rules.new_code()
        a = item.assessment
        request_id = uow.conn.execute(
            insert(help_requests).values(
                number=number,
                code_hash=rules.code_hash(ctx.keys.tokens, number, code),
                received_at=now,
                unit_code=item.unit_code,
                for_whom=item.for_whom,
                name=item.name,
                phone=item.phone,
                document_type=item.document_type,
                document_number=item.document_number,
                address=item.address,
                symptoms=item.symptoms,
                symptoms_since=item.symptoms_since,
                breathless=a.breathless,
                fever_days=a.fever_days,
                age=a.age,
                chronic=a.chronic,
                told_contact=a.told_contact,
                tested_positive=a.tested_positive,
                urgency=level,
                deadline_at=rules.deadline(now, level, dict(ctx.policy.help_deadline)),
                state=rules.OPEN,
                repeats=0,
            )
        ).inserted_primary_key[0]
        _event(uow, request_id, now, "received", PUBLIC)
        _event(uow, request_id, now, "assigned", PUBLIC, unit_code=item.unit_code)
        uow.audit.record(
            now, PUBLIC, "help_request_received", "help_request", request_id, unit=item.unit_code, urgency=level
        )
        uow.commit()
    return {"number": number, "code": code, "folded": False, "urgency": level, "hours": _hours(ctx, level)}


def _hours(ctx: Context, level: str) -> float:
    """The hours the community has for a request of this urgency (the policy's), as the answer tells them."""
    hours = ctx.policy.help_deadline[level].total_seconds() / 3600
    return int(hours) if hours == int(hours) else round(hours, 1)


def _fold(ctx: Context, uow: UnitOfWork, open_one: Any, level: str, now: datetime) -> dict[str, Any]:
    """The same person's open request: counted again (and made more urgent if this one is); its number is told,
    its code never (whoever made it has it)."""
    values: dict[str, Any] = {"repeats": _r.repeats + 1}
    if level == rules.CRITICAL and open_one.urgency != rules.CRITICAL:
        values.update(
            urgency=level,
            deadline_at=min(open_one.deadline_at, rules.deadline(now, level, dict(ctx.policy.help_deadline))),
        )
    uow.conn.execute(update(help_requests).where(_r.id == open_one.id).values(**values))
    _event(uow, open_one.id, now, "repeated", PUBLIC, urgency=level)
    uow.audit.record(now, PUBLIC, "help_request_repeated", "help_request", open_one.id, urgency=level)
    uow.commit()
    level = values.get("urgency", open_one.urgency)
    return {"number": open_one.number, "code": None, "folded": True, "urgency": level, "hours": _hours(ctx, level)}


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
    with ctx.uow(write=True) as uow:
        window = now - timedelta(minutes=ctx.settings.help_window_minutes)
        if _count(uow, "status", client, window) >= ctx.settings.help_status_failures:
            raise _too_many(ctx.settings.help_window_minutes, "查询失败次数过多", "Too many failed look-ups")
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
    """Link requests not linked yet (the oldest first, or those named): a known person gets the request on their
    history; the unknown are registered in one batch (source help_request, the request's number as its source
    reference, so that linking again after an interruption finds the same person). Returns the counts."""
    with ctx.uow() as uow:
        query = select(help_requests).where(_r.linked_at.is_(None))
        if request_ids is not None:
            query = query.where(_r.id.in_(request_ids))
        rows = list(uow.conn.execute(query.order_by(_r.id).limit(limit)))
        if not rows:
            return {"linked_known": 0, "registered": 0}
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
                _event(uow, row.id, now, kind, PUBLIC, person_id=person_id, matched_by=how)
        uow.commit()
    return {"linked_known": sum(1 for r in rows if known[r.id][0] is not None), "registered": len(registered)}


def _on_record(ctx: Context, uow: UnitOfWork, person_id: int, row: Any) -> None:
    """The request on a known person's history (not for one whose state takes no more events: a death)."""
    person = uow.persons.get(person_id)
    if person is None:
        return
    stamp = ctx.stamp(REGISTRAR, SOURCE, reason=row.number, occurred_at=row.received_at)
    try:
        after, event = help_requested(person, stamp, row.number, row.urgency)
    except TransitionRefused:
        return
    save_changes(ctx, uow, REGISTRAR, person, after, [event], "help_request_linked")
