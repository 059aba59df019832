"""The twin's staff (issue 18 §5): each facility's own staff, and the medical teams that arrived from elsewhere on
their published dates, put on the rosters before the run so that the admission engine fills only staffed beds.

How the arrivals are handed out (decided here; docs/staffing.md says it): a facility needs, for its beds, the
staff the policy asks on shift (domain.staffing: per bed type and role, times the shifts of a day), less its own
staff (`local_per_100_beds`, by facility kind). The people who arrive on a day (the scenario's CSV, e.g.
data/wuhan-2020/medical_teams.csv: how many, how many of them ICU-trained) join a pool; each day the pool staffs
the facilities open that day in the order they opened, each up to what it still needs, by role (arrivals split
between doctors and nurses by `doctor_share`). What is left waits for the next facility to open. So a shelter
hospital's beds open only as fast as its teams arrive, and a facility kind left out of the hand-out
(`withheld`, the what-if "shelter hospitals opened without the teams that staffed them") keeps only its own staff.

The section is off unless the scenario turns it on (`[staffing] on = true`, or `--set staffing.on=true`): a run
without it plans with every facility unlimited by staff, as before.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import insert

from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import FacilityType
from admitall.domain.policy import Policy
from admitall.domain.staffing import StaffRole
from admitall.services.context import Context
from admitall.store.tables_staffing import medical_team_headcounts, medical_teams

ICU_ROLES = (StaffRole.ICU_DOCTOR, StaffRole.ICU_NURSE)
WARD_ROLES = (StaffRole.DOCTOR, StaffRole.NURSE)


@dataclass(frozen=True)
class Arrival:
    day: date
    people: int
    icu_people: int
    origin: str


@dataclass(frozen=True)
class StaffingPlan:
    arrivals: tuple[Arrival, ...]
    doctor_share: float  # of the people arriving, doctors (the rest nurses), in the ICU-trained and the others alike
    local_per_100_beds: Mapping[FacilityType, Mapping[StaffRole, float]] = field(default_factory=dict)
    withheld: frozenset[FacilityType] = frozenset()  # kinds of facility the arrivals never staff (a what-if)
    delay_days: int = 0  # every arrival this many days later (a what-if)


def _bad(where: str, zh: str, en: str) -> InvalidInput:
    key = f"staffing.{where}"
    return InvalidInput("scenario.invalid", f"情景设置 {key} 无效：{zh}", f"{key}: {en}")


def read_arrivals(scenario_name: str, file: str) -> tuple[Arrival, ...]:
    """The arrivals of a packaged CSV (date, people, icu_people, origin, …, source): every row must cite a source."""
    text = resources.files("admitall").joinpath(f"data/{scenario_name}/{file}").read_text("utf-8")
    found = []
    for row in csv.DictReader(text.splitlines()):
        if not (row.get("source") or "").strip():
            raise _bad("teams", f"{row.get('date')} 一行没有来源", f"the row of {row.get('date')} has no source")
        found.append(
            Arrival(date.fromisoformat(row["date"]), int(row["people"]), int(row["icu_people"]), row["origin"])
        )
    return tuple(sorted(found, key=lambda a: a.day))


def parse_plan(raw: Any, scenario_name: str) -> StaffingPlan | None:
    """The scenario's [staffing] section: None when absent or off."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _bad("", "应为一节", "must be a section")
    known = {"on", "teams", "doctor_share", "local_per_100_beds", "withheld", "delay_days"}
    if set(raw) - known:
        raise _bad(str(sorted(set(raw) - known)[0]), "未知的设置", "unknown setting")
    if raw.get("on", False) is not True:
        return None
    share = raw.get("doctor_share", 0.3)
    if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= 1:
        raise _bad("doctor_share", "应在 0 与 1 之间", "must be from 0 to 1")
    local: dict[FacilityType, dict[StaffRole, float]] = {}
    for kind, roles in (raw.get("local_per_100_beds") or {}).items():
        ftype = FacilityType.parse(str(kind))
        if ftype is None or not isinstance(roles, Mapping):
            raise _bad(f"local_per_100_beds.{kind}", "未知的机构类型", "unknown facility kind")
        local[ftype] = {}
        for role, n in roles.items():
            member = StaffRole.parse(str(role))
            if member is None or not isinstance(n, int | float) or isinstance(n, bool) or not 0 <= n <= 10_000:
                raise _bad(f"local_per_100_beds.{kind}.{role}", "未知的岗位或人数", "unknown role or count")
            local[ftype][member] = float(n)
    withheld = set()
    for kind in raw.get("withheld", []):
        ftype = FacilityType.parse(str(kind))
        if ftype is None:
            raise _bad("withheld", f"未知的机构类型 {kind}", f"unknown facility kind {kind}")
        withheld.add(ftype)
    delay = raw.get("delay_days", 0)
    if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= 60:
        raise _bad("delay_days", "应为 0 到 60 的整数", "must be a whole number from 0 to 60")
    teams = str(raw.get("teams", ""))
    arrivals = read_arrivals(scenario_name, teams) if teams else ()
    return StaffingPlan(arrivals, float(share), local, frozenset(withheld), delay)


