"""The registry's own figures for reports, counted for many units at once and rolled up the unit tree.

A report carries what the registry knows of the unit's subtree: people found in the period by category and
admitted in it (from the `event_flows` projection, by the unit the person belonged to when it happened), and who
waits for a bed now (by category and severity, the longest wait, how many are past their class's target). One
statement counts them per unit for a whole range of units — one community, or every unit of the city — and the
counts are summed here for every unit that asked, by its code's prefix: a city's hour of reports costs one pass,
not one per report.

Nothing scans everyone ever registered: the waiting are found through the index on (placement, unit_code,
status, severity, waiting_since) (migration 0012), the late from the same index (an open wait segment is read
only when a confirmed patient's class cannot be told from it: _BREACHES_UNSURE), the flows through their
(occurred_at, unit_code, …) index. Released and recovered people cost nothing here.

A submission counts its figures itself (services.reporting_batch); a report attested as drafted states them, so
they are counted once for what it states and what the registry holds. The statements are built once, with bind
parameters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import CTE, Subquery

from admitall.domain.people import EventKind, Placement, Severity, Status
from admitall.domain.policy import Policy, PriorityClass
from admitall.domain.reporting import Period
from admitall.domain.units import CODE_LENGTH, PREFIX_LENGTH, prefix_of, subtree_bounds
from admitall.store.tables import UTCDateTime, persons
from admitall.store.tables_accountability import wait_segments
from admitall.store.tables_census import event_flows

# a class the policy sets no target for is never late: its cutoff lies before anyone was registered
NEVER = datetime(1900, 1, 1, tzinfo=UTC)
_LOW, _HIGH = bindparam("low", type_=String), bindparam("high", type_=String)
_START, _END = bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
_CUTOFF = {cls: bindparam(f"cut_{cls.value}", type_=UTCDateTime()) for cls in PriorityClass}
_NO_TIME = type_coerce(null(), UTCDateTime())
_NO_TEXT = type_coerce(null(), String)

_c, _w, _f = persons.c, wait_segments.c, event_flows.c

# who waits now, per unit, category and severity, with the longest wait: read from the index alone
_WAITING = (
    select(
        literal_column("'w'").label("part"),
        _c.unit_code.label("unit"),
        _c.status.label("a"),
        _c.severity.label("b"),
        func.count().label("n"),
        func.min(_c.waiting_since).label("t"),
    )
    .where(_c.placement == Placement.WAITING.value, _c.unit_code.between(_LOW, _HIGH))
    .group_by(_c.unit_code, _c.status, _c.severity)
)
# the waiting past their class's target. A waiting person's open wait segment began at their `waiting_since`, in
# their unit, in the class the policy gives them (domain.waits); the class follows from the status and severity
# alone but for a confirmed patient neither severe nor critical, who is `confirmed_risk` or `confirmed` by risks
# and age. So the late are counted from the waiting index alone, a confirmed patient of that kind against the
# earlier of the two classes' cutoffs (late in either class), and only those who waited between the two cutoffs
# are looked up in their open segment for their class (none when the two targets are the same, as by default).
CLASS_BY_STATUS = {
    Status.SUSPECTED: PriorityClass.SUSPECTED,
    Status.FEVER: PriorityClass.FEVER,
    Status.CONTACT: PriorityClass.CONTACT,
    Status.RECOVERED: PriorityClass.RECOVERED,
}  # policy.classify_fields for every status but confirmed (tests check they agree)
_SURE, _UNSURE = bindparam("cut_sure", type_=UTCDateTime()), bindparam("cut_unsure", type_=UTCDateTime())
_CONFIRMED = _c.status == Status.CONFIRMED.value
_MILDER = or_(
    _c.severity.is_(None),
    _c.severity.not_in([literal_column(f"'{v.value}'") for v in (Severity.SEVERE, Severity.CRITICAL)]),
)
_CUT = case(
    (and_(_CONFIRMED, _c.severity == Severity.CRITICAL.value), _CUTOFF[PriorityClass.CRITICAL]),
    (and_(_CONFIRMED, _c.severity == Severity.SEVERE.value), _CUTOFF[PriorityClass.SEVERE]),
    (_CONFIRMED, _SURE),
    *((_c.status == status.value, _CUTOFF[cls]) for status, cls in CLASS_BY_STATUS.items()),
    else_=bindparam("never", type_=UTCDateTime()),
)
_BREACHES = (
    select(
        literal_column("'b'"),
        _c.unit_code,
        _NO_TEXT,
        _NO_TEXT,
        func.sum(case((_c.waiting_since < _CUT, 1), else_=0)),
        _NO_TIME,
    )
    .where(_c.placement == Placement.WAITING.value, _c.unit_code.between(_LOW, _HIGH))
    .group_by(_c.unit_code)
)
_LATE = or_(*(and_(_w.priority_class == cls.value, _w.wait_started_at < cut) for cls, cut in _CUTOFF.items()))
_BREACHES_UNSURE = (
    select(literal_column("'b'"), _c.unit_code, _NO_TEXT, _NO_TEXT, func.count(), _NO_TIME)
    .select_from(persons.join(wait_segments, and_(_w.person_id == _c.id, _w.ended_at.is_(None))))
    .where(
        _c.placement == Placement.WAITING.value,
        _c.unit_code.between(_LOW, _HIGH),
        _CONFIRMED,
        _MILDER,
        _c.waiting_since >= _SURE,
        _c.waiting_since < _UNSURE,
        _LATE,
    )
    .group_by(_c.unit_code)
)
# found (by the category they were found in) and admitted in the period
_FLOWS = (
    select(literal_column("'f'"), _f.unit_code, _f.kind, _f.to_value, func.count(), _NO_TIME)
    .where(
        _f.occurred_at >= _START,
        _f.occurred_at < _END,
        _f.kind.in_([literal_column(f"'{k.value}'") for k in (EventKind.IDENTIFIED, EventKind.ADMITTED)]),
        _f.unit_code.between(_LOW, _HIGH),
    )
    .group_by(_f.unit_code, _f.kind, _f.to_value)
)
# one round trip for the figures of a period: waiting now, late now, and the period's flows
_ALL = union_all(_WAITING, _BREACHES, _BREACHES_UNSURE, _FLOWS)


@dataclass
class _Sums:
    """The counts of one subtree."""

    found: Counter[str] = field(default_factory=Counter)
    admitted: int = 0
    waiting: Counter[str] = field(default_factory=Counter)
    severity: Counter[str] = field(default_factory=Counter)
    oldest: datetime | None = None
    breaches: int = 0


def _prefixes(unit: str) -> Iterable[str]:
    """Every significant prefix a unit's counts are rolled up to (district, street, community, …)."""
    for length in sorted(set(PREFIX_LENGTH.values())):
        yield unit[:length]
        if not unit[length:].strip("0"):
            return


