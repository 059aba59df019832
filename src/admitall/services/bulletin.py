"""The public daily bulletin (每日通报): the city's and each district's figures for one closed local day.

It holds aggregate counts only, never anything about a person, so it needs no actor: anyone may read it.

Reproducible: a day's figures are counted from the append-only event log alone, taking only the events that
had both happened and been recorded before the day's cut-off — 24:00 in the city's time zone (the half-open day
[00:00, 24:00)). An event recorded later, even one that happened earlier, never changes a closed day's bulletin;
it counts on the day it was recorded. So the bulletin for a past day, regenerated at any later time, gives the
same figures (only bed capacity is read as it is now: capacity changes are not kept historically).

A person's state at a cut-off is replayed from those events: their status, severity and district (of the unit
they were registered in), and the bed they were in. "New" means known at this cut-off and not at the previous
one (newly reported on the day); "existing" is transitions into a status minus transitions out of it;
"cumulative" is every transition up to the cut-off, so that cumulative confirmed = existing confirmed +
cumulative recovered + deaths among the confirmed. The counting is done by the database (window functions and
GROUP BY over the event log, on SQLite and PostgreSQL alike), once: a closed day's figures are kept as first
counted (bed capacity included), and the watch counts yesterday's soon after midnight.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import BedType
from admitall.domain.people import FOUR_CATEGORIES, EventKind, Status
from admitall.domain.text import check_day
from admitall.domain.units import PREFIX_LENGTH, UnitLevel
from admitall.services import chain_heads
from admitall.services.context import Context
from admitall.services.scorecards import day_window, today
from admitall.store.tables import bed_pools, facilities, person_events, units

E = person_events.c
# per district prefix (6 digits), the counts of each figure
Figures = dict[str, Counter[str]]
DISTRICT_DIGITS = PREFIX_LENGTH[UnitLevel.DISTRICT]
# the first day a bulletin can be asked for: no outbreak record in this system is older
FIRST_DAY = date(2000, 1, 1)
# in the order the page shows them; every one is an additive count (a district's figures add up to the city's)
FIGURES = (
    "new_confirmed", "existing_confirmed", "existing_severe", "existing_critical", "new_recovered", "new_dead",
    "new_dead_confirmed", "cumulative_confirmed", "cumulative_recovered", "cumulative_dead", "existing_suspected",
    "existing_fever", "existing_contact",
)  # fmt: skip
# leaving these frees the bed (a recovered patient queues again, for a recovery room)
LEAVING = (Status.RECOVERED.value, Status.RELEASED.value, Status.EXCLUDED.value, Status.DEAD.value)
CONFIRMED, RECOVERED, DEAD = Status.CONFIRMED.value, Status.RECOVERED.value, Status.DEAD.value
# (code, zh, en): what a reader must know to read the figures right
NOTES = (
    (
        "reproducible",
        "只统计在当日24时（本市时间）之前发生并已录入的记录；之后补录的记录计入补录当日，已发布日期的数字不会改变。",
        "Only records that had happened and been entered before 24:00 (city time) count; a record entered later "
        "counts on the day it was entered, so a published day's figures never change.",
    ),
    (
        "new_is_reported",
        "“新增”指截至本日24时已录入、截至前一日24时尚未录入的变化。",
        "'New' means changes on record by 24:00 of this day that were not on record by 24:00 the day before.",
    ),
    (
        "capacity_is_current",
        "床位容量为当日24时已开放机构在本期通报首次生成时的容量（容量变更不保留历史）；占用数按当时在床人数重建。",
        "Bed capacity is that of the facilities open at 24:00 of the day as it stood when this bulletin was first "
        "counted (capacity changes are not kept historically); occupied beds are rebuilt from who was in a bed then.",
    ),
)


def _parse_day(day: str | date | None, last_closed: date) -> date:
    if day is None or day == "":
        return last_closed
    if isinstance(day, date):
        return day.date() if isinstance(day, datetime) else day
    try:
        return check_day("day", date.fromisoformat(day.strip()))
    except ValueError:
        shown = day[:40]
        raise InvalidInput(
            "bulletin.bad_day",
            f"日期格式应为 YYYY-MM-DD（如 2020-02-11）：{shown}",
            f"A day is written YYYY-MM-DD (such as 2020-02-11): {shown}",
            field="day",
        ) from None


def _closed_day(ctx: Context, day: str | date | None) -> tuple[date, date]:
    """(the day asked for, the last closed day), refusing a day not over yet or before the first day."""
    last_closed = today(ctx) - timedelta(days=1)
    wanted = _parse_day(day, last_closed)
    if wanted > last_closed:
        raise InvalidInput(
            "bulletin.day_not_over",
            f"{wanted.isoformat()} 尚未结束（{ctx.settings.timezone}），通报只发布已经结束的日子；"
            f"最近一期是 {last_closed.isoformat()}",
            f"{wanted.isoformat()} is not over yet ({ctx.settings.timezone}); a bulletin covers only a day "
            f"that has ended. The latest is {last_closed.isoformat()}",
            field="day",
        )
    if wanted < FIRST_DAY:
        raise InvalidInput(
            "bulletin.day_too_early",
            f"没有 {FIRST_DAY.isoformat()} 之前的通报",
            f"There is no bulletin before {FIRST_DAY.isoformat()}",
            field="day",
        )
    return wanted, last_closed


def _known(cut: datetime) -> ColumnElement[bool]:
    """Events that had happened and been recorded before the cut-off."""
    return and_(E.occurred_at < cut, E.recorded_at < cut)


def _latest() -> Any:
    """Rank each person's events, the latest (in the order of their own history) first."""
    return func.row_number().over(partition_by=E.person_id, order_by=E.seq.desc())


