"""Taking a public help request in (求助登记): every field checked (each fault named, in both languages), the
community checked against the real tree, the throttles (per phone and per client address within a window, a day's
cap per phone; counted in the database so that they hold across workers), a second request for the same person
(phone, name, community) while one is open folded into it, and the request stored — with its first two steps and
its audit entry, in one transaction — before the answer (its number and follow code) is given.

On SQLite the submissions of one server take turns and are written together: the first to find the writer free
writes every submission waiting at that moment in one transaction, each checked (throttle, fold) as if alone and
answered only after the commit (a group commit: under a burst the queue is written in a few transactions instead of
one each, so that the server keeps up; bench/help_requests.py). On PostgreSQL each is its own transaction.
"""

from __future__ import annotations

import hashlib
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, text, update

from admitall.domain import help as rules
from admitall.domain.errors import AdmitAllError, InvalidInput, TooMany
from admitall.domain.identity import nfkc, normalize_name, normalize_phone, parse_document
from admitall.domain.text import check_text
from admitall.services.context import Context
from admitall.store.tables import units
from admitall.store.tables_help import help_request_events, help_requests, help_throttle
from admitall.store.uow import UnitOfWork

# who acts for the public: the audit's and the trail's actor
PUBLIC = "public"
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
        name = check_text("name", normalize_name(str(raw.get("name") or "")), max_length=60)
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


def too_many(minutes: int, zh: str, en: str) -> TooMany:
    return TooMany(
        "help.too_many", f"{zh}，请 {minutes} 分钟后再试", f"{en}; try again in {minutes} min", retry_after=minutes * 60
    )


def count_attempts(uow: UnitOfWork, kind: str, key: str, since: datetime) -> int:
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


_t = help_throttle.c
_BY_ADDRESS = and_(_t.kind == "address", _t.key == bindparam("client"), _t.at > bindparam("window"))
_BY_PHONE = and_(_t.kind == "phone", _t.key == bindparam("phone"), _t.at > bindparam("day"))
# the three counts a submission is held to, by one statement built once (a submission's statements are prepared
# once: building them anew for each would cost more than running them)
_COUNTS = select(
    func.coalesce(func.sum(case((_BY_ADDRESS, 1), else_=0)), 0),
    func.coalesce(func.sum(case((and_(_BY_PHONE, _t.at > bindparam("window")), 1), else_=0)), 0),
    func.coalesce(func.sum(case((_BY_PHONE, 1), else_=0)), 0),
).where(or_(_BY_ADDRESS, _BY_PHONE))
_COUNT = insert(help_throttle)
_OPEN_ONE = select(_r.id, _r.number, _r.urgency, _r.deadline_at).where(
    _r.phone == bindparam("phone"),
    _r.unit_code == bindparam("unit_code"),
    _r.state == rules.OPEN,
    _r.name == bindparam("name"),
)
_INSERT_REQUEST = insert(help_requests)
_INSERT_STEPS = insert(help_request_events)


def _throttle_submission(ctx: Context, uow: UnitOfWork, phone_key: str, client: str, now: datetime) -> None:
    """Refuse (TooMany) past a limit; otherwise count this submission. The three counts by one statement."""
    s = ctx.settings
    window, day = now - timedelta(minutes=s.help_window_minutes), now - timedelta(days=1)
    address, phone, phone_today = uow.conn.execute(
        _COUNTS, {"client": client, "phone": phone_key, "window": window, "day": day}
    ).one()
    if address >= s.help_address_per_window:
        raise too_many(s.help_window_minutes, "来自此网络的求助过多", "Too many requests from this network")
    if phone >= s.help_phone_per_window:
        raise too_many(s.help_window_minutes, "此电话号码的求助过于频繁", "Too many requests for this phone number")
    if phone_today >= s.help_phone_per_day:
        raise too_many(24 * 60, "此电话号码今天的求助已达上限", "This phone number has reached today's limit")
    uow.conn.execute(
        _COUNT, [{"at": now, "kind": "phone", "key": phone_key}, {"at": now, "kind": "address", "key": client}]
    )


# the communities' codes, read at once and kept a few minutes (units are added seldom; a code not among them is
# looked up alone, so a community added meanwhile is found at once), so that checking one needs neither a query
# nor the writers' turn
COMMUNITY_CACHE_SECONDS = 300.0
_COMMUNITIES: dict[str, tuple[frozenset[str], float]] = {}  # by database
_COMMUNITIES_LOCK = threading.Lock()
_IS_COMMUNITY = select(units.c.code).where(units.c.level == "community")


