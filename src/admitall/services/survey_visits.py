"""The survey's visits, sent in batches by the phones (`POST /api/survey/visits`, issue 17 §3).

A phone queues visits while offline and sends them when the network comes back, each with an idempotency key:
a visit sent twice is stored once. A batch is one transaction, and every visit in it is accounted for:
- `stored` (with the people it registered),
- `duplicate` (its key was stored before: the visit it is),
- `conflict` (someone the app loaded changed meanwhile — their category raised, say — since the version the app
  sent: nothing of the visit is stored and the person as they are now comes back, for the team to see),
- `refused` (with the rule: a household outside the jurisdiction, a field that cannot be read).
People found are registered through the registration service, by all of its rules: a temperature at the policy's
fever threshold (37.3 °C) or more, or a symptom, is at least `fever` (or what the policy moves fever to); the team
may find a higher category (suspected, confirmed) or a contact.
Someone at home with nothing found is counted, not registered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from admitall.domain.access import Permission
from admitall.domain.errors import Conflict, InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.intake import parse_datetime, parse_person_input
from admitall.domain.observation import ObservationRules
from admitall.domain.units import UnitLevel, ancestors_of, level_of
from admitall.services.context import Actor, Context
from admitall.services.registration.batch import register_within
from admitall.services.survey import ADDRESS_PROBLEMS, LABEL_MAX, clean_address
from admitall.store.bulk import chunks, rows_of_pairs
from admitall.store.tables import persons
from admitall.store.tables_survey import (
    survey_campaign_units,
    survey_campaigns,
    survey_households,
    survey_visit_people,
    survey_visits,
)
from admitall.store.uow import UnitOfWork

SOURCE = "survey"
# the categories a visit may find, lowest first; `none`: at home, nothing found
ORDER = ("none", "contact", "fever", "suspected", "confirmed")
SYMPTOMS = ("cough", "fatigue", "breathless", "sore_throat", "diarrhea", "muscle_ache")
MAX_VISITS = 2000
MAX_PEOPLE = 30
KEY_MIN, KEY_MAX = 8, 64
MAX_ID = 2**31 - 1


class _Refused(Exception):
    def __init__(self, code: str, zh: str, en: str) -> None:
        self.code, self.zh, self.en = code, zh, en


@dataclass
class _Found:
    idx: int
    name: str
    temperature: float | None
    symptoms: tuple[str, ...]
    category: str  # as found: the team's choice, raised to fever by a temperature or a symptom
    person_id: int | None
    version: int | None
    phone: str
    id_number: str
    row: int | None = None  # the registration row, if registered
    registered: int | None = None
    outcome: str = "counted"


@dataclass
class _Visit:
    pos: int
    key: str
    household_id: int | None
    community: str | None
    address: str
    label: str
    outcome: str
    occurred_at: datetime
    note: str | None
    people: list[_Found]
    result: dict[str, Any] = field(default_factory=dict)


def found_category(
    chosen: str, temperature: float | None, symptoms: Sequence[str], rules: ObservationRules | None = None
) -> str:
    """The category a visit finds: what the team chose, and with a fever (the policy's threshold, 37.3 °C by
    default) or a symptom at least what the policy moves a febrile person to (`fever`, or `suspected`) — the same
    rule as an observation check's (domain.observation)."""
    rules = rules or ObservationRules()
    if (temperature is not None and temperature >= rules.fever_threshold) or symptoms:
        return max(chosen, rules.fever_moves_to.value, key=ORDER.index)
    return chosen


