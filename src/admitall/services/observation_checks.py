"""The twice-daily checks of contacts in observation (issue 17 §2): recorded by their team, a batch at once (the
phone form sends one, the twin an hour's worth), and the watch's round that raises the missed ones.

A check with fever (≥ the policy's threshold) or a symptom moves the person at once to `fever` (or `suspected`, by
the policy) with an event saying why (the reading in its data), into the admission engine's queue; their
observation closes as converted. A check missed past its deadline is an alert to the team's unit, like a missed
report: one per person and day, not per check, found by one set statement (services.watch calls the round).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Integer, bindparam, literal, select, union_all, update

from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError, InvalidInput
from admitall.domain.lifecycle import apply
from admitall.domain.observation import (
    ObservationState,
    alarm,
    check_temperature,
    parse_symptoms,
    slot_of,
    spans,
)
from admitall.domain.officials import LeadAssignment
from admitall.domain.people import EventKind, PersonEvent
from admitall.services.changes import Batch, save_changes_many
from admitall.services.context import Actor, Context, not_found
from admitall.services.observation import (
    IN_QUARANTINE,
    TEAM_UNIT,
    WATCHED,
    chunked,
    close_departed,
    ensure_reach,
    joined,
    local_day,
    local_naive,
)
from admitall.services.tracing import keep_clusters
from admitall.store.bulk import bulk_insert
from admitall.store.repositories.alert_batch import raise_alerts
from admitall.store.tables import UTCDateTime, alerts, persons
from admitall.store.tables_observation import observation_checks, observations
from admitall.store.uow import UnitOfWork

MISSED_CHECK = "missed_check"
# the round looks back this far for deadlines passed (a watch down for a while catches up on the last day)
LOOKBACK = timedelta(hours=24)
# a round between two others also looks at the changes recorded this long before the last one began
SETTLE = timedelta(hours=1)
_o, _c = observations.c, observation_checks.c


@dataclass(frozen=True)
class CheckInput:
    person_id: int
    temperature: float | None
    symptoms: tuple[str, ...] = ()
    at: datetime | None = None  # when it was taken; the server's now by default


@dataclass
class CheckSummary:
    recorded: int = 0
    converted: list[int] = field(default_factory=list)  # people moved to fever (or suspected)
    refused: list[tuple[CheckInput, str, str]] = field(default_factory=list)  # (check, code, message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "converted": self.converted,
            "refused": [{"person_id": c.person_id, "code": code, "message": m} for c, code, m in self.refused],
        }


_FOUND = (
    select(
        _o.id,
        _o.person_id,
        _o.starts_on,
        _o.ends_on,
        IN_QUARANTINE.label("quarantined"),
        TEAM_UNIT.label("team_unit"),
        persons.c.facility_code,
    )
    .select_from(joined())
    .where(WATCHED, _o.person_id.in_(bindparam("ids", expanding=True)))
)
_TAKEN = select(_c.person_id, _c.day, _c.slot).where(
    _c.person_id.in_(bindparam("ids", expanding=True)), _c.day.in_(bindparam("days", expanding=True))
)


def record_checks(
    ctx: Context, actor: Actor, checks: Iterable[CheckInput], *, source: str = "observation", lang: str = "zh"
) -> CheckSummary:
    """Record the checks, in one transaction (one statement per table): each for a contact in observation whose
    team the actor is (or is above), one per slot; refused ones named with their reason, the others stored."""
    actor.require(Permission.RECLASSIFY)
    checks = list(checks)
    now = ctx.clock.now()
    summary = CheckSummary()
    # where each check's time falls, once for each distinct time (a batch's checks mostly share theirs)
    moments = {at: _moment(ctx, at, now) for at in {c.at for c in checks}}
    with ctx.uow(write=True) as uow:
        ids = sorted({c.person_id for c in checks})
        days = sorted({m.day for m in moments.values()})
        found: dict[int, Any] = {}
        taken: set[tuple[Any, ...]] = set()
        for part in chunked(ids):
            found.update((r.person_id, r) for r in uow.conn.execute(_FOUND, {"ids": part}))
            taken.update(tuple(r) for r in uow.conn.execute(_TAKEN, {"ids": part, "days": days}))
        rows: list[dict[str, Any]] = []
        alarms: dict[int, tuple[tuple[str, str], datetime, dict[str, Any]]] = {}
        for chk in checks:
            try:
                row, why = _one(ctx, actor, chk, found.get(chk.person_id), taken, moments[chk.at])
            except AdmitAllError as e:
                summary.refused.append((chk, e.code, e.message(lang)))
                continue
            rows.append(row)
            summary.recorded += 1
            if why is not None and chk.person_id not in alarms:
                reading = {"temperature": row["temperature"], "symptoms": row["symptoms"], "day": str(row["day"])}
                alarms[chk.person_id] = (why, row["checked_at"], reading)
        bulk_insert(uow.conn, observation_checks, rows)  # plain tuples: twice a day for every contact watched
        summary.converted = _convert(ctx, uow, actor, alarms, source, lang)
        uow.audit.record(
            now, actor.username, "observation_checks", "batch", None, unit=actor.unit_code, source=source,
            checks=len(checks), recorded=summary.recorded, converted=len(summary.converted),
            refused=len(summary.refused),
        )  # fmt: skip
        uow.commit()
    return summary


def _zoned(ctx: Context, at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=ctx.settings.tz) if at is not None and at.tzinfo is None else at


@dataclass(frozen=True)
class _Moment:
    """Where a check's time falls: the time (zoned), its local day and slot, past the slot's deadline or not."""

    at: datetime
    day: date
    slot: int
    late: bool
    future: bool


def _moment(ctx: Context, given: datetime | None, now: datetime) -> _Moment:
    rules = ctx.policy.observation
    at = _zoned(ctx, given) or now  # a time without a zone is the city's
    local = local_naive(ctx, at)
    day, slot = local.date(), slot_of(local.time(), rules)
    return _Moment(at, day, slot, local >= spans(day, rules)[slot][2], at > now)


def _one(
    ctx: Context, actor: Actor, chk: CheckInput, obs: Any, taken: set[tuple[Any, ...]], moment: _Moment
) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """The check's row, and why it alarms (None: it does not); refused with the rule named."""
    rules = ctx.policy.observation
    if obs is None or not ensure_reach(actor, obs.team_unit, obs.facility_code, obs.quarantined):
        raise not_found("person", chk.person_id)
    if moment.future:
        raise InvalidInput("check.in_future", "检测时间晚于现在", "The check's time is after now", field="at")
    temperature = check_temperature(chk.temperature)
    symptoms = parse_symptoms(chk.symptoms)
    day, slot = moment.day, moment.slot
    if not obs.starts_on <= day < obs.ends_on:
        raise InvalidInput(
            "check.outside_window", "检测日期不在医学观察期内", "The check's day is outside the observation", field="at"
        )
    if (chk.person_id, day, slot) in taken:
        raise InvalidInput(
            "check.already_recorded", "该时段的检测已登记", "This slot's check is recorded already", field="at"
        )
    taken.add((chk.person_id, day, slot))
    why = alarm(temperature, symptoms, rules)
    row = {
        "observation_id": obs.id,
        "person_id": chk.person_id,
        "day": day,
        "slot": slot,
        "checked_at": moment.at,
        "temperature": temperature,
        "symptoms": ",".join(s.value for s in symptoms),
        "alarming": why is not None,
        "late": moment.late,
        "actor": actor.username,
        "team_unit": obs.team_unit,
    }
    return row, why


