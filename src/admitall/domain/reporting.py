"""The hourly reporting chain (一小时通报制度): periods, deadlines, what a report says, and how it is judged.

Periods are aligned to the clock in the city's time zone (an hourly period runs from :00 to :00); the deadline
is the period's end plus a grace. Timeliness is decided by the server's receipt time only, never by a time the
client claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from admitall.domain.errors import InvalidInput
from admitall.domain.labels import LabeledEnum
from admitall.domain.units import UnitLevel

MINUTES_PER_DAY = 24 * 60
# a report for a period whose deadline passed more than this long ago is refused: the period is closed
CLOSED_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Schedule:
    """How often one level reports, and how long after a period's end a report still counts as on time."""

    level: UnitLevel
    period_minutes: int = 60
    grace_minutes: int = 10

    def __post_init__(self) -> None:
        if self.period_minutes <= 0 or MINUTES_PER_DAY % self.period_minutes:
            raise InvalidInput(
                "schedule.bad_period",
                f"报告周期（分钟）必须能整除一天：{self.period_minutes}",
                f"A reporting period (minutes) must divide a day: {self.period_minutes}",
                field="period_minutes",
            )
        if not 0 <= self.grace_minutes < self.period_minutes:
            raise InvalidInput(
                "schedule.bad_grace",
                "宽限时间必须不短于0且短于一个周期",
                "The grace must be at least 0 and shorter than a period",
                field="grace_minutes",
            )

    @property
    def period(self) -> timedelta:
        return timedelta(minutes=self.period_minutes)

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)


DEFAULT_SCHEDULES = {level: Schedule(level) for level in (UnitLevel.DISTRICT, UnitLevel.STREET, UnitLevel.COMMUNITY)}


@dataclass(frozen=True)
class Period:
    start: datetime  # UTC
    end: datetime
    deadline: datetime

    def key(self) -> str:
        return self.start.isoformat()


def period_containing(at: datetime, schedule: Schedule, tz: tzinfo) -> Period:
    """The period `at` falls in, aligned to midnight in the city's time zone."""
    local = at.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = int((local - midnight).total_seconds() // 60)
    start_local = midnight + timedelta(minutes=minutes - minutes % schedule.period_minutes)
    start = start_local.astimezone(at.tzinfo or tz)
    return period_starting(start, schedule)


def period_starting(start: datetime, schedule: Schedule) -> Period:
    end = start + schedule.period
    return Period(start, end, end + schedule.grace)


def check_period_start(start: datetime, schedule: Schedule, tz: tzinfo) -> Period:
    """The period that begins at `start`, refused if `start` is not the beginning of one."""
    period = period_containing(start, schedule, tz)
    if period.start != start:
        raise InvalidInput(
            "report.bad_period",
            f"{start.isoformat()} 不是报告周期的开始时间",
            f"{start.isoformat()} is not the start of a reporting period",
            field="period_start",
        )
    return period


def admissible(period: Period, received_at: datetime) -> None:
    """A report may be sent once its period has begun, and until the period has been closed for a while."""
    if received_at < period.start:
        raise InvalidInput(
            "report.future_period",
            "不能为尚未开始的周期报告",
            "A report cannot be sent for a period that has not begun",
            field="period_start",
        )
    if received_at > period.deadline + CLOSED_AFTER:
        raise InvalidInput(
            "report.period_closed",
            "该周期已关闭超过24小时，不再接收报告（可提交更正说明）",
            "That period closed more than 24 hours ago; reports for it are no longer taken",
            field="period_start",
        )


def on_time(period: Period, received_at: datetime) -> bool:
    return received_at <= period.deadline


class ProblemType(LabeledEnum):
    BEDS = ("beds", "床位不足", "not enough beds", "red")
    TRANSPORT = ("transport", "转运困难", "transport", "orange")
    SUPPLIES = ("supplies", "物资短缺", "supplies", "yellow")
    STAFF = ("staff", "人手不足", "staff", "purple")
    TESTING = ("testing", "检测能力", "testing", "blue")
    DATA = ("data", "信息系统/数据", "data and systems", "grey")
    OTHER = ("other", "其他", "other", "grey")


class ProblemSeverity(LabeledEnum):
    LOW = ("low", "一般", "low", "green")
    MEDIUM = ("medium", "较重", "medium", "orange")
    HIGH = ("high", "严重", "high", "red")


# how long the unit above has to resolve a problem that needs its help, before it goes up one more level
PROBLEM_DUE = {
    ProblemSeverity.HIGH: timedelta(hours=2),
    ProblemSeverity.MEDIUM: timedelta(hours=6),
    ProblemSeverity.LOW: timedelta(hours=24),
}

# the figures a report states that the registry also knows, and so are reconciled
RECONCILED = ("found", "admitted", "waiting", "sla_breaches")
FIELD_FIGURES = ("households_screened", "found_not_registered", "transport_needed")


@dataclass(frozen=True)
class Discrepancy:
    figure: str
    reported: int
    registry: int

    @property
    def difference(self) -> int:
        return self.reported - self.registry


def flatten(figures: Mapping[str, Any], prefix: str = "") -> dict[str, int]:
    """{'waiting': {'contact': 3}} → {'waiting.contact': 3}; totals stay as they are."""
    flat: dict[str, int] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, int) and not isinstance(value, bool):
            flat[name] = value
    return flat


def reconcile(
    reported: Mapping[str, Any], registry: Mapping[str, Any], *, absolute: int = 1, relative: float = 0.05
) -> list[Discrepancy]:
    """Every reconciled figure where the report and the registry differ by more than the tolerance: more than
    `absolute` people and more than `relative` of the registry's figure. A figure the report leaves out is not
    a discrepancy; one the registry does not know is ignored."""
    said, known = flatten(reported), flatten(registry)
    found = []
    for name in sorted(said):
        if name.split(".", 1)[0] not in RECONCILED or name not in known:
            continue
        diff = abs(said[name] - known[name])
        if diff > absolute and diff > relative * known[name]:
            found.append(Discrepancy(name, said[name], known[name]))
    return found