def _an_id(value: object) -> bool:
    """A record's id as the database keeps it (a whole number from 1 to 2³¹ − 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _text(value: object, limit: int) -> str:
    return " ".join(nfkc(str(value or "")).split())[:limit]


def _parse_person(idx: int, raw: object, rules: ObservationRules) -> _Found:
    if not isinstance(raw, Mapping):
        raise _Refused("survey.person", f"第 {idx + 1} 人的记录无法识别", f"Person {idx + 1} cannot be read")
    temperature = raw.get("temperature")
    if temperature is not None and temperature != "":
        try:
            temperature = float(temperature)
        except (TypeError, ValueError):
            temperature = -1.0
        if not 34.0 <= temperature <= 43.0:
            raise _Refused(
                "survey.temperature",
                f"第 {idx + 1} 人的体温不在 34–43 °C 之间",
                f"Person {idx + 1}: the temperature is not between 34 and 43 °C",
            )
    else:
        temperature = None
    listed = raw.get("symptoms") or []
    if not isinstance(listed, list):
        raise _Refused(
            "survey.person", f"第 {idx + 1} 人的症状无法识别", f"Person {idx + 1}: the symptoms cannot be read"
        )
    symptoms = tuple(sorted({str(s) for s in listed}))
    unknown = [s for s in symptoms if s not in SYMPTOMS]
    chosen = str(raw.get("category") or "none")
    if unknown or chosen not in ORDER:
        raise _Refused(
            "survey.person", f"第 {idx + 1} 人的症状或类别无法识别", f"Person {idx + 1}: unknown symptom or category"
        )
    person_id, version = raw.get("person_id"), raw.get("version")
    if person_id is not None and not (_an_id(person_id) and isinstance(version, int) and not isinstance(version, bool)):
        raise _Refused("survey.person", "已登记人员须带编号和版本", "A known person needs their id and version")
    return _Found(
        idx,
        _text(raw.get("name"), 100),
        temperature,
        symptoms,
        found_category(chosen, temperature, symptoms, rules),
        person_id,
        version,
        _text(raw.get("phone"), 40),
        _text(raw.get("id_number"), 40),
    )


def _parse(pos: int, raw: object, tz: Any, rules: ObservationRules) -> _Visit:
    if not isinstance(raw, Mapping):
        raise _Refused("survey.visit", "走访记录无法识别", "The visit cannot be read")
    key = str(raw.get("key") or "")
    if not KEY_MIN <= len(key) <= KEY_MAX or not key.isascii() or not key.replace("-", "").isalnum():
        raise _Refused("survey.key", "走访缺少有效的幂等键", "The visit lacks a valid idempotency key")
    outcome = raw.get("outcome")
    if outcome not in ("visited", "absent"):
        raise _Refused("survey.outcome", "走访结果须为已入户或无人在家", "The outcome is visited or absent")
    people = raw.get("people") or []
    if not isinstance(people, list) or len(people) > MAX_PEOPLE or (outcome == "absent" and people):
        raise _Refused("survey.people", "在家人员记录无法识别", "The people at home cannot be read")
    try:
        occurred = parse_datetime(str(raw.get("occurred_at") or ""), "occurred_at", tz)
    except InvalidInput:
        raise _Refused("survey.time", "走访时间无法识别", "The time of the visit cannot be read") from None
    household_id = raw.get("household_id")
    address, label = "", ""
    if household_id is None:
        address, problem = clean_address(raw.get("address"))
        if problem:
            zh, en = ADDRESS_PROBLEMS[problem]
            raise _Refused("survey.address", zh, en)
        label = _text(raw.get("label"), LABEL_MAX)
    elif not _an_id(household_id):
        raise _Refused("survey.household", "住户编号无法识别", "The household id cannot be read")
    community = str(raw.get("community") or "") or None
    note = _text(raw.get("note"), 500) or None
    found = [_parse_person(i, p, rules) for i, p in enumerate(people)]
    return _Visit(pos, key, household_id, community, address, label, outcome, occurred, note, found)


def record_visits(ctx: Context, actor: Actor, raw_visits: Sequence[object]) -> dict[str, Any]:
    """Store a phone's batch of visits in one transaction; every visit comes back with what became of it."""
    actor.require(Permission.REGISTER_PERSONS)
    if len(raw_visits) > MAX_VISITS:
        raise InvalidInput(
            "survey.too_many", f"一批最多 {MAX_VISITS} 次走访", f"At most {MAX_VISITS} visits a batch", field="visits"
        )
    tz = ctx.settings.tz
    results: list[dict[str, Any]] = []
    visits: list[_Visit] = []
    for pos, raw in enumerate(raw_visits):
        key = str(raw.get("key") or "") if isinstance(raw, Mapping) else ""
        results.append({"key": key, "status": "refused"})
        try:
            visit = _parse(pos, raw, tz, ctx.policy.observation)
            # a phone's clock ahead of the server's: the visit happened by the time it arrived, not later
            visit.occurred_at = min(visit.occurred_at, ctx.clock.now())
            visits.append(visit)
        except _Refused as e:
            results[pos]["reason"] = {"code": e.code, "zh": e.zh, "en": e.en}
    try:
        with ctx.uow(write=True) as uow:
            _Batch(ctx, actor, uow, visits, results).run()
            uow.commit()
    except IntegrityError:
        raise Conflict(
            "survey.concurrent",
            "另一台设备同时提交了相同的走访，本批未保存，请重新发送",
            "Another phone sent the same visits at the same moment; nothing of this batch was stored, send it again",
        ) from None
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("stored", "duplicate", "conflict", "refused")}
    assert sum(counts.values()) == len(raw_visits)
    return {"visits": len(raw_visits), **counts, "results": results}


