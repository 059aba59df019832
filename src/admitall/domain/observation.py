"""Fourteen days of medical observation (医学观察): the window, the twice-daily checks, when a check alarms, and
when a contact may be released. Pure: dates and times in, decisions out (the city's local time is the caller's).

A day's checks are slots: slot k is due by the k-th deadline of the day (default 12:00 and 20:00 local) and spans
from the previous deadline (midnight for the first); a check recorded at a local time fills the slot whose span
holds it, and after the last deadline the last slot (late). A slot is due for a contact when its span begins at or
after the observation was put on record and before the observation ends: nobody is asked for a check of a
morning that had passed when they were registered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from admitall.domain.errors import InvalidInput, TransitionRefused
from admitall.domain.labels import LabeledEnum
from admitall.domain.people import Status


class Symptom(LabeledEnum):
    COUGH = ("cough", "咳嗽", "cough", "orange")
    FATIGUE = ("fatigue", "乏力", "fatigue", "orange")
    SORE_THROAT = ("sore_throat", "咽痛", "sore throat", "orange")
    BREATHLESS = ("breathless", "气促", "short of breath", "red")
    DIARRHOEA = ("diarrhoea", "腹泻", "diarrhoea", "orange")
    SMELL_TASTE = ("smell_taste", "嗅觉味觉减退", "loss of smell or taste", "orange")


class ObservationState(LabeledEnum):
    ACTIVE = ("active", "观察中", "in observation", "blue")
    CONVERTED = ("converted", "转为发热/疑似", "turned febrile or suspected", "red")
    RELEASED = ("released", "已解除观察", "released", "green")
    ENDED = ("ended", "已终止", "ended otherwise", "grey")


class Place(LabeledEnum):
    QUARANTINE_ROOM = ("quarantine_room", "集中隔离点", "quarantine room", "blue")
    HOME = ("home", "居家", "at home", "teal")


class SlotState(LabeledEnum):
    DONE = ("done", "已测", "done", "green")
    LATE = ("late", "补测", "done late", "yellow")
    DUE = ("due", "待测", "due", "blue")
    MISSED = ("missed", "漏测", "missed", "red")
    NOT_DUE = ("not_due", "无需", "not due", "grey")


@dataclass(frozen=True)
class ObservationRules:
    """The policy's [observation] table (data/policy.toml)."""

    days: int = 14
    fever_threshold: float = 37.3
    fever_moves_to: Status = Status.FEVER
    release_needs_negative_test: bool = False
    check_deadlines: tuple[time, ...] = (time(12, 0), time(20, 0))


def window(last_exposure: date, rules: ObservationRules) -> tuple[date, date]:
    """(start, end): observation runs from the last exposure for `days` days; it is over from the end date on."""
    return last_exposure, last_exposure + timedelta(days=rules.days)


def slot_of(at: time, rules: ObservationRules) -> int:
    """The slot a check recorded at this local time fills (after the last deadline: the last, late)."""
    for k, deadline in enumerate(rules.check_deadlines):
        if at < deadline:
            return k
    return len(rules.check_deadlines) - 1


def spans(day: date, rules: ObservationRules) -> list[tuple[int, datetime, datetime]]:
    """The day's slots as naive local (k, span start, deadline)."""
    found, start = [], datetime.combine(day, time(0, 0))
    for k, deadline in enumerate(rules.check_deadlines):
        end = datetime.combine(day, deadline)
        found.append((k, start, end))
        start = end
    return found


def slot_due(day: date, span_start: datetime, due_from: datetime, start: date, end: date) -> bool:
    """Whether a slot (its day, its local span start) is due for an observation put on record at local `due_from`
    and running from `start` to `end`."""
    return start <= day < end and span_start >= due_from


def slot_state(due: bool, checked_at: datetime | None, deadline: datetime, now: datetime) -> SlotState:
    """The state of one slot (all local times)."""
    if checked_at is not None:
        return SlotState.DONE if checked_at < deadline else SlotState.LATE
    if not due:
        return SlotState.NOT_DUE
    return SlotState.MISSED if now >= deadline else SlotState.DUE


def parse_symptoms(values: Iterable[str]) -> tuple[Symptom, ...]:
    found: list[Symptom] = []
    for value in values:
        if not value or not value.strip():
            continue
        symptom = Symptom.parse(value)
        if symptom is None:
            raise InvalidInput(
                "check.symptom_invalid", f"无法识别的症状：{value}", f"Unknown symptom: {value}", field="symptoms"
            )
        if symptom not in found:
            found.append(symptom)
    return tuple(found)


def check_temperature(value: float | None) -> float:
    if value is None or not 34.0 <= value <= 43.0:
        raise InvalidInput(
            "check.temperature_invalid",
            "体温必须在 34.0 到 43.0 °C 之间",
            "The temperature must be from 34.0 to 43.0 °C",
            field="temperature",
        )
    return round(value, 1)


def alarm(temperature: float, symptoms: Iterable[Symptom], rules: ObservationRules) -> tuple[str, str] | None:
    """Why a check moves the person to fever (or suspected), in Chinese and English; None if it does not."""
    symptoms = tuple(symptoms)
    zh: list[str] = []
    en: list[str] = []
    if temperature >= rules.fever_threshold:
        zh.append(f"体温 {temperature:.1f} °C（≥ {rules.fever_threshold:.1f} °C）")
        en.append(f"temperature {temperature:.1f} °C (≥ {rules.fever_threshold:.1f} °C)")
    if symptoms:
        zh.append("症状：" + "、".join(s.zh for s in symptoms))
        en.append("symptoms: " + ", ".join(s.en for s in symptoms))
    if not zh:
        return None
    return "医学观察体温检测：" + "；".join(zh), "observation check: " + "; ".join(en)


def release_refusal(
    today: date, end: date, symptomatic: bool, test: str | None, rules: ObservationRules
) -> TransitionRefused | None:
    """Why a contact may not be released today (the rule named), or None: not before the end of observation, not
    with symptoms in the last check, and not without a negative test where the policy asks for one."""
    if today < end:
        return TransitionRefused(
            "observation_not_over",
            f"医学观察至 {end.isoformat()} 结束，不能提前解除",
            f"observation lasts until {end.isoformat()}; it cannot be released early",
        )
    if symptomatic:
        return TransitionRefused(
            "release_needs_no_symptoms",
            "最近一次检测有发热或症状，不能解除观察",
            "the last check found fever or symptoms; observation cannot be released",
        )
    if rules.release_needs_negative_test and test != "negative":
        return TransitionRefused(
            "release_needs_negative_test",
            "按照策略，解除观察需要核酸检测阴性",
            "the policy asks for a negative test before release",
        )
    return None
