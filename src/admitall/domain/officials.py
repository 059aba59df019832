"""Officials (干部) and who answers for which unit (下沉包保责任制).

An official belongs to a home unit. A lead assignment makes an official the responsible lead of a unit from a
moment until a later one; an official sinks to a unit within their home unit's subtree (a city official to a
district, a district official to a street). Every unit has exactly one lead at any time: assigning a new lead
ends the current lead's assignment at that moment, so the history says who was responsible when.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from admitall.domain.errors import InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.units import UnitLevel, in_subtree, level_of

# the levels whose units must have a lead: every unit that reports, and the top of the tree (a city, or the
# province above its cities: issue 15)
LED_LEVELS = (UnitLevel.PROVINCE, UnitLevel.CITY, UnitLevel.DISTRICT, UnitLevel.STREET, UnitLevel.COMMUNITY)


@dataclass(frozen=True)
class Official:
    id: int | None
    name: str
    title: str
    home_unit: str
    phone: str | None = None
    username: str | None = None  # the user account that signs in as this official, if any
    active: bool = True

    @property
    def level(self) -> UnitLevel:
        return level_of(self.home_unit)


@dataclass(frozen=True)
class LeadAssignment:
    """`official_id` leads `unit_code` from `starts_at` until `ends_at` (None: still)."""

    unit_code: str
    official_id: int
    starts_at: datetime
    ends_at: datetime | None = None
    id: int | None = None

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)


def new_official(name: str, title: str, home_unit: str, phone: str | None = None) -> Official:
    clean = nfkc(name).replace(" ", "") if name else ""
    if not clean:
        raise InvalidInput("official.name_required", "干部姓名必填", "An official needs a name", field="name")
    return Official(None, clean[:60], nfkc(title or "")[:60], home_unit, phone)


def check_assignment(official: Official, unit_code: str) -> None:
    """An official leads a unit within their home unit's subtree, and only while active."""
    if not official.active:
        raise InvalidInput(
            "lead.inactive_official",
            f"{official.name} 已停用，不能包保单位",
            f"{official.name} is no longer active and cannot lead a unit",
            field="official",
        )
    if level_of(unit_code) not in LED_LEVELS:
        raise InvalidInput(
            "lead.level",
            "只有省、市、区、街道和社区需要包保责任人",
            "Only the province, cities, districts, streets and communities have responsible leads",
            field="unit_code",
        )
    if not in_subtree(unit_code, official.home_unit):
        raise InvalidInput(
            "lead.outside_home_unit",
            f"{official.name} 属于 {official.home_unit}，只能包保其辖区内的单位",
            f"{official.name} belongs to {official.home_unit} and can only lead units within it",
            field="unit_code",
        )


def handover(current: LeadAssignment | None, official_id: int, unit_code: str, at: datetime) -> LeadAssignment:
    """The assignment that starts at `at`; the caller ends `current` at the same moment (no gap, no overlap)."""
    if current is not None:
        if current.official_id == official_id:
            raise InvalidInput(
                "lead.already_lead",
                "此干部已是该单位的包保责任人",
                "This official already leads the unit",
                field="official",
            )
        if at < current.starts_at:
            raise InvalidInput(
                "lead.before_current",
                "交接时间不能早于现任责任人的开始时间",
                "A handover cannot take effect before the current lead's assignment began",
                field="starts_at",
            )
    return LeadAssignment(unit_code, official_id, at)


class Leads:
    """Who led which unit when, for attributing recorded facts to the official responsible at that moment."""

    def __init__(self, assignments: Iterable[LeadAssignment]) -> None:
        by_unit: dict[str, list[LeadAssignment]] = {}
        for a in assignments:
            by_unit.setdefault(a.unit_code, []).append(a)
        self._by_unit = {code: sorted(items, key=lambda a: a.starts_at) for code, items in by_unit.items()}
        self._starts = {code: [a.starts_at for a in items] for code, items in self._by_unit.items()}

    def lead_at(self, unit_code: str, at: datetime) -> int | None:
        items = self._by_unit.get(unit_code)
        if not items:
            return None
        i = bisect_right(self._starts[unit_code], at) - 1
        if i < 0 or not items[i].covers(at):
            return None
        return items[i].official_id

    def during(self, unit_code: str, start: datetime, end: datetime) -> list[tuple[int, datetime, datetime]]:
        """(official, from, until) for each lead of the unit within [start, end), in order."""
        spans = []
        for a in self._by_unit.get(unit_code, ()):
            lo, hi = max(a.starts_at, start), min(a.ends_at or end, end)
            if lo < hi:
                spans.append((a.official_id, lo, hi))
        return spans

    def units_led(self, official_id: int) -> Sequence[str]:
        return sorted(code for code, items in self._by_unit.items() if any(a.official_id == official_id for a in items))