class _Batch:
    def __init__(
        self, ctx: Context, actor: Actor, uow: UnitOfWork, visits: list[_Visit], results: list[dict[str, Any]]
    ) -> None:
        self.ctx, self.actor, self.uow, self.visits, self.results = ctx, actor, uow, visits, results
        self.now = ctx.clock.now()

    def _set(self, v: _Visit, status: str, **more: Any) -> None:
        self.results[v.pos].update(status=status, **more)

    def _refuse(self, v: _Visit, code: str, zh: str, en: str) -> None:
        self._set(v, "refused", reason={"code": code, "zh": zh, "en": en})

    def run(self) -> None:
        live = self._drop_duplicates(self.visits)
        live = self._households(live)
        live = self._conflicts(live)
        self._register(live)
        self._store(live)
        registered = sorted({f.registered for v in live for f in v.people if f.registered is not None})
        self.uow.audit.record(
            self.now,
            self.actor.username,
            "record_survey_visits",
            "batch",
            None,
            unit=self.actor.unit_code,
            visits=len(self.results),
            stored=len(live),
            registered=len(registered),
            person_ids=registered,  # who the visits registered or found again: each person's events say what
        )

    def _drop_duplicates(self, visits: list[_Visit]) -> list[_Visit]:
        """A key stored before (or twice in this batch) is the visit already kept."""
        stored: dict[str, tuple[int, int, str]] = {}
        v_ = survey_visits
        for chunk in chunks({v.key for v in visits}):
            rows = self.uow.conn.execute(
                select(v_.c.key, v_.c.id, v_.c.household_id, v_.c.community_code).where(v_.c.key.in_(chunk))
            )
            stored.update({r.key: (r.id, r.household_id, r.community_code) for r in rows})
        live: list[_Visit] = []
        first: dict[str, _Visit] = {}
        for v in visits:
            if v.key in stored:
                visit_id, household_id, community = stored[v.key]
                if not self.actor.covers(community):  # someone else's key: nothing said about their visit
                    self._refuse(
                        v, "survey.key_taken", "幂等键已被使用，请换一个", "The idempotency key is taken; use another"
                    )
                    continue
                self._set(v, "duplicate", visit_id=visit_id, household_id=household_id)
            elif v.key in first:
                self._set(v, "duplicate", same_as=first[v.key].pos)
            else:
                first[v.key] = v
                live.append(v)
        return live

    def _households(self, visits: list[_Visit]) -> list[_Visit]:
        """Each visit's household: a listed one within the jurisdiction, or a new address of a community in it
        (added, or the one already listed at that address)."""
        h = survey_households
        listed: dict[int, tuple[str, str]] = {}
        for chunk in chunks({v.household_id for v in visits if v.household_id is not None}):
            rows = self.uow.conn.execute(select(h.c.id, h.c.community_code, h.c.address).where(h.c.id.in_(chunk)))
            listed.update({r.id: (r.community_code, r.address) for r in rows})
        communities = {v.community for v in visits if v.household_id is None and v.community}
        known_units = self.uow.units.existing_codes(communities)
        live: list[_Visit] = []
        new: dict[tuple[str, str], str] = {}
        for v in visits:
            if v.household_id is not None:
                place = listed.get(v.household_id)
                if place is None or not self.actor.covers(place[0]):
                    self._refuse(
                        v,
                        "survey.household_not_found",
                        f"找不到住户 {v.household_id}（或不在您的管辖范围内）",
                        f"No household {v.household_id} (or not within your jurisdiction)",
                    )
                    continue
                v.community, v.address = place
            else:
                code = v.community or ""
                if code not in known_units or not self.actor.covers(code) or level_of(code) is not UnitLevel.COMMUNITY:
                    self._refuse(
                        v,
                        "survey.community_not_found",
                        f"找不到社区 {code}（或不在您的管辖范围内）",
                        f"No community {code} (or not within your jurisdiction)",
                    )
                    continue
                new.setdefault((code, v.address), v.label)
            live.append(v)
        self._add_households(new, [v for v in live if v.household_id is None])
        return live

    def _household_ids(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The ids of the listed households at these (community, address) keys, each sought in the key's index."""
        columns = ("community_code", "address")
        found = rows_of_pairs(self.uow.conn, survey_households, columns, keys, ("id", *columns))
        return {(community, address): hid for hid, community, address in found}

    def _add_households(self, new: dict[tuple[str, str], str], visits: list[_Visit]) -> None:
        if not new:
            return
        h = survey_households
        ids = self._household_ids(list(new))
        missing = [k for k in new if k not in ids]
        if missing:
            self.uow.conn.execute(
                insert(h),
                [
                    {
                        "community_code": c,
                        "address": a,
                        "label": new[(c, a)],
                        "added_by": self.actor.username,
                        "added_at": self.now,
                        "source": "team",
                    }
                    for c, a in missing
                ],
            )
            ids.update(self._household_ids(missing))
        for v in visits:
            assert v.community is not None
            v.household_id = ids[(v.community, v.address)]

    def _conflicts(self, visits: list[_Visit]) -> list[_Visit]:
        """A person the app loaded who changed since (another version now): the visit waits for the team."""
        wanted = {f.person_id for v in visits for f in v.people if f.person_id is not None}
        now_are: dict[int, Any] = {}
        for chunk in chunks(wanted):
            rows = self.uow.conn.execute(
                select(persons.c.id, persons.c.name, persons.c.status, persons.c.version, persons.c.unit_code).where(
                    persons.c.id.in_(chunk)
                )
            )
            now_are.update({r.id: r for r in rows})
        live: list[_Visit] = []
        for v in visits:
            changed, missing = [], False
            for f in v.people:
                if f.person_id is None:
                    continue
                row = now_are.get(f.person_id)
                if row is None or not self.actor.covers(row.unit_code):
                    missing = True
                elif row.version != f.version:
                    changed.append(
                        {"person_id": row.id, "name": row.name, "status": row.status, "version": row.version}
                    )
            if missing:
                self._refuse(
                    v,
                    "survey.person_not_found",
                    "找不到所记录的人员（或不在您的管辖范围内）",
                    "A person recorded is not found (or not within your jurisdiction)",
                )
            elif changed:
                self._set(
                    v,
                    "conflict",
                    household_id=v.household_id,
                    reason={
                        "code": "person.changed_meanwhile",
                        "zh": "人员信息在您载入后已被更改（如类别已上调），请核对后再提交",
                        "en": "Someone changed this person since you loaded them (their category raised, say); "
                        "check and send again",
                    },
                    current=changed,
                )
            else:
                live.append(v)
        return live

    def _register(self, visits: list[_Visit]) -> None:
        """The people found, registered by the registration's rules in this transaction. A known person is
        registered again by the survey reference they were first found by, so the registration merges the visit
        into them (a category raised, never lowered)."""
        known = {f.person_id for v in visits for f in v.people if f.person_id is not None and f.category != "none"}
        refs: dict[int, str] = {}
        for chunk in chunks(known):
            p = survey_visit_people
            found = self.uow.conn.execute(
                select(p.c.person_id, func.min(p.c.source_ref))
                .where(p.c.person_id.in_(chunk), p.c.source_ref.is_not(None))
                .group_by(p.c.person_id)
            )
            refs.update({pid: ref for pid, ref in found})
        tz, now = self.ctx.settings.tz, self.now
        rows: list[tuple[int, dict[str, str | None]]] = []
        for v in list(visits):
            planned: list[tuple[_Found, dict[str, str | None]]] = []
            problems: list[str] = []
            for f in v.people:
                if f.category == "none":
                    continue
                ref = refs.get(f.person_id) if f.person_id is not None else None
                row: dict[str, str | None] = {
                    "name": f.name,
                    "category": f.category,
                    "unit_code": v.community,
                    "address": v.address,
                    "identified_at": v.occurred_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    "source_ref": ref or f"{v.key}#{f.idx}",
                    "phone": f.phone or None,
                    "id_number": f.id_number or None,
                }
                checked = parse_person_input(row, now=now, tz=tz)
                if isinstance(checked, list):
                    problems.extend(f"{f.idx + 1}: {p.field} {p.zh} / {p.en}" for p in checked)
                planned.append((f, row))
            if problems:
                visits.remove(v)
                self._refuse(
                    v,
                    "person.invalid",
                    "在家人员的登记信息有误：" + "；".join(problems),
                    "A person at home cannot be registered: " + "; ".join(problems),
                )
                continue
            for f, row in planned:
                f.row = len(rows) + 1
                f.outcome = "registered"
                rows.append((f.row, row))
        if not rows:
            return
        summary = register_within(self.ctx, self.actor, self.uow, rows, source=SOURCE)
        rejected = {r.row: r for r in summary.rejections}
        for v in visits:
            for f in v.people:
                if f.row is None:
                    continue
                f.registered = summary.person_ids.get(f.row)
                if f.row in rejected:
                    f.outcome = "rejected"
                elif f.registered is None:
                    f.outcome = "referred"  # the same person is registered elsewhere: their unit checks it

    def _campaigns(self, visits: list[_Visit]) -> dict[tuple[str, Any], int | None]:
        """The campaign each visit counts for: covering its community on the day of the visit (the latest)."""
        tz = self.ctx.settings.tz
        wanted = {(v.community or "", v.occurred_at.astimezone(tz).date()) for v in visits}
        codes = {a for c, _ in wanted for a in [*ancestors_of(c), c]}
        c, cu = survey_campaigns, survey_campaign_units
        rows = self.uow.conn.execute(
            select(c.c.id, c.c.starts_on, c.c.ends_on, cu.c.unit_code)
            .select_from(c.join(cu, cu.c.campaign_id == c.c.id))
            .where(cu.c.unit_code.in_(codes))
            .order_by(c.c.starts_on, c.c.id)
        ).all()
        chosen: dict[tuple[str, Any], int | None] = {}
        for community, day in wanted:
            above = {*ancestors_of(community), community}
            hits = [r.id for r in rows if r.unit_code in above and r.starts_on <= day <= r.ends_on]
            chosen[(community, day)] = hits[-1] if hits else None
        return chosen

    def _store(self, visits: list[_Visit]) -> None:
        if not visits:
            return
        tz = self.ctx.settings.tz
        campaign = self._campaigns(visits)
        self.uow.conn.execute(
            insert(survey_visits),
            [
                {
                    "key": v.key,
                    "campaign_id": campaign[(v.community or "", v.occurred_at.astimezone(tz).date())],
                    "household_id": v.household_id,
                    "community_code": v.community,
                    "outcome": v.outcome,
                    "people_home": len(v.people),
                    "occurred_at": v.occurred_at,
                    "received_at": self.now,
                    "recorded_by": self.actor.username,
                    "note": v.note,
                }
                for v in visits
            ],
        )
        ids: dict[str, int] = {}
        for chunk in chunks([v.key for v in visits]):
            rows = self.uow.conn.execute(
                select(survey_visits.c.key, survey_visits.c.id).where(survey_visits.c.key.in_(chunk))
            )
            ids.update({r.key: r.id for r in rows})
        people = [
            {
                "visit_id": ids[v.key],
                "idx": f.idx,
                "name": f.name,
                "temperature": f.temperature,
                "symptoms": ",".join(f.symptoms),
                "category": f.category,
                "person_id": f.registered if f.registered is not None else f.person_id,
                "source_ref": f"{v.key}#{f.idx}" if f.registered is not None and f.person_id is None else None,
            }
            for v in visits
            for f in v.people
        ]
        if people:
            self.uow.conn.execute(insert(survey_visit_people), people)
        for v in visits:
            self._set(
                v,
                "stored",
                visit_id=ids[v.key],
                household_id=v.household_id,
                people=[
                    {"idx": f.idx, "category": f.category, "person_id": f.registered, "outcome": f.outcome}
                    for f in v.people
                ],
            )
