"""A scenario: the city, the outbreak, how it is found, how ill people get, and what the city has to meet it.

Read from a TOML file (the library is in `admitall/data/scenarios/`; every parameter there carries its source or
says how it was chosen). `--set path=value` changes one value before parsing — the what-if of a comparison:
`facilities.DH-HSS.opens=2020-01-30`, `detection.contacts_per_case=2`. An invalid file or value is refused with a
message naming it, in both languages, before anything runs.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import FACILITY_BED_TYPES, BedType, FacilityType
from admitall.sim.reference import daily_cases

Schedule = tuple[tuple[date, float], ...]  # (from this date, value), sorted; a step function


def at(schedule: Schedule, day: date) -> float:
    """The value of a step schedule on a day (the first value before the first date)."""
    value = schedule[0][1]
    for since, v in schedule:
        if since <= day:
            value = v
    return value


@dataclass(frozen=True)
class Spread:
    """A positive quantity with a mean and a standard deviation (drawn log-normal or gamma as documented)."""

    mean: float
    sd: float


@dataclass(frozen=True)
class CityPlan:
    districts: tuple[str, ...]  # 6-digit district prefixes; empty: all of Wuhan's
    streets_per_district: int  # 0: all
    communities_per_street: tuple[int, int]


@dataclass(frozen=True)
class Epidemic:
    seed_date: date
    seed_infections: int
    r: Schedule
    generation_interval: Spread  # days, gamma
    incubation: Spread  # days, log-normal
    care_seeking_share: float  # of infections: fall ill enough to come to a fever clinic


@dataclass(frozen=True)
class Detection:
    onset_to_presentation: Schedule  # mean days by date of onset, exponential
    suspected_share: float  # of cases: CT or symptoms make them suspected before the test
    fever_to_suspected_hours: float
    confirmations_per_day: Schedule  # testing capacity: positive results a day (or the published series)
    test_turnaround_hours: float
    background_fever_per_10k_day: float  # febrile people who have something else
    background_suspected_share: float
    rule_out_hours: float
    contacts_per_case: float
    contact_trace_hours: float
    contact_infected_share: float
    observation_days: float


@dataclass(frozen=True)
class Clinical:
    severity: Mapping[str, float]  # final clinical type: mild, moderate, severe, critical
    elderly_share: float
    comorbidity_share: float
    severe_from_onset_days: float
    critical_from_onset_days: float
    recovery_from_onset_days: tuple[float, float]  # mild and moderate, uniform
    severe_recovery_from_onset_days: tuple[float, float]  # severe and critical survivors, uniform
    death_per_day: Mapping[str, float]  # hazard in a bed: severe, critical
    waiting_death_multiplier: float  # the hazard while waiting without a bed is this many times higher
    recovery_station_days: float


@dataclass(frozen=True)
class Operations:
    tick_minutes: int
    allocate_every_minutes: int
    transport_minutes: tuple[int, int]
    refusal_share: float
    report_every_minutes: Mapping[str, int]  # each level's reporting period (the schedules are set to it)
    report_late_share: float
    report_missing_share: float
    watch_every_minutes: int  # the watch job (alerts, escalation, scorecards); 0: never


@dataclass(frozen=True)
class FacilityPlan:
    code: str
    name: str
    type: FacilityType
    district: str
    beds: Mapping[BedType, int]
    opens: date | None
    closes: date | None


@dataclass(frozen=True)
class Scenario:
    name: str
    title_zh: str
    title_en: str
    start: date
    days: int
    seed: int
    city: CityPlan
    epidemic: Epidemic
    detection: Detection
    clinical: Clinical
    operations: Operations
    facilities: tuple[FacilityPlan, ...]
    settings: tuple[str, ...] = ()  # the --set changes applied, as given


def shifted(scenario: Scenario, start: date, days: int) -> Scenario:
    """The same scenario moved to begin on `start` (every date in it moves by as much) and run `days` days:
    the demo plays the small outbreak up to today."""
    delta = start - scenario.start

    def move(schedule: Schedule) -> Schedule:
        return tuple((d + delta, v) for d, v in schedule)

    e, d = scenario.epidemic, scenario.detection
    return replace(
        scenario,
        start=start,
        days=days,
        epidemic=replace(e, seed_date=e.seed_date + delta, r=move(e.r)),
        detection=replace(
            d,
            onset_to_presentation=move(d.onset_to_presentation),
            confirmations_per_day=move(d.confirmations_per_day),
        ),
        facilities=tuple(
            replace(f, opens=f.opens + delta if f.opens else None, closes=f.closes + delta if f.closes else None)
            for f in scenario.facilities
        ),
    )


def _bad(path: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput("scenario.invalid", f"情景文件 {path}：{zh}", f"Scenario {path}: {en}", field=path)


class _Reader:
    """Typed access to the raw TOML with messages that name the key."""

    def __init__(self, raw: Mapping[str, Any], where: str) -> None:
        self.raw, self.where = raw, where

    def section(self, key: str) -> _Reader:
        value = self.raw.get(key)
        if not isinstance(value, Mapping):
            raise _bad(f"{self.where}{key}", "缺少此节", "the section is missing")
        return _Reader(value, f"{self.where}{key}.")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.raw:
            if default is ...:
                raise _bad(self.where + key, "缺少此项", "the key is missing")
            return default
        value = self.raw[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise _bad(self.where + key, f"类型不对：{value!r}", f"wrong type: {value!r}")
        return value

    def share(self, key: str) -> float:
        value = float(self.get(key, float))
        if not 0 <= value <= 1:
            raise _bad(self.where + key, f"应在 0 到 1 之间：{value}", f"must be between 0 and 1: {value}")
        return value

    def positive(self, key: str, kind: type = float) -> Any:
        value = self.get(key, kind)
        if value <= 0:
            raise _bad(self.where + key, f"应为正数：{value}", f"must be positive: {value}")
        return value

    def nonnegative(self, key: str) -> float:
        value = float(self.get(key, float))
        if value < 0:
            raise _bad(self.where + key, f"不能为负：{value}", f"cannot be negative: {value}")
        return value

    def day(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, (date, str), default)
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _bad(self.where + key, f"日期无法识别：{value}", f"not a date: {value}") from None

    def spread(self, key: str) -> Spread:
        part = self.section(key)
        return Spread(part.positive("mean"), part.positive("sd"))

    def pair(self, key: str, kind: type = float) -> tuple[Any, Any]:
        value = self.get(key, list)
        if len(value) != 2 or not all(isinstance(v, (int, float)) for v in value) or value[0] > value[1]:
            raise _bad(self.where + key, f"应为 [下限, 上限]：{value}", f"must be [low, high]: {value}")
        return kind(value[0]), kind(value[1])

    def schedule(self, key: str) -> Schedule:
        value = self.get(key, (list, str))
        if isinstance(value, str):
            return published_series(value, self.where + key)
        steps = []
        for item in value:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], (int, float))):
                raise _bad(
                    self.where + key, f"每项应为 [日期, 数值]：{item!r}", f"each step is [date, value]: {item!r}"
                )
            when = item[0] if isinstance(item[0], date) else _Reader({"d": item[0]}, self.where + key).day("d")
            steps.append((when, float(item[1])))
        if not steps or [s[0] for s in steps] != sorted(s[0] for s in steps):
            raise _bad(self.where + key, "应按日期排列且至少一项", "needs at least one step, in date order")
        return tuple(steps)


def published_series(name: str, where: str) -> Schedule:
    """A published series as a schedule: `daily_cases` is Wuhan's new confirmed cases a day (data/wuhan-2020)."""
    if name != "daily_cases":
        raise _bad(where, f"未知的公开数据序列：{name}", f"unknown published series: {name}")
    return tuple((day, float(new)) for day, new, _ in daily_cases())