def need_of(beds: Mapping[Any, int], policy: Policy) -> Counter[StaffRole]:
    """The people on the roster a facility's beds need: on shift per bed, times the shifts of a day, rounded up."""
    need: Counter[StaffRole] = Counter()
    rules = policy.staffing
    for bed, n in beds.items():
        for role, per in rules.per_bed.get(bed, {}).items():
            need[role] += math.ceil(n * per * rules.shifts_per_day - 1e-9)
    return need


@dataclass(frozen=True)
class TeamRow:
    facility_code: str
    day: date
    name: str
    origin: str
    headcount: Mapping[str, int]


def _split(a: Arrival, share: float) -> Counter[StaffRole]:
    icu, ward = a.icu_people, a.people - a.icu_people
    icu_doctors, doctors = round(icu * share), round(ward * share)
    return Counter(
        {
            StaffRole.ICU_DOCTOR: icu_doctors,
            StaffRole.ICU_NURSE: icu - icu_doctors,
            StaffRole.DOCTOR: doctors,
            StaffRole.NURSE: ward - doctors,
        }
    )


def hand_out(scenario: Any, plan: StaffingPlan, policy: Policy) -> tuple[list[TeamRow], dict[str, int]]:
    """The rosters the run's facilities get, day by day (their own staff from their opening, the arrivals as they
    come), and what arrived, was handed out and was left over."""
    first: date = scenario.start - timedelta(days=1)

    def opening(f: Any) -> date:
        opens: date = f.opens or first
        return max(opens, first)

    facilities = sorted(scenario.facilities, key=lambda f: (opening(f), f.code))
    rows: list[TeamRow] = []
    still: dict[str, Counter[StaffRole]] = {}
    for f in facilities:
        total = sum(f.beds.values())
        local = Counter({r: math.floor(total * n / 100) for r, n in plan.local_per_100_beds.get(f.type, {}).items()})
        if +local:
            rows.append(TeamRow(f.code, opening(f), "本院医护", "本院", {r.value: n for r, n in (+local).items()}))
        need = need_of(f.beds, policy)
        need.subtract(local)
        still[f.code] = +need
    incoming: dict[date, Counter[StaffRole]] = {}
    origins: dict[date, list[str]] = {}
    for a in plan.arrivals:
        day = a.day + timedelta(days=plan.delay_days)
        incoming.setdefault(day, Counter()).update(_split(a, plan.doctor_share))
        origins.setdefault(day, []).append(a.origin)
    pool: Counter[StaffRole] = Counter()
    handed = 0
    for day in sorted(set(incoming) | {opening(f) for f in facilities}):
        pool.update(incoming.get(day, Counter()))
        for f in facilities:
            if opening(f) > day or f.type in plan.withheld or (f.closes is not None and f.closes <= day):
                continue
            give = +Counter({r: min(n, pool[r]) for r, n in still[f.code].items()})
            if not give:
                continue
            pool.subtract(give)
            still[f.code].subtract(give)
            still[f.code] = +still[f.code]
            handed += sum(give.values())
            origin = "、".join(sorted(set(origins.get(day, ["外地"]))))[:60]
            rows.append(
                TeamRow(f.code, day, f"援汉医疗队（{day:%m-%d}）", origin, {r.value: n for r, n in give.items()})
            )
    arrived = sum(a.people for a in plan.arrivals)
    short = sum(1 for f in facilities if still[f.code] and f.type not in plan.withheld)
    return rows, {"arrived": arrived, "handed_out": handed, "left_over": sum(pool.values()), "facilities_short": short}


def staff_city(ctx: Context, scenario: Any, plan: StaffingPlan) -> dict[str, int]:
    """Put the hand-out on the rosters (one statement for the teams, one for their headcounts); what it came to."""
    rows, summary = hand_out(scenario, plan, ctx.policy)
    now: datetime = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        for row in rows:  # a few hundred rows: their ids are needed for the headcounts
            inserted = uow.conn.execute(
                insert(medical_teams).values(
                    name=row.name,
                    origin=row.origin,
                    facility_code=row.facility_code,
                    arrives_on=row.day,
                    departs_on=None,
                    created_by="sim",
                    created_at=now,
                )
            ).inserted_primary_key
            assert inserted is not None
            team_id = inserted[0]
            uow.conn.execute(
                insert(medical_team_headcounts),
                [{"team_id": team_id, "role": role, "headcount": n} for role, n in row.headcount.items()],
            )
        uow.commit()
    return {**summary, "teams": len(rows)}