def common_root(codes: Iterable[str]) -> str | None:
    """The deepest unit whose subtree holds every code (None: they lie in different provinces)."""
    root: str | None = None
    for code in codes:
        prefix = prefix_of(code)
        if root is None:
            root = prefix
            continue
        n = 0
        while n < min(len(root), len(prefix)) and root[n] == prefix[n]:
            n += 1
        root = root[:n]
    if not root:
        return None
    usable = max((length for length in PREFIX_LENGTH.values() if length <= len(root)), default=0)
    return root[:usable].ljust(CODE_LENGTH, "0") if usable else None


def _cutoffs(policy: Policy, now: datetime) -> dict[PriorityClass, datetime]:
    return {cls: now - policy.sla[cls] if cls in policy.sla else NEVER for cls in PriorityClass}


def _params(root: str | None, policy: Policy, now: datetime) -> dict[str, Any]:
    low, high = subtree_bounds(root) if root is not None else ("0" * CODE_LENGTH, "9" * CODE_LENGTH)
    cut = _cutoffs(policy, now)
    between = sorted((cut[PriorityClass.CONFIRMED], cut[PriorityClass.CONFIRMED_RISK]))
    return {
        "low": low,
        "high": high,
        **{f"cut_{cls.value}": at for cls, at in cut.items()},
        "cut_sure": between[0],
        "cut_unsure": between[1],
        "never": NEVER,
    }


def _add(sums: dict[str, _Sums], unit: str, part: str, a: Any, b: Any, n: int, t: datetime | None) -> None:
    for prefix in _prefixes(unit):
        s = sums.get(prefix)
        if s is None:
            s = sums[prefix] = _Sums()
        _put(s, part, a, b, n, t)


def _put(s: _Sums, part: str, a: Any, b: Any, n: int, t: datetime | None) -> None:
    """One row's count added to one subtree's sums."""
    if part == "w":
        s.waiting[str(a)] += n
        if b is not None:
            s.severity[str(b)] += n
        if t is not None and (s.oldest is None or t < s.oldest):
            s.oldest = t
    elif part == "b":
        s.breaches += n
    elif a == EventKind.IDENTIFIED.value:
        s.found[str(b)] += n
    else:
        s.admitted += n


def _view(now: _Sums | None, flows: _Sums | None, at: datetime) -> dict[str, Any]:
    now = now or _Sums()
    flows = flows or _Sums()
    oldest = now.oldest
    return {
        "found": {**dict(flows.found), "total": sum(flows.found.values())},
        "admitted": flows.admitted,
        "waiting": {**dict(now.waiting), "total": sum(now.waiting.values())},
        "waiting_confirmed_by_severity": dict(now.severity),
        "oldest_wait_hours": round((at - oldest).total_seconds() / 3600, 1) if oldest else None,
        "sla_breaches": now.breaches,
    }


# the statements that count a period's figures, each row (part, unit, a, b, n, t); another statement may add its
# own parts of the same shape to them (services.reporting_batch reads what a report needs with its figures)
PARTS = (_WAITING, _BREACHES, _BREACHES_UNSURE, _FLOWS)
FIGURE_LETTERS = frozenset("wbf")


