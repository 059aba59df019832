"""Cadres sent down to communities (下沉干部, issue 18 §3): the work force city and district departments send to
communities for a period, and how well each community is covered.

A cadre's assignment names their department, name, phone, the community, their role there (free text: 值守卡点,
物资配送, 入户排查 …) and the days it runs (`starts_on` to `ends_on` inclusive; no end: until ended). A cadre is on
duty on a day inside those days. Coverage is cadres on duty per 1,000 households: the households are the survey's
(`survey_households`, issue 17) when the community has any, else an estimate from the unit's population divided by
the persons per household the policy says (`[cadres] persons_per_household`, 2.6 by default: Wuhan's 2020 census
average was about 2.6); a community with neither has no coverage figure and is listed as a gap. A community under
the policy's `min_per_1000_households` is a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from admitall.domain.errors import InvalidInput
from admitall.domain.identity import nfkc

NAME_MAX, DEPARTMENT_MAX, ROLE_MAX = 60, 100, 60


@dataclass(frozen=True)
class CadreRules:
    """The policy's `[cadres]` table."""

    min_per_1000_households: float = 10.0
    persons_per_household: float = 2.6


SECTION, KEYS = "[cadres]", ("min_per_1000_households", "persons_per_household")


def parse_cadre_rules(table: object) -> CadreRules:
    if table is None:
        return CadreRules()
    if not isinstance(table, dict) or set(table) - set(KEYS):
        raise InvalidInput(
            "policy.cadres",
            f"{SECTION} 只能设置 {' 和 '.join(KEYS)}",
            f"{SECTION} takes only {' and '.join(KEYS)}",
        )
    values = {}
    for key, value in table.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1000:
            raise InvalidInput(
                "policy.cadres",
                f"{SECTION} {key} 必须是 0 到 1000 之间的数",
                f"{SECTION} {key} must be above 0, at most 1000",
            )
        values[key] = float(value)
    return CadreRules(**values)


@dataclass(frozen=True)
class CadreInput:
    name: str
    department: str
    community_code: str
    role: str
    starts_on: date
    ends_on: date | None
    phone: str | None = None


def _text(raw: object, limit: int, field: str, zh: str, en: str, required: bool = True) -> str:
    text = " ".join(nfkc(str(raw or "")).split())
    if required and not text:
        raise InvalidInput(f"cadre.{field}_required", f"{zh}必填", f"The {en} is required", field=field)
    if len(text) > limit:
        raise InvalidInput(
            f"cadre.{field}_long", f"{zh}超过 {limit} 个字", f"The {en} is longer than {limit} characters", field=field
        )
    return text


def new_cadre(
    *,
    name: object,
    department: object,
    community_code: str,
    role: object,
    starts_on: date,
    ends_on: date | None,
    phone: str | None,
) -> CadreInput:
    """A checked assignment (the caller parses the dates and the phone, and checks the community)."""
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput(
            "cadre.dates", "结束日期早于开始日期", "The end date is before the start date", field="ends_on"
        )
    return CadreInput(
        name=_text(name, NAME_MAX, "name", "姓名", "name").replace(" ", ""),
        department=_text(department, DEPARTMENT_MAX, "department", "派出单位", "department"),
        community_code=community_code,
        role=_text(role, ROLE_MAX, "role", "职责", "role", required=False),
        starts_on=starts_on,
        ends_on=ends_on,
        phone=phone,
    )


def end_day(starts_on: date, ends_on: date | None, on: date) -> date:
    """The last day of an assignment ended on `on` (ending it today keeps today on duty); refused if it ended."""
    if ends_on is not None and ends_on < on:
        raise InvalidInput("cadre.already_ended", "该下沉任务已结束", "This assignment has already ended")
    if on < starts_on:
        raise InvalidInput(
            "cadre.end_before_start", "结束日期早于开始日期", "The end date is before the start date", field="ends_on"
        )
    return on


def coverage(on_duty: int, households: int | None) -> float | None:
    """Cadres per 1,000 households (one decimal), or None without households."""
    if not households:
        return None
    return round(on_duty * 1000 / households, 1)


def households_of(surveyed: int, population: int | None, rules: CadreRules) -> tuple[int | None, str]:
    """(households, where the figure comes from: 'survey', 'estimate' or 'none')."""
    if surveyed > 0:
        return surveyed, "survey"
    if population:
        return max(1, round(population / rules.persons_per_household)), "estimate"
    return None, "none"


def gap_key(row: dict[str, Any]) -> tuple[float, str]:
    """Worst first: no figure, then the lowest coverage, then by code (street and district group together)."""
    value = row["per_1000"]
    return (-1.0 if value is None else value, row["code"])
