"""A scenario: the city, the outbreak, how it is found, how ill people get, and what the city has to meet it.

Read from a TOML file (the library is in `admitall/data/scenarios/`; every parameter there carries its source or
says how it was chosen). `--set path=value` changes one value before parsing — the what-if of a comparison:
`facilities.DH-HSS.opens=2020-01-30`, `detection.contacts_per_case=2`. An invalid file or value is refused with a
message naming it, in both languages, before anything runs.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import FACILITY_BED_TYPES, BedType, FacilityType
from admitall.services.divisions import read_divisions
from admitall.sim.reference import daily_cases
from admitall.sim.staffing import StaffingPlan, parse_plan
from admitall.sim.supplies import SupplyPlan, parse_supplies

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


COMMUNITY_SOURCES = ("generated", "real")


@dataclass(frozen=True)
class CityPlan:
    districts: tuple[str, ...]  # 6-digit district prefixes; empty: all of Wuhan's
    streets_per_district: int  # 0: all
    communities_per_street: tuple[int, int]  # generated communities: how many a street has (drawn)
    communities: str = "generated"  # or "real": Wuhan's own (data/wuhan-2020/communities.csv)


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
    suspected_resolved_days: float = 0.0  # retested until confirmed or excluded within this; 0: never resolved


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
    discharge_retests_days: tuple[float, float] | None = None  # negative retests before discharge, uniform


@dataclass(frozen=True)
class SurveyPlan:
    """A door-to-door survey the twin plays (sim.survey): HQ sets it over the whole city for `days` from `starts`;
    each community's teams visit its listed households in the day's working hours, a household with nobody home
    again the next day, and register the ill they find at home."""

    starts: date
    days: int
    households_per_community: int  # listed households a community's teams visit (each stands for many real ones)
    absent_share: float  # of visits that find nobody home (a revisit the next day)
    absent_visits_done: int  # the campaign's rule: a household found empty this many times counts as done
    people_at_home: tuple[int, int]  # healthy people a visited household shows, uniform


@dataclass(frozen=True)
class Operations:
    tick_minutes: int
    allocate_every_minutes: int
    transport_minutes: tuple[int, int]
    transport_per_district_hour: int  # people who can set off from a district in an hour; 0: no limit
    refusal_share: float
    report_every_minutes: Mapping[str, int]  # each level's reporting period (the schedules are set to it)
    report_late_share: float
    report_missing_share: float
    watch_every_minutes: int  # the watch job (alerts, escalation, scorecards); 0: never
    # how often a watch round makes the day's provisional scorecards again (the setting
    # `scorecard_refresh_minutes`; the finished days' cards are made once whatever it is)
    scorecard_refresh_minutes: int = 15
    # the contacts' exposures to the case that brought them in, and their twice-daily checks (sim.observation)
    observation: bool = False
    survey: SurveyPlan | None = None  # the door-to-door survey (sim.survey); None: not played
    # people a facility of each kind can admit in an hour for each 100 of its beds (its desks and ward teams grow
    # with it), rounded up, unless the facility gives its own figure; a kind absent: no limit. The real engine's
    # plan respects it (Facility.admissions_per_hour)
    admissions_per_100_beds_hour: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FacilityPlan:
    code: str
    name: str
    type: FacilityType
    district: str
    beds: Mapping[BedType, int]
    opens: date | None
    closes: date | None
    admissions_per_hour: int | None = None  # None: the scenario's rate for its kind


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
    staffing: StaffingPlan | None = None  # the twin's staff and medical teams (sim.staffing); None: off
    supplies: SupplyPlan | None = None  # the twin's deliveries and consumption (sim.supplies); None: off


def shifted(scenario: Scenario, start: date, days: int) -> Scenario:
    """The same scenario moved to begin on `start` (every date in it moves by as much) and run `days` days:
    the demo plays the small outbreak up to today."""
    delta = start - scenario.start

    def move(schedule: Schedule) -> Schedule:
        return tuple((d + delta, v) for d, v in schedule)

    e, d, o = scenario.epidemic, scenario.detection, scenario.operations
    survey = replace(o.survey, starts=o.survey.starts + delta) if o.survey is not None else None
    return replace(
        scenario,
        operations=replace(o, survey=survey),
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


# no quantity of a scenario (days, hours, people a day, beds) is sensibly larger; NaN and infinity are refused
LARGEST = 10_000_000.0
MAX_DAYS = 3660  # ten years of an outbreak
MAX_SEED = 2**63 - 1


def _within(path: str, value: float, low: float, high: float, *, open_low: bool = False) -> None:
    """Refuse a value that is not a finite number from `low` (excluded if `open_low`) to `high`."""
    if not math.isfinite(value) or value > high or value < low or (open_low and value == low):
        above = f"大于 {low:g}" if open_low else f"不小于 {low:g}"
        above_en = f"above {low:g}" if open_low else f"at least {low:g}"
        raise _bad(
            path, f"应为{above}且不大于 {high:g} 的有限数：{value}", f"must be {above_en} and at most {high:g}: {value}"
        )


class _Reader:
    """Typed access to the raw TOML with messages that name the key; `unused` finds the keys nobody read."""

    def __init__(self, raw: Mapping[str, Any], where: str) -> None:
        self.raw, self.where = raw, where
        self.read: set[str] = set()
        self.sections: dict[str, _Reader] = {}

    def section(self, key: str) -> _Reader:
        if key in self.sections:
            return self.sections[key]
        value = self.raw.get(key)
        if not isinstance(value, Mapping):
            raise _bad(f"{self.where}{key}", "缺少此节", "the section is missing")
        self.read.add(key)
        self.sections[key] = _Reader(value, f"{self.where}{key}.")
        return self.sections[key]

    def refuse_unknown(self) -> None:
        """An unknown key is a typo the program would silently ignore: refuse it, named."""
        for key in self.raw:
            if key not in self.read:
                raise _bad(self.where + str(key), "未知的设置（拼写错误？）", "unknown setting (a typo?)")
        for part in self.sections.values():
            part.refuse_unknown()

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.read.add(key)
        if key not in self.raw:
            if default is ...:
                raise _bad(self.where + key, "缺少此项", "the key is missing")
            return default
        value = self.raw[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise _bad(self.where + key, f"类型不对：{value!r}", f"wrong type: {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(self.where + key, f"应为有限数：{value}", f"must be a finite number: {value}")
        return value

    def share(self, key: str) -> float:
        value = float(self.get(key, float))
        _within(self.where + key, value, 0, 1)
        return value

    def positive(self, key: str, kind: type = float, high: float = LARGEST) -> Any:
        value = self.get(key, kind)
        _within(self.where + key, value, 0, high, open_low=True)
        return value

    def nonnegative(self, key: str, high: float = LARGEST) -> float:
        value = float(self.get(key, float))
        _within(self.where + key, value, 0, high)
        return value

    def nonnegative_or(self, key: str, default: float, high: float = LARGEST) -> float:
        """An optional non-negative number: `default` when absent."""
        if key not in self.raw:
            self.read.add(key)
            return default
        return self.nonnegative(key, high)

    def whole(self, key: str, low: int, high: int, default: Any = ...) -> int:
        value: int = self.get(key, int, default)
        _within(self.where + key, value, low, high)
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: Any = ...) -> str:
        value: str = self.get(key, str, default)
        if value not in allowed:
            raise _bad(
                self.where + key,
                f"应为 {'、'.join(allowed)} 之一：{value!r}",
                f"must be one of {', '.join(allowed)}: {value!r}",
            )
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

    def pair(self, key: str, kind: type = float, low: float = 0, high: float = LARGEST) -> tuple[Any, Any]:
        value = self.get(key, list)
        numbers = (int,) if kind is int else (int, float)
        if (
            len(value) != 2
            or not all(isinstance(v, numbers) and not isinstance(v, bool) for v in value)
            or not all(math.isfinite(v) and low <= v <= high for v in value)
            or value[0] > value[1]
        ):
            raise _bad(
                self.where + key,
                f"应为 [下限, 上限]，均在 {low:g} 到 {high:g} 之间：{value}",
                f"must be [low, high], both from {low:g} to {high:g}: {value}",
            )
        return kind(value[0]), kind(value[1])

    def districts(self, key: str) -> tuple[str, ...]:
        """Six-digit prefixes of Wuhan's districts (the packaged divisions), each at most once."""
        value = self.get(key, list)
        known = sorted(d["code"][:6] for d in read_divisions() if d["level"] == "district")
        for item in value:
            if not isinstance(item, str) or item not in known:
                raise _bad(
                    self.where + key,
                    f"未知的区：{item!r}（可选：{'、'.join(known)}）",
                    f"unknown district {item!r} (known: {', '.join(known)})",
                )
        if len(set(value)) != len(value):
            raise _bad(self.where + key, "有重复的区", "a district is listed twice")
        return tuple(value)

    def schedule(self, key: str) -> Schedule:
        value = self.get(key, (list, str))
        if isinstance(value, str):
            return published_series(value, self.where + key)
        steps = []
        for item in value:
            if not (
                isinstance(item, list)
                and len(item) == 2
                and isinstance(item[1], (int, float))
                and not isinstance(item[1], bool)
                and math.isfinite(item[1])
                and 0 <= item[1] <= LARGEST
            ):
                raise _bad(
                    self.where + key,
                    f"每项应为 [日期, 0 到 {LARGEST:g} 的数值]：{item!r}",
                    f"each step is [date, a value from 0 to {LARGEST:g}]: {item!r}",
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
        if bed is None or bed not in FACILITY_BED_TYPES[ftype] or not _is_count(n, MAX_BEDS):
            raise _bad(
                f"facilities[{index}].beds.{key}",
                f"床位不对（应为本机构的床位类型，0 到 {MAX_BEDS} 张）：{n!r}",
                f"not a bed of this facility, or not 0 to {MAX_BEDS} beds: {n!r}",
            )
        beds[bed] = n
    plan = FacilityPlan(
        code=r.get("code", str),
        name=r.get("name", str),
        type=ftype,
        district=r.get("district", str),
        beds=beds,
        opens=r.day("opens", None),
        closes=r.day("closes", None),
        admissions_per_hour=r.whole("admissions_per_hour", 1, MAX_BEDS) if "admissions_per_hour" in raw else None,
    )
    r.refuse_unknown()
    return plan


MAX_BEDS = 1_000_000


def _survey(o: _Reader) -> SurveyPlan | None:
    """`operations.survey` (absent, or `on = false`: not played)."""
    if "survey" not in o.raw:
        o.read.add("survey")
        return None
    v = o.section("survey")
    if not v.get("on", bool, True):
        v.read.update(v.raw)
        return None
    return SurveyPlan(
        starts=v.day("starts"),
        days=v.whole("days", 1, 30),
        households_per_community=v.whole("households_per_community", 1, 10_000),
        absent_share=v.share("absent_share"),
        absent_visits_done=v.whole("absent_visits_done", 0, 5),
        people_at_home=v.pair("people_at_home", int, low=0, high=10),
    )


def _is_count(n: object, high: int) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= high


def _rates(r: _Reader) -> dict[str, float]:
    key = "admissions_per_100_beds_hour"
    if key not in r.raw:
        r.read.add(key)
        return {}
    part = r.section(key)
    for kind in part.raw:
        if FacilityType.parse(str(kind)) is None:
            raise _bad(f"{part.where}{kind}", "未知的机构类型", "unknown facility type")
    return {str(kind): part.positive(str(kind)) for kind in part.raw}


def _periods(r: _Reader) -> dict[str, int]:
    periods = {level: r.positive(level, int, 1440) for level in ("district", "street", "community")}
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
        tick_minutes=o.positive("tick_minutes", int, 60),
        allocate_every_minutes=o.positive("allocate_every_minutes", int, 7 * 1440),
        transport_minutes=o.pair("transport_minutes", int, high=7 * 1440),
        transport_per_district_hour=o.whole("transport_per_district_hour", 0, 1_000_000, 0),
        refusal_share=o.share("refusal_share"),
        report_every_minutes=_periods(o.section("report_every_minutes")),
        report_late_share=o.share("report_late_share"),
        report_missing_share=o.share("report_missing_share"),
        watch_every_minutes=o.whole("watch_every_minutes", 0, 7 * 1440, 60),
        scorecard_refresh_minutes=o.whole("scorecard_refresh_minutes", 1, 7 * 1440, 15),
        observation=o.get("observation", bool, False),
        survey=_survey(o),
        admissions_per_100_beds_hour=_rates(o),
    )
    if operations.allocate_every_minutes % operations.tick_minutes or 60 % operations.tick_minutes:
        raise _bad("operations.tick_minutes", "应整除 60 和分配间隔", "must divide 60 and the allocation interval")
    scenario = Scenario(
        name=s.get("name", str),
        title_zh=s.get("title_zh", str),
        title_en=s.get("title_en", str),
        start=s.day("start"),
        days=s.positive("days", int, MAX_DAYS),
        seed=s.whole("seed", 0, MAX_SEED),
        city=CityPlan(
            districts=c.districts("districts"),
            streets_per_district=c.whole("streets_per_district", 0, 1000),
            communities_per_street=c.pair("communities_per_street", int, low=1, high=1000),
            communities=c.choice("communities", COMMUNITY_SOURCES, "generated"),
        ),
        epidemic=Epidemic(
            seed_date=e.day("seed_date"),
            seed_infections=e.positive("seed_infections", int, 10_000_000),
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
            contacts_per_case=d.nonnegative("contacts_per_case", 1000),
            contact_trace_hours=d.nonnegative("contact_trace_hours"),
            contact_infected_share=d.share("contact_infected_share"),
            observation_days=d.positive("observation_days"),
            suspected_resolved_days=d.nonnegative_or("suspected_resolved_days", 0.0),
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
            discharge_retests_days=k.pair("discharge_retests_days") if "discharge_retests_days" in k.raw else None,
        ),
        operations=operations,
        facilities=facilities,
        settings=tuple(settings),
        staffing=parse_plan(raw.get("staffing"), str(raw.get("scenario", {}).get("name", ""))),
        supplies=parse_supplies(raw.get("supplies")),
    )
    top.read.update({"facilities", "staffing", "supplies"})
    top.refuse_unknown()
    return scenario


def overridden(scenario: Scenario, *, days: int | None = None, seed: int | None = None) -> Scenario:
    """The scenario run for `days` or with `seed` (the command line's --days and --seed), within the bounds a
    scenario file has."""
    if days is not None:
        _within("--days", days, 1, MAX_DAYS)
    if seed is not None:
        _within("--seed", seed, 0, MAX_SEED)
    return replace(scenario, days=days or scenario.days, seed=scenario.seed if seed is None else seed)


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