def _convert(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    alarms: Mapping[int, tuple[tuple[str, str], datetime, dict[str, Any]]],
    source: str,
    lang: str,
) -> list[int]:
    """Move each alarmed contact to the policy's category at once, the event saying why (the reading in its data),
    and close their observations as converted; one statement per table."""
    if not alarms:
        return []
    to = ctx.policy.observation.fever_moves_to
    people = uow.persons.get_many(alarms)

    def decide(batch: Batch) -> list[int]:
        done = []
        for pid, ((zh, en), at, reading) in alarms.items():
            person = batch.people.get(pid)
            if person is None:
                continue
            stamp = ctx.stamp(actor, source, reason=en if lang == "en" else zh, occurred_at=at)
            data = {"from": person.status.value, "to": to.value, "severity": None, "check": reading}
            event = PersonEvent(EventKind.RECLASSIFIED, stamp, data)
            try:
                batch.add(person, apply(person, event), [event], "observation_fever")
            except AdmitAllError:
                continue
            done.append(pid)
        return done

    converted = save_changes_many(ctx, uow, actor, people, decide)
    if converted:
        now = ctx.clock.now()
        uow.conn.execute(
            update(observations)
            .where(_o.person_id == bindparam("pid"), _o.state == ObservationState.ACTIVE.value)
            .values(state=ObservationState.CONVERTED.value, closed_at=now, closed_reason=f"to {to.value}"),
            [{"pid": pid} for pid in converted],
        )
    return sorted(converted)