def _facility(raw: Mapping[str, Any], index: int) -> FacilityPlan:
    r = _Reader(raw, f"facilities[{index}].")
    ftype = FacilityType.parse(r.get("type", str))
    if ftype is None:
        raise _bad(f"facilities[{index}].type", "未知的机构类型", "unknown facility type")
    beds: dict[BedType, int] = {}
    for key, n in r.get("beds", Mapping).items():
        bed = BedType.parse(key)
        if bed is None or bed not in FACILITY_BED_TYPES[ftype] or not isinstance(n, int) or n < 0:
            raise _bad(f"facilities[{index}].beds.{key}", f"床位不对：{n!r}", f"not a bed of this facility: {n!r}")
        beds[bed] = n
    return FacilityPlan(
        code=r.get("code", str),
        name=r.get("name", str),
        type=ftype,
        district=r.get("district", str),
        beds=beds,
        opens=r.day("opens", None),
        closes=r.day("closes", None),
    )


def _periods(r: _Reader) -> dict[str, int]:
    periods = {level: r.positive(level, int) for level in ("district", "street", "community")}
    for level, minutes in periods.items():
        if 1440 % minutes or minutes % 60:
            raise _bad(f"{r.where}{level}", "应为整小时且能整除一天", "must be whole hours that divide a day")
    return periods