def _is_community(ctx: Context, code: str) -> bool:
    database = str(ctx.engine.url)
    with _COMMUNITIES_LOCK:
        codes, until = _COMMUNITIES.get(database, (frozenset(), 0.0))
        if until < time.monotonic():
            with ctx.uow() as uow:
                codes = frozenset(uow.conn.execute(_IS_COMMUNITY).scalars())
            _COMMUNITIES[database] = (codes, time.monotonic() + COMMUNITY_CACHE_SECONDS)
    if code in codes:
        return True
    with ctx.uow() as uow:
        return uow.conn.execute(_IS_COMMUNITY.where(units.c.code == code)).first() is not None


# ---------------------------------------------------------------------------------------------------- submitting


@dataclass
class _Job:
    """One submission waiting to be written: its answer or its refusal once written."""

    item: HelpInput
    client: str
    phone_key: str
    now: datetime
    answer: dict[str, Any] | None = None
    error: AdmitAllError | None = None
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class _Writer:
    """SQLite's submissions of this server, written together (see the module's docstring)."""

    def __init__(self) -> None:
        self.turn = threading.Condition()
        self.waiting: list[_Job] = []
        self.busy = False

    def write(self, ctx: Context, job: _Job) -> None:
        with self.turn:
            self.waiting.append(job)
            while not job.done and self.busy:
                self.turn.wait()
            if job.done:
                return
            self.busy, batch, self.waiting = True, self.waiting, []
        try:
            _write(ctx, batch)
        finally:
            with self.turn:
                for other in batch:
                    other.done = True
                self.busy = False
                self.turn.notify_all()


_WRITER = _Writer()


def _write(ctx: Context, batch: list[_Job]) -> None:
    """The jobs in one transaction, each as if alone; a refusal refuses that job only (it wrote nothing). Should
    the transaction fail, every job of it fails (nothing of it is stored)."""
    try:
        with ctx.uow(write=True) as uow:
            for job in batch:
                try:
                    job.answer = _store(ctx, uow, job)
                except AdmitAllError as e:
                    job.error = e
            uow.commit()
    except Exception as e:
        for job in batch:
            job.answer, job.extra["failed"] = None, e
        raise


def submit(ctx: Context, raw: Mapping[str, Any], client: str) -> dict[str, Any]:
    """Store one request (or fold it into the same person's open one) and answer with its number and follow code.
    Nothing is linked here: the answer is quick and the request is stored before it is given (link_pending)."""
    now = ctx.clock.now()
    item = parse_help(raw, now.astimezone(ctx.settings.tz).date())
    if not _is_community(ctx, item.unit_code):
        raise HelpInvalid([("unit_code", "请搜索并选择所在社区", "Search for your community and choose it")])
    job = _Job(item, (client or "?")[:64], _key(item.phone), now)
    if ctx.engine.dialect.name == "sqlite":
        _WRITER.write(ctx, job)
    else:
        with ctx.uow(write=True) as uow:
            _serialise(uow, job.phone_key)
            job.answer = _store(ctx, uow, job)
            uow.commit()
    if "failed" in job.extra:
        raise job.extra["failed"]
    if job.error is not None:
        raise job.error
    assert job.answer is not None
    return job.answer


def _store(ctx: Context, uow: UnitOfWork, job: _Job) -> dict[str, Any]:
    """Throttle, fold or insert one request within the caller's transaction; refuses before writing anything."""
    item, now = job.item, job.now
    _throttle_submission(ctx, uow, job.phone_key, job.client, now)
    level = rules.urgency(item.assessment)
    open_one = uow.conn.execute(
        _OPEN_ONE, {"phone": item.phone, "unit_code": item.unit_code, "name": item.name}
    ).first()
    if open_one is not None:
        return _fold(ctx, uow, open_one, level, now)
    number, code = rules.new_number(), rules.new_code()
    a = item.assessment
    request_id = uow.conn.execute(
        _INSERT_REQUEST,
        dict(
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
        ),
    ).inserted_primary_key[0]
    uow.conn.execute(
        _INSERT_STEPS,
        [
            {"request_id": request_id, "at": now, "kind": "received", "actor": PUBLIC, "detail": {}},
            {
                "request_id": request_id,
                "at": now,
                "kind": "assigned",
                "actor": PUBLIC,
                "detail": {"unit_code": item.unit_code},
            },
        ],
    )
    uow.audit.record(
        now, PUBLIC, "help_request_received", "help_request", request_id, unit=item.unit_code, urgency=level
    )
    return {"number": number, "code": code, "folded": False, "urgency": level, "hours": hours_for(ctx, level)}


def hours_for(ctx: Context, level: str) -> float:
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
    uow.conn.execute(
        insert(help_request_events).values(
            request_id=open_one.id, at=now, kind="repeated", actor=PUBLIC, detail={"urgency": level}
        )
    )
    uow.audit.record(now, PUBLIC, "help_request_repeated", "help_request", open_one.id, urgency=level)
    level = values.get("urgency", open_one.urgency)
    return {"number": open_one.number, "code": None, "folded": True, "urgency": level, "hours": hours_for(ctx, level)}