def _district() -> Any:
    """On each of a person's events, the district of the unit they were registered in (no step changes a
    person's unit afterwards: a merge keeps the registered one). Their identification is always among the events
    selected, so one window over the person gives it without a join."""
    registered = case((E.kind == EventKind.IDENTIFIED.value, E.data["unit_code"].as_string()))
    return func.substr(func.max(registered).over(partition_by=E.person_id), 1, DISTRICT_DIGITS)


def _status_to() -> ColumnElement[Any]:
    """The status an identification or a reclassification leads to."""
    return func.coalesce(E.data["status"].as_string(), E.data["to"].as_string())


def _tally(f: Counter[str], src: str | None, dst: str | None, n: int, fresh: bool) -> None:
    """Add n transitions src → dst (fresh: new at this cut-off) to one place's figures."""
    for status in FOUR_CATEGORIES:
        f[f"existing_{status.value}"] += n * ((dst == status.value) - (src == status.value))
    if dst == CONFIRMED:
        f["cumulative_confirmed"] += n
        f["new_confirmed"] += n * fresh
    if src == CONFIRMED and dst == RECOVERED:
        f["cumulative_recovered"] += n
        f["new_recovered"] += n * fresh
    if dst == DEAD:
        f["cumulative_dead"] += n
        f["new_dead"] += n * fresh
        f["new_dead_confirmed"] += n * fresh * (src == CONFIRMED)


def _transitions(conn: Connection, cuts: tuple[datetime, datetime, datetime]) -> tuple[Figures, Figures]:
    """New, existing and cumulative figures per district at the day's cut-off and at the previous day's, from
    the status transitions, in one pass: each is tagged with the first of the three cut-offs it was known at."""
    before, since, cut = cuts
    inner = (
        select(
            _district().label("district"),
            E.data["from"].as_string().label("src"),
            _status_to().label("dst"),
            case((_known(before), 0), (_known(since), 1), else_=2).label("known"),
        )
        .where(E.kind.in_([EventKind.IDENTIFIED.value, EventKind.RECLASSIFIED.value]), _known(cut))
        .subquery()
    )
    c = inner.c
    query = select(c.district, c.src, c.dst, c.known, func.count()).group_by(c.district, c.src, c.dst, c.known)
    now: Figures = {}
    then: Figures = {}
    for where, src, dst, known, n in conn.execute(query):
        _tally(now.setdefault(where, Counter()), src, dst, n, known == 2)
        if known < 2:
            _tally(then.setdefault(where, Counter()), src, dst, n, known == 1)
    return now, then


def _severities(conn: Connection, cut: datetime, among: Any = None) -> Figures:
    """Severe and critical among the confirmed at the cut-off: each person's latest status or severity event (of
    the people `among` selects, if given)."""
    changed = E.kind == EventKind.SEVERITY_CHANGED.value
    kinds = [EventKind.IDENTIFIED.value, EventKind.RECLASSIFIED.value, EventKind.SEVERITY_CHANGED.value]
    ranked = (
        select(
            _district().label("district"),
            case((changed, CONFIRMED), else_=_status_to()).label("status"),
            case((changed, E.data["to"].as_string()), else_=E.data["severity"].as_string()).label("severity"),
            _latest().label("rn"),
        )
        .where(_kind(among).in_(kinds), _known(cut), *_among(among))
        .subquery()
    )
    c = ranked.c
    query = (
        select(c.district, c.severity, func.count())
        .where(c.rn == 1, c.status == CONFIRMED, c.severity.in_(["severe", "critical"]))
        .group_by(c.district, c.severity)
    )
    out: Figures = {}
    for where, severity, n in conn.execute(query):
        out.setdefault(where, Counter())[f"existing_{severity}"] += n
    return out


