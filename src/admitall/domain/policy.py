"""The admission policy: priority classes, which beds each may take, and service-level targets.

The defaults live in the packaged `policy.toml`; a city may give its own file. An invalid file is refused with
a message that says what is wrong, before anything starts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from admitall.domain.cadres import CadreRules, parse_cadre_rules
from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import BedType
from admitall.domain.identity import age_on
from admitall.domain.labels import LabeledEnum
from admitall.domain.observation import ObservationRules
from admitall.domain.observation_policy import parse_rules
from admitall.domain.people import Person, Risk, Severity, Status
from admitall.domain.staff_safety import SafetyRules, parse_safety_rules
from admitall.domain.staffing import StaffingRules, parse_staffing


class PriorityClass(LabeledEnum):
    CRITICAL = ("critical", "危重型", "critical", "red")
    SEVERE = ("severe", "重型", "severe", "orange")
    CONFIRMED_RISK = ("confirmed_risk", "确诊（有风险因素）", "confirmed with risk", "yellow")
    CONFIRMED = ("confirmed", "确诊（轻型/普通型）", "confirmed", "teal")
    SUSPECTED = ("suspected", "疑似", "suspected", "purple")
    FEVER = ("fever", "发热", "febrile", "indigo")
    CONTACT = ("contact", "密接", "close contact", "blue")
    RECOVERED = ("recovered", "治愈待康复", "recovered", "green")


# the hours a community has to act on a public help request, by urgency, unless the file says ([help_request_hours])
HELP_DEADLINE_DEFAULT: dict[str, timedelta] = {"critical": timedelta(hours=1), "normal": timedelta(hours=6)}


@dataclass(frozen=True)
class Policy:
    priority: tuple[PriorityClass, ...]
    eligibility: Mapping[PriorityClass, tuple[BedType, ...]]
    sla: Mapping[PriorityClass, timedelta]
    elderly_age: int = 65
    observation: ObservationRules = field(default_factory=ObservationRules)
    # how long a public help request may wait for its community to act, by urgency (services.help_requests)
    help_deadline: Mapping[str, timedelta] = field(default_factory=lambda: dict(HELP_DEADLINE_DEFAULT))
    # cadres sent down: the coverage a community needs (issue 18 §3, domain.cadres)
    cadres: CadreRules = field(default_factory=CadreRules)
    # staff infections that raise an alert to a facility's owner (issue 18 §4, domain.staff_safety)
    staff_safety: SafetyRules = field(default_factory=SafetyRules)
    # shifts and the staff on shift each bed type needs (issue 18 §2, domain.staffing)
    staffing: StaffingRules = field(default_factory=StaffingRules)

    def rank(self, cls: PriorityClass) -> int:
        """0 for the highest class."""
        return self.priority.index(cls)

    def classify(self, p: Person) -> PriorityClass | None:
        """The priority class of a person who needs a bed; None for one who does not."""
        return self.classify_fields(p.status, p.severity, p.risks, p.details.birth_date, p.identified_at)

    def classify_fields(
        self,
        status: Status,
        severity: Severity | None,
        risks: frozenset[Risk],
        birth_date: date | None,
        identified_at: datetime,
    ) -> PriorityClass | None:
        """The same, from the few fields it depends on (for counting many people without loading them)."""
        if status is Status.CONFIRMED:
            if severity is Severity.CRITICAL:
                return PriorityClass.CRITICAL
            if severity is Severity.SEVERE:
                return PriorityClass.SEVERE
            at_risk = self._at_risk(risks, birth_date, identified_at)
            return PriorityClass.CONFIRMED_RISK if at_risk else PriorityClass.CONFIRMED
        return _BY_STATUS.get(status)

    def at_risk(self, p: Person) -> bool:
        return self._at_risk(p.risks, p.details.birth_date, p.identified_at)

    def _at_risk(self, risks: frozenset[Risk], birth_date: date | None, identified_at: datetime) -> bool:
        """A comorbidity or pregnancy, or the policy's age (from the birth date, else the recorded flag)."""
        if risks - {Risk.ELDERLY}:
            return True
        if birth_date is not None:
            return age_on(birth_date, identified_at.date()) >= self.elderly_age
        return Risk.ELDERLY in risks

    def beds_for(self, p: Person) -> tuple[BedType, ...]:
        cls = self.classify(p)
        return self.eligibility[cls] if cls is not None else ()

    def fits(self, p: Person, bed_type: str | None) -> bool:
        """Whether the bed the person holds is one their class may take (an unknown bed type is none)."""
        return bed_type is not None and bed_type in {b.value for b in self.beds_for(p)}


_BY_STATUS = {
    Status.SUSPECTED: PriorityClass.SUSPECTED,
    Status.FEVER: PriorityClass.FEVER,
    Status.CONTACT: PriorityClass.CONTACT,
    Status.RECOVERED: PriorityClass.RECOVERED,
}