def parse_scenario(raw: Mapping[str, Any], settings: Sequence[str] = ()) -> Scenario:
    top = _Reader(raw, "")
    s, c, e = top.section("scenario"), top.section("city"), top.section("epidemic")
    d, k, o = top.section("detection"), top.section("clinical"), top.section("operations")
    severity = {name: k.section("severity").share(name) for name in ("mild", "moderate", "severe", "critical")}
    if abs(sum(severity.values()) - 1) > 1e-6:
        raise _bad("clinical.severity", "各型比例之和应为 1", "the shares must add up to 1")
    facilities = tuple(_facility(f, i) for i, f in enumerate(top.get("facilities", list, [])))
    codes = [f.code for f in facilities]
    if len(set(codes)) != len(codes):
        raise _bad("facilities", "机构编码重复", "a facility code appears twice")
    operations = Operations(
        tick_minutes=o.positive("tick_minutes", int),
        allocate_every_minutes=o.positive("allocate_every_minutes", int),
        transport_minutes=o.pair("transport_minutes", int),
        refusal_share=o.share("refusal_share"),
        report_every_minutes=_periods(o.section("report_every_minutes")),
        report_late_share=o.share("report_late_share"),
        report_missing_share=o.share("report_missing_share"),
        watch_every_minutes=o.get("watch_every_minutes", int, 60),
    )
    if operations.allocate_every_minutes % operations.tick_minutes or 60 % operations.tick_minutes:
        raise _bad("operations.tick_minutes", "应整除 60 和分配间隔", "must divide 60 and the allocation interval")
    return Scenario(
        name=s.get("name", str),
        title_zh=s.get("title_zh", str),
        title_en=s.get("title_en", str),
        start=s.day("start"),
        days=s.positive("days", int),
        seed=s.get("seed", int),
        city=CityPlan(
            districts=tuple(c.get("districts", list)),
            streets_per_district=c.get("streets_per_district", int),
            communities_per_street=c.pair("communities_per_street", int),
        ),
        epidemic=Epidemic(
            seed_date=e.day("seed_date"),
            seed_infections=e.positive("seed_infections", int),
            r=e.schedule("r"),
            generation_interval=e.spread("generation_interval_days"),
            incubation=e.spread("incubation_days"),
            care_seeking_share=e.share("care_seeking_share"),
        ),
        detection=Detection(
            onset_to_presentation=d.schedule("onset_to_presentation_days"),
            suspected_share=d.share("suspected_share"),
            fever_to_suspected_hours=d.nonnegative("fever_to_suspected_hours"),
            confirmations_per_day=d.schedule("confirmations_per_day"),
            test_turnaround_hours=d.nonnegative("test_turnaround_hours"),
            background_fever_per_10k_day=d.nonnegative("background_fever_per_10k_day"),
            background_suspected_share=d.share("background_suspected_share"),
            rule_out_hours=d.positive("rule_out_hours"),
            contacts_per_case=d.nonnegative("contacts_per_case"),
            contact_trace_hours=d.nonnegative("contact_trace_hours"),
            contact_infected_share=d.share("contact_infected_share"),
            observation_days=d.positive("observation_days"),
        ),
        clinical=Clinical(
            severity=severity,
            elderly_share=k.share("elderly_share"),
            comorbidity_share=k.share("comorbidity_share"),
            severe_from_onset_days=k.positive("severe_from_onset_days"),
            critical_from_onset_days=k.positive("critical_from_onset_days"),
            recovery_from_onset_days=k.pair("recovery_from_onset_days"),
            severe_recovery_from_onset_days=k.pair("severe_recovery_from_onset_days"),
            death_per_day={name: k.section("death_per_day").share(name) for name in ("severe", "critical")},
            waiting_death_multiplier=k.positive("waiting_death_multiplier"),
            recovery_station_days=k.positive("recovery_station_days"),
        ),
        operations=operations,
        facilities=facilities,
        settings=tuple(settings),
    )


def apply_setting(raw: dict[str, Any], setting: str) -> None:
    """One `path=value` change; a facility is addressed by its code (`facilities.DH-HSS.beds.icu=100`)."""
    path, sep, text = setting.partition("=")
    if not sep or not path:
        raise _bad(setting, "应写成 路径=值", "write it as path=value")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    keys = path.strip().split(".")
    node: Any = raw
    if keys[0] == "facilities" and len(keys) > 2:
        found = [f for f in raw.get("facilities", []) if f.get("code") == keys[1]]
        if not found:
            raise _bad(path, f"没有编码为 {keys[1]} 的机构", f"no facility with code {keys[1]}")
        node, keys = found[0], keys[2:]
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):
            raise _bad(path, "没有此节", "no such section")
        node = node[key]
    if keys[-1] not in node:
        raise _bad(path, "没有此项", "no such key")
    node[keys[-1]] = value


SCENARIOS = "data/scenarios"


def library() -> list[str]:
    """The names of the scenarios that come with AdmitAll."""
    return sorted(
        p.name[: -len(".toml")]
        for p in resources.files("admitall").joinpath(SCENARIOS).iterdir()
        if p.name.endswith(".toml")
    )


def load_scenario(name_or_path: str, settings: Sequence[str] = ()) -> Scenario:
    """A scenario from the library by name, or from a file; with `settings` applied in order."""
    packaged = resources.files("admitall").joinpath(f"{SCENARIOS}/{name_or_path}.toml")
    try:
        text = packaged.read_text("utf-8") if packaged.is_file() else Path(name_or_path).read_text("utf-8")
    except OSError:
        raise InvalidInput(
            "scenario.not_found",
            f"找不到情景：{name_or_path}（可用：{'、'.join(library())}）",
            f"No scenario {name_or_path} (available: {', '.join(library())})",
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _bad(name_or_path, f"TOML 格式错误：{e}", f"not valid TOML: {e}") from None
    for setting in settings:
        apply_setting(raw, setting)
    return parse_scenario(raw, settings)