def _slots_passed(
    ctx: Context, now: datetime, since: datetime | None = None
) -> list[tuple[date, int, datetime, datetime, datetime]]:
    """(day, slot, span start, deadline, the day's start) in UTC for the slots whose deadline passed within the
    lookback — and after `since`, when given (the last round looked at those before it)."""
    tz = ctx.settings.tz
    local_now = local_naive(ctx, now)
    after = local_now - LOOKBACK if since is None else max(local_now - LOOKBACK, local_naive(ctx, since))
    found = []
    for day in (local_now.date() - timedelta(days=1), local_now.date()):
        for k, start, deadline in spans(day, ctx.policy.observation):
            if after < deadline <= local_now:
                utc = [t.replace(tzinfo=tz).astimezone(now.tzinfo) for t in (start, deadline)]
                midnight = datetime.combine(day, datetime.min.time()).replace(tzinfo=tz).astimezone(now.tzinfo)
                found.append((day, k, utc[0], utc[1], midnight))
    return found


def missed_statement(slots: Sequence[tuple[date, int, datetime, datetime, datetime]]) -> Any:
    """One statement over the passed slots: each watched contact due for a slot and without a check in it, whose
    missed-check alert for that day is not raised yet (the alerts' unique key, so its index)."""
    parts = []
    for day, k, start, _deadline, midnight in slots:
        d = literal(day, Date)
        m = literal(midnight, UTCDateTime())
        checked = select(_c.id).where(_c.person_id == _o.person_id, _c.day == d, _c.slot == literal(k, Integer))
        a = alerts.c
        raised = select(a.id).where(
            a.kind == MISSED_CHECK, a.unit_code == TEAM_UNIT, a.period_start == m, a.step == 0,
            a.subject_id == _o.person_id,
        )  # fmt: skip
        parts.append(
            select(
                _o.person_id.label("person_id"),
                TEAM_UNIT.label("team_unit"),
                literal(day.isoformat()).label("day"),
                literal(k, Integer).label("slot"),
            )
            .select_from(joined())
            .where(
                WATCHED, _o.starts_on <= d, _o.ends_on > d, _o.due_from <= start, ~checked.exists(), ~raised.exists()
            )
        )
    return union_all(*parts) if len(parts) > 1 else parts[0]


def observation_round(
    ctx: Context,
    uow: UnitOfWork,
    now: datetime,
    leads: Mapping[str, LeadAssignment],
    since: datetime | None = None,
) -> dict[str, int]:
    """The watch's part: end the observations of people no longer contacts, raise one alert per person and day
    for checks missed past their deadline (to the team's unit, naming its lead), then keep the tracing tile's
    figures of the tree's top units (services.tracing.keep_clusters).

    `since` is when the last round that finished well began (the watch's record): a round looks at what happened
    since — the deadlines passed since, and the people whose category changed since (from SETTLE before, for a
    write that committed after that round read). The first round of a local day, or one without `since`, looks at
    every active observation and the whole lookback."""
    between = since is not None and local_day(ctx, since) == local_day(ctx, now)  # not the day's first round
    ended = close_departed(uow, now, since - SETTLE if since is not None and between else None)
    slots = _slots_passed(ctx, now, since)
    raised = _raise_missed(uow, now, leads, slots) if slots else 0
    kept = keep_clusters(uow, now)
    return {"observations_ended": ended, "missed_checks_raised": raised, "tracing_tiles_kept": kept}


def _raise_missed(
    uow: UnitOfWork,
    now: datetime,
    leads: Mapping[str, LeadAssignment],
    slots: Sequence[tuple[date, int, datetime, datetime, datetime]],
) -> int:
    deadlines = {(day.isoformat(), k): deadline for day, k, _s, deadline, _m in slots}
    midnights = {day.isoformat(): midnight for day, _k, _s, _d, midnight in slots}
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for r in uow.conn.execute(missed_statement(slots)).mappings():
        key = (r["person_id"], str(r["day"]))
        if key in rows:
            continue
        team = r["team_unit"]
        lead = leads.get(team)
        rows[key] = {
            "kind": MISSED_CHECK,
            "unit_code": team,
            "period_start": midnights[str(r["day"])],
            "target_unit": team,
            "step": 0,
            "consecutive": 1,
            "raised_at": now,
            "subject_id": r["person_id"],
            "official_id": lead.official_id if lead is not None else None,
            "detail": {
                "person_id": r["person_id"],
                "day": str(r["day"]),
                "slot": r["slot"],
                "deadline": deadlines[(str(r["day"]), r["slot"])].isoformat(),
            },
        }
    return raise_alerts(uow.conn, uow.keys, list(rows.values()), checked=True)