def _figures(conn: Connection, cuts: tuple[datetime, datetime, datetime]) -> tuple[Figures, Figures]:
    """Every figure per district at the day's cut-off and at the previous day's."""
    now, then = _transitions(conn, cuts)
    for figures, cut in ((now, cuts[2]), (then, cuts[1])):
        for where, counts in _severities(conn, cut).items():
            figures.setdefault(where, Counter()).update(counts)
    return now, then


def _counts(conn: Connection, query: Any) -> dict[str, int]:
    return {str(key): int(n or 0) for key, n in conn.execute(query)}


def _among(among: Any) -> list[ColumnElement[bool]]:
    """The events of the people `among` selects (all when None)."""
    return [] if among is None else [E.person_id.in_(among)]


def _kind(among: Any) -> ColumnElement[Any]:
    """The event's kind; for a few people (`among`), as an expression no index is on, so that SQLite finds their
    events by person, not every event of the kind."""
    return E.kind if among is None else E.kind.concat("")


def _capacity(conn: Connection, cut: datetime) -> dict[str, int]:
    """Per bed type, the capacity of the facilities open at the cut-off (as they are now)."""
    f = facilities.c
    return _counts(
        conn,
        select(bed_pools.c.bed_type, func.sum(bed_pools.c.capacity))
        .select_from(bed_pools.join(facilities, f.code == bed_pools.c.facility_code))
        .where(or_(f.opens_at.is_(None), f.opens_at < cut), or_(f.closes_at.is_(None), f.closes_at >= cut))
        .group_by(bed_pools.c.bed_type),
    )


def _occupied(conn: Connection, cut: datetime, among: Any = None) -> dict[str, int]:
    """Per bed type, the beds occupied at the cut-off (of the people `among` selects, if given): a person is in
    the bed of their latest admission unless they left the four categories after it."""
    admitted = _kind(among) == EventKind.ADMITTED.value
    leaving = and_(_kind(among) == EventKind.RECLASSIFIED.value, E.data["to"].as_string().in_(LEAVING))
    ranked = (
        select(E.kind, E.data["bed_type"].as_string().label("bed_type"), _latest().label("rn"))
        .where(or_(admitted, leaving), _known(cut), *_among(among))
        .subquery()
    )
    return _counts(
        conn,
        select(ranked.c.bed_type, func.count())
        .where(ranked.c.rn == 1, ranked.c.kind == EventKind.ADMITTED.value)
        .group_by(ranked.c.bed_type),
    )


def _bed_rows(capacity: dict[str, int], occupied: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {
            "bed_type": bed.value,
            "capacity": capacity.get(bed.value, 0),
            "occupied": occupied.get(bed.value, 0),
            "free": max(capacity.get(bed.value, 0) - occupied.get(bed.value, 0), 0),
        }
        for bed in BedType
    ]


def _sum(parts: Any) -> Counter[str]:
    """Add counters keeping zeros and negatives (Counter's + drops them)."""
    total: Counter[str] = Counter()
    for part in parts:
        total.update(part)
    return total


def _area(now: Counter[str], then: Counter[str]) -> dict[str, Any]:
    """A place's figures at the cut-off and their change since the previous day's."""
    return {"figures": {k: now[k] for k in FIGURES}, "change": {k: now[k] - then[k] for k in FIGURES}}


def _districts(places: list[Any], now: Figures, then: Figures) -> list[dict[str, Any]]:
    """One row per district, in code order; people registered above any district (a city-level unit) in one
    row apart, so that the rows add up to the city."""
    named = {
        code[:DISTRICT_DIGITS]: (code, name) for code, name, level, _ in places if level == UnitLevel.DISTRICT.value
    }
    rows = [
        {"code": code, "name": name, **_area(now.get(p, Counter()), then.get(p, Counter()))}
        for p, (code, name) in sorted(named.items())
    ]
    other = sorted((set(now) | set(then)) - set(named))
    if other:
        figures = _area(_sum(now.get(p, ()) for p in other), _sum(then.get(p, ()) for p in other))
        rows.append({"code": None, "name": None, **figures})
    return rows


def daily_bulletin(ctx: Context, day: str | date | None = None) -> dict[str, Any]:
    """The bulletin for a closed local day (None: the last closed one, yesterday), as plain data with no personal
    data in it: as first published if it was, else counted now and kept (see the module's docstring)."""
    wanted, last_closed = _closed_day(ctx, day)
    first_day = _check_recorded(ctx, wanted)
    figures = store_bulletin(ctx, wanted)
    return {
        **figures,
        "previous_day": (wanted - timedelta(days=1)).isoformat() if wanted > first_day else None,
        "next_day": (wanted + timedelta(days=1)).isoformat() if wanted < last_closed else None,
        "latest_day": last_closed.isoformat(),
    }