# a time target longer than a year is no target (and a non-finite one overflows a time span)
MAX_SLA_HOURS = 24 * 366


def _bad(problem: str, en: str) -> InvalidInput:
    return InvalidInput("policy.invalid", f"收治策略文件无效：{problem}", f"The admission policy file is invalid: {en}")


def _enum_list(values: Any, enum: type[LabeledEnum], where: str) -> list[Any]:
    if not isinstance(values, list) or not values:
        raise _bad(f"{where} 必须是非空列表", f"{where} must be a non-empty list")
    found = []
    for value in values:
        member = enum(value) if isinstance(value, str) and value in enum._value2member_map_ else None
        if member is None:
            known = ", ".join(m.value for m in enum)
            raise _bad(f"{where} 中的“{value}”无法识别（可选：{known}）", f"unknown '{value}' in {where} ({known})")
        found.append(member)
    if len(set(found)) != len(found):
        raise _bad(f"{where} 有重复项", f"{where} lists something twice")
    return found


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The packaged defaults (data/policy.toml), the table of DESIGN.md."""
    return parse_policy(resources.files("admitall").joinpath("data/policy.toml").read_text(encoding="utf-8"))


def parse_policy(text: str) -> Policy:
    """Read and check a policy file; every class must be ordered, have beds and a target."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _bad(f"TOML 语法错误：{e}", f"TOML syntax error: {e}") from None
    unknown = set(data) - {
        "priority",
        "elderly_age",
        "eligibility",
        "sla_hours",
        "help_request_hours",
        "observation",
        "staffing",
        "cadres",
        "staff_safety",
    }
    if unknown:
        raise _bad(f"未知的设置 {sorted(unknown)}", f"unknown settings {sorted(unknown)}")
    priority = tuple(_enum_list(data.get("priority"), PriorityClass, "priority"))
    if set(priority) != set(PriorityClass):
        missing = sorted(m.value for m in set(PriorityClass) - set(priority))
        raise _bad(f"priority 缺少 {missing}", f"priority is missing {missing}")
    eligibility_data, sla_data = data.get("eligibility"), data.get("sla_hours")
    if not isinstance(eligibility_data, dict) or not isinstance(sla_data, dict):
        raise _bad("缺少 [eligibility] 或 [sla_hours] 表", "the [eligibility] and [sla_hours] tables are required")
    eligibility, sla = {}, {}
    for cls in PriorityClass:
        if cls.value not in eligibility_data:
            raise _bad(f"[eligibility] 缺少 {cls.value}", f"[eligibility] has no entry for {cls.value}")
        eligibility[cls] = tuple(_enum_list(eligibility_data[cls.value], BedType, f"eligibility.{cls.value}"))
        hours = sla_data.get(cls.value)
        if not isinstance(hours, int | float) or isinstance(hours, bool) or not 0 < hours <= MAX_SLA_HOURS:
            raise _bad(
                f"sla_hours.{cls.value} 必须是大于 0、不超过 {MAX_SLA_HOURS} 的小时数（现为 {hours!r}）",
                f"sla_hours.{cls.value} must be a number of hours above 0 and at most {MAX_SLA_HOURS} (is {hours!r})",
            )
        sla[cls] = timedelta(hours=hours)
    extra = (set(eligibility_data) | set(sla_data)) - {c.value for c in PriorityClass}
    if extra:
        raise _bad(f"未知的类别 {sorted(extra)}", f"unknown classes {sorted(extra)}")
    age = data.get("elderly_age", 65)
    if not isinstance(age, int) or isinstance(age, bool) or not 0 < age < 130:
        raise _bad("elderly_age 必须是 1 到 129 之间的整数", "elderly_age must be a whole number from 1 to 129")
    return Policy(
        priority,
        eligibility,
        sla,
        age,
        observation=parse_rules(data.get("observation")),
        help_deadline=_help_deadline(data.get("help_request_hours", {})),
        cadres=parse_cadre_rules(data.get("cadres")),
        staff_safety=parse_safety_rules(data.get("staff_safety")),
        staffing=parse_staffing(data.get("staffing")),
    )


def _help_deadline(table: object) -> dict[str, timedelta]:
    """[help_request_hours]: hours a community has to act on a help request, per urgency (critical, normal)."""
    if not isinstance(table, dict) or set(table) - set(HELP_DEADLINE_DEFAULT):
        raise _bad("[help_request_hours] 只能有 critical 和 normal", "[help_request_hours] takes critical and normal")
    found = dict(HELP_DEADLINE_DEFAULT)
    for key, hours in table.items():
        if not isinstance(hours, int | float) or isinstance(hours, bool) or not 0 < hours <= MAX_SLA_HOURS:
            raise _bad(
                f"help_request_hours.{key} 必须是大于 0 的小时数", f"help_request_hours.{key} must be hours above 0"
            )
        found[key] = timedelta(hours=hours)
    return found
