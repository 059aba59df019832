"""Staff safety (安全防护, issue 18 §4): exposures and infections of health workers and community staff.

An event says who (a roster row of `staff_members`, or a cadre sent down), when, where, what protection was worn
and whether it was an exposure or an infection (suspected or confirmed). The person is then tracked through the
registry like anyone else: an exposure makes them a close contact under observation, an infection a suspected or
confirmed case (services.staff_safety).

A facility's staff infections cross the policy's threshold (`[staff_safety]`) when, within the last `window_days`
(7 by default), they number at least `infections` (3) or reach `per_1000_staff` (10) per 1,000 of the facility's
staff counted that day; the watch round then raises one alert to the facility's owning unit, resolved when the
facility falls back under both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from admitall.domain.errors import InvalidInput
from admitall.domain.labels import LabeledEnum


class SafetyKind(LabeledEnum):
    EXPOSURE = ("exposure", "暴露", "exposure", "orange")
    INFECTION = ("infection", "感染", "infection", "red")


class Protection(LabeledEnum):
    NONE = ("none", "无防护", "none", "red")
    SURGICAL_MASK = ("surgical_mask", "医用外科口罩", "surgical mask", "orange")
    N95 = ("n95", "N95 口罩", "N95 respirator", "yellow")
    FULL_PPE = ("full_ppe", "全套防护", "full PPE", "green")


INFECTION_STATUSES = ("suspected", "confirmed")
PLACE_MAX = 100


@dataclass(frozen=True)
class SafetyRules:
    """The policy's `[staff_safety]` table."""

    window_days: int = 7
    infections: int = 3
    per_1000_staff: float = 10.0


SECTION, KEYS = "[staff_safety]", ("window_days", "infections", "per_1000_staff")


def parse_safety_rules(table: object) -> SafetyRules:
    if table is None:
        return SafetyRules()
    if not isinstance(table, dict) or set(table) - set(KEYS):
        raise InvalidInput(
            "policy.staff_safety",
            f"{SECTION} 只能设置 {'、'.join(KEYS)}",
            f"{SECTION} takes only {', '.join(KEYS)}",
        )
    for key, value in table.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1000:
            raise InvalidInput(
                "policy.staff_safety",
                f"{SECTION} {key} 必须是 0 到 1000 之间的数",
                f"{SECTION} {key} must be above 0, at most 1000",
            )
    return SafetyRules(
        window_days=int(table.get("window_days", 7)),
        infections=int(table.get("infections", 3)),
        per_1000_staff=float(table.get("per_1000_staff", 10.0)),
    )


def check_event(
    kind: str, status: str | None, protection: str, occurred_on: date, today: date
) -> tuple[str, str | None]:
    """(kind, status) checked: an infection is suspected or confirmed, an exposure has neither; not in the future."""
    parsed = SafetyKind.parse(kind)
    if parsed is None:
        raise InvalidInput("safety.kind", "请选择暴露或感染", "Choose exposure or infection", field="kind")
    if Protection.parse(protection) is None:
        raise InvalidInput("safety.protection", "请选择防护情况", "Choose the protection worn", field="protection")
    if occurred_on > today:
        raise InvalidInput("safety.future", "日期不能晚于今天", "The date cannot be after today", field="occurred_on")
    if parsed is SafetyKind.EXPOSURE:
        return parsed.value, None
    if status not in INFECTION_STATUSES:
        raise InvalidInput(
            "safety.status", "感染须选择疑似或确诊", "An infection is either suspected or confirmed", field="status"
        )
    return parsed.value, status


def window_start(today: date, rules: SafetyRules) -> date:
    """The first day of the window that ends today."""
    return today - timedelta(days=rules.window_days - 1)


def rate(count: int, staff: int) -> float | None:
    """Per 1,000 staff (one decimal), None without staff."""
    return round(count * 1000 / staff, 1) if staff > 0 else None


def crosses(infections: int, staff: int, rules: SafetyRules) -> bool:
    """Whether a facility's infections in the window cross the threshold."""
    if infections <= 0:
        return False
    per = rate(infections, staff)
    return infections >= rules.infections or (per is not None and per >= rules.per_1000_staff)