def _check_recorded(ctx: Context, wanted: date) -> date:
    """Refuse a day before anyone was registered: it has nothing to publish, and counting (and keeping) every
    such day on request would let anyone make the server do it."""
    with ctx.uow() as uow:
        first = uow.conn.execute(
            select(func.min(E.occurred_at)).where(E.kind == EventKind.IDENTIFIED.value)
        ).scalar_one()
    first_day = first.astimezone(ctx.settings.tz).date() if first is not None else None
    if first_day is None or wanted < first_day:
        since = first_day.isoformat() if first_day else "—"
        raise InvalidInput(
            "bulletin.before_records",
            f"{wanted.isoformat()} 之前尚无任何登记记录（最早记录日期：{since}），没有该日通报",
            f"Nobody had been registered by {wanted.isoformat()} (the first record is from {since}); "
            "there is no bulletin for that day",
            field="day",
        )
    return first_day


def store_bulletin(ctx: Context, day: date) -> dict[str, Any]:
    """A closed day's figures: read back if kept, else counted and kept. Two servers counting the same day at
    once count the same figures; the second one's insert is refused and it reads the first one's."""
    with ctx.uow() as uow:
        kept = uow.bulletins.get(day)
    if kept is not None:
        return _shown(kept)
    figures = _count(ctx, day)
    # the day's chain heads, printed on every copy (services.chain_heads): a rewritten history contradicts them
    figures["chain_heads"] = chain_heads.printed(chain_heads.record_day(ctx, day))
    try:
        with ctx.uow(write=True) as uow:
            uow.bulletins.add(day, figures, ctx.clock.now())
            uow.commit()
    except IntegrityError:
        pass
    return _shown(figures)


def _shown(figures: dict[str, Any]) -> dict[str, Any]:
    """A kept bulletin without what is kept for counting the next day (services.bulletin_days)."""
    return {k: v for k, v in figures.items() if not k.startswith("_")}


def _count(ctx: Context, wanted: date) -> dict[str, Any]:
    """The day's figures: from the day before's kept figures and the day's events where they can be used
    (services.bulletin_days), else counted from the whole event log; with the newest event id the count saw."""
    from admitall.services.bulletin_days import THROUGH, from_day_before  # it counts with this module's parts

    since, cut = day_window(wanted, ctx)
    before_since, _ = day_window(wanted - timedelta(days=1), ctx)
    with ctx.uow() as uow:
        through = int(uow.conn.execute(select(func.coalesce(func.max(E.id), 0))).scalar_one())
        u = units.c
        wanted_units = or_(u.level == UnitLevel.DISTRICT.value, u.parent_code.is_(None))
        places = list(uow.conn.execute(select(u.code, u.name, u.level, u.parent_code).where(wanted_units)))
        named = {code[:DISTRICT_DIGITS] for code, _, level, _ in places if level == UnitLevel.DISTRICT.value}
        counted = from_day_before(uow.conn, wanted, since, cut, named)
        if counted is None:
            now, then = _figures(uow.conn, (before_since, since, cut))
            occupied = _occupied(uow.conn, cut)
        else:
            now, then, occupied = counted
        beds = _bed_rows(_capacity(uow.conn, cut), occupied)
    roots = [(code, name) for code, name, _, parent in places if parent is None]
    return {
        THROUGH: through,
        "day": wanted.isoformat(),
        "timezone": ctx.settings.timezone,
        "cutoff": cut.astimezone(UTC).isoformat(),
        "area": {"code": roots[0][0], "name": roots[0][1]} if len(roots) == 1 else None,
        "city": _area(_sum(now.values()), _sum(then.values())),
        "districts": _districts(places, now, then),
        "beds": beds,
        "beds_total": {k: sum(b[k] for b in beds) for k in ("capacity", "occupied", "free")},
        "notes": [{"code": code, "zh": zh, "en": en} for code, zh, en in NOTES],
    }


def publish_yesterday(ctx: Context) -> bool:
    """Count and keep yesterday's bulletin if it is not kept yet (the watch calls this every round); False when
    there was nothing to do or nobody had been registered by then."""
    yesterday = today(ctx) - timedelta(days=1)
    with ctx.uow() as uow:
        if uow.bulletins.get(yesterday) is not None:
            return False
    try:
        _check_recorded(ctx, yesterday)
    except InvalidInput:
        return False
    store_bulletin(ctx, yesterday)
    return True