def parameters(root: str | None, policy: Policy, now: datetime, period: Period) -> dict[str, Any]:
    """The bound values of PARTS for a subtree (everyone when None), as of `now`, for the period."""
    return {**_params(root, policy, now), "start": period.start, "end": period.end}


class Tally:
    """Rows of PARTS, summed for every subtree they fall in."""

    def __init__(self) -> None:
        self.current: dict[str, _Sums] = {}
        self.flows: dict[Period, dict[str, _Sums]] = {}  # a period's own: two levels' periods may start together

    def add(self, part: str, unit: str, a: Any, b: Any, n: Any, t: datetime | None, period: Period) -> None:
        sums = self.flows.setdefault(period, {}) if part == "f" else self.current
        _add(sums, unit, part, a, b, int(n), t)

    def figures(self, code: str, period: Period, now: datetime) -> dict[str, Any]:
        prefix = prefix_of(code)
        return _view(self.current.get(prefix), self.flows.get(period, {}).get(prefix), now)


def _labelled(part: Select[Any]) -> Select[Any]:
    return part.with_only_columns(*(c.label(n) for c, n in zip(part.selected_columns, _NAMES, strict=True)))


def _rolled(source: Subquery | CTE, length: int, *, waiting: bool) -> Select[Any]:
    """`source`'s rows (a part, labelled) summed per unit prefix of `length` (a level's significant prefix): a
    subtree's counts come out of the database already added up, one row per unit of the level asked for and per
    category, not one per community."""
    if length >= CODE_LENGTH:  # a unit's own rows: already one per unit and category
        oldest = source.c.t if waiting else cast(null(), UTCDateTime())
        return select(source.c.part, source.c.unit, source.c.a, source.c.b, source.c.n, oldest)
    prefix = func.substr(source.c.unit, literal_column("1"), literal_column(str(length)))  # the same text in GROUP BY
    oldest = func.min(source.c.t) if waiting else cast(null(), UTCDateTime())  # PostgreSQL: a typed NULL
    return select(
        source.c.part, prefix.label("unit"), source.c.a, source.c.b, func.sum(source.c.n).label("n"), oldest.label("t")
    ).group_by(source.c.part, prefix, source.c.a, source.c.b)


_NAMES = ("part", "unit", "a", "b", "n", "t")


@cache
def _by_level(lengths: tuple[int, ...], flow_lengths: tuple[int, ...], unsure: bool = True) -> CompoundSelect:
    """The waiting and the late summed per prefix of each of `lengths` (none: not asked), and a period's flows
    per prefix of each of `flow_lengths` (the levels that report for that period): built once for each. Without
    `unsure` (the confirmed classes' targets are the same), no segment is looked up.

    Asked for several levels at once (the midnight's districts, streets and communities), each part is counted
    once per unit, as a common table expression that every level's sums read (a CTE read more than once is
    materialised by SQLite and PostgreSQL alike), instead of scanning the waiting again for every level."""
    now_parts = (_WAITING, _BREACHES, _BREACHES_UNSURE) if unsure else (_WAITING, _BREACHES)
    shared = len(lengths) > 1
    sources = [
        _labelled(part).cte(f"part_{i}") if shared else _labelled(part).subquery() for i, part in enumerate(now_parts)
    ]
    rolled = [
        _rolled(source, length, waiting=part is _WAITING)
        for length in lengths
        for part, source in zip(now_parts, sources, strict=True)
    ]
    return union_all(*rolled, *(_rolled(_labelled(_FLOWS).subquery(), n, waiting=False) for n in flow_lengths))


def figures_for(
    conn: Connection, policy: Policy, wanted: Sequence[tuple[str, Period]], now: datetime
) -> dict[tuple[str, datetime], dict[str, Any]]:
    """(unit, period start) → the registry's figures for each unit and period asked for, as of `now`: one
    statement for the waiting, the late and the first period's flows over the units' common subtree, and one for
    the flows of each further period. The counts are summed per unit of each level asked for by the database
    (a district's hourly report reads a row per district and category, not one per community), a period's flows
    only for the levels that report for it."""
    if not wanted:
        return {}
    root = common_root(code for code, _ in wanted)
    lengths = tuple(sorted({len(prefix_of(code)) for code, _ in wanted}))
    periods: dict[Period, set[int]] = {}
    for code, period in wanted:
        periods.setdefault(period, set()).add(len(prefix_of(code)))
    tally = Tally()
    for i, (period, flow_lengths) in enumerate(periods.items()):
        params = parameters(root, policy, now, period)
        unsure = params["cut_sure"] != params["cut_unsure"]
        statement = _by_level(lengths if i == 0 else (), tuple(sorted(flow_lengths)), unsure)
        for part, prefix, a, b, n, t in conn.execute(statement, params).all():
            sums = tally.flows.setdefault(period, {}) if part == "f" else tally.current
            found = sums.get(prefix)
            if found is None:
                found = sums[prefix] = _Sums()
            _put(found, part, a, b, int(n), t)
    return {(code, period.start): tally.figures(code, period, now) for code, period in wanted}
