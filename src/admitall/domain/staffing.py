"""Staffed beds (issue 18 §2): who is on shift, how many beds they can cover, and what a bed pool can really use.

The shift model (decided here, said in docs/staffing.md): a site's staff of a role work in `shifts_per_day`
equal shifts (three 8-hour shifts by default), so the people of a role on shift at any hour are their headcount
on the roster that day divided by the shifts, rounded down to whole people.

A bed of a type needs, on shift, `per_bed[type][role]` people of each listed role (e.g. 1 ICU nurse per ICU bed);
a bed type the policy lists no staff for is never limited by staff. Staff cover a facility's bed types in the
order of `BedType` (ICU first, then severe, general …): each type takes the beds the staff left can cover, up to
its beds in service, and the staff they need are no longer free for the next type. The role that runs out first
names the limit ("ICU bed free but no ICU nurse on shift").

Usable beds = min(beds in service, staffed beds, beds the critical supplies last for). A facility with no staffing
data at all (nobody on its roster, no team ever assigned to it) is not limited by staff: its staffed beds are its
beds in service, so a city that keeps no rosters plans as before.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import BedType
from admitall.domain.labels import LabeledEnum


class StaffRole(LabeledEnum):
    DOCTOR = ("doctor", "医生", "doctor", "blue")
    NURSE = ("nurse", "护士", "nurse", "teal")
    ICU_DOCTOR = ("icu_doctor", "重症医生", "ICU doctor", "red")
    ICU_NURSE = ("icu_nurse", "重症护士", "ICU nurse", "orange")
    COMMUNITY_WORKER = ("community_worker", "社区工作者", "community worker", "green")
    TECHNICIAN = ("technician", "医技人员", "medical technician", "indigo")
    OTHER = ("other", "其他人员", "other staff", "grey")


# a whole number of people never comes out a hair short of a whole bed because of float rounding
_EPS = 1e-9


@dataclass(frozen=True)
class StaffingRules:
    """The policy's [staffing] table: shifts a day, and the people of each role on shift each bed type needs."""

    shifts_per_day: int = 3
    per_bed: Mapping[BedType, Mapping[StaffRole, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class BedCapacity:
    """One facility's beds of one type: in service, staffed, what supplies allow, and usable (the least of them).
    `short_role` names the role that limits it when staff do; `short_item` the supply item when supplies do."""

    physical: int
    staffed: int
    supply: int | None
    usable: int
    short_role: StaffRole | None = None
    short_item: str | None = None

    @property
    def staff_limited(self) -> bool:
        return self.staffed < self.physical

    @property
    def supply_limited(self) -> bool:
        return self.supply is not None and self.supply < min(self.physical, self.staffed)


def on_shift(headcount: Mapping[str, int], shifts_per_day: int) -> Counter[StaffRole]:
    """People of each role on shift at any hour: the day's headcount over the shifts, rounded down."""
    found: Counter[StaffRole] = Counter()
    for role, n in headcount.items():
        member = StaffRole(role) if role in StaffRole._value2member_map_ else StaffRole.OTHER
        found[member] += n
    return Counter({role: n // shifts_per_day for role, n in found.items() if n // shifts_per_day > 0})


def staffed_beds(
    physical: Mapping[BedType, int], crew: Mapping[StaffRole, int], rules: StaffingRules
) -> dict[BedType, tuple[int, StaffRole | None]]:
    """For each bed type of one facility: the beds the staff on shift (`crew`) can cover, and the role that runs
    out first when that is fewer than the beds in service (None when staff are not the limit)."""
    left: dict[StaffRole, float] = {role: float(n) for role, n in crew.items()}
    found: dict[BedType, tuple[int, StaffRole | None]] = {}
    for bed in BedType:
        if bed not in physical:
            continue
        beds = physical[bed]
        needs = rules.per_bed.get(bed, {})
        short: StaffRole | None = None
        for role, per in needs.items():  # in the policy's order: on a tie, the role listed first is named
            covered = math.floor(left.get(role, 0.0) / per + _EPS)
            if covered < beds:
                beds, short = covered, role
        for role, per in needs.items():
            left[role] = left.get(role, 0.0) - beds * per
        found[bed] = (beds, short)
    return found


def usable(physical: int, staffed: int, short_role: StaffRole | None, supply: tuple[int, str] | None) -> BedCapacity:
    """The least of beds in service, staffed beds and what supplies allow (None: supplies do not limit)."""
    limit = None if supply is None else max(0, supply[0])
    best = min(physical, staffed, limit if limit is not None else physical)
    item = supply[1] if supply is not None and limit is not None and limit < min(physical, staffed) else None
    return BedCapacity(physical, staffed, limit, best, short_role if staffed < physical else None, item)


def parse_staffing(table: object) -> StaffingRules:
    """Read the policy's [staffing] table: `shifts_per_day` and `[staffing.per_bed]` (bed type → role → people
    on shift per bed, above 0)."""
    if table is None:
        return StaffingRules()
    if not isinstance(table, dict) or set(table) - {"shifts_per_day", "per_bed"}:
        keys = "shifts_per_day, per_bed"
        raise _bad("staffing", f"只能有这两项：{keys}", f"takes only {keys}")
    shifts = table.get("shifts_per_day", 3)
    if not isinstance(shifts, int) or isinstance(shifts, bool) or not 1 <= shifts <= 24:
        raise _bad("staffing.shifts_per_day", "必须是 1 到 24 的整数", "must be 1 to 24")
    per_bed: dict[BedType, dict[StaffRole, float]] = {}
    raw = table.get("per_bed", {})
    if not isinstance(raw, dict):
        raise _bad("staffing.per_bed", "必须是表", "must be a table")
    for bed_name, needs in raw.items():
        bed = BedType(bed_name) if bed_name in BedType._value2member_map_ else None
        if bed is None or not isinstance(needs, dict):
            raise _bad(f"staffing.per_bed.{bed_name}", "床位类型无法识别", "unknown bed type")
        per_bed[bed] = {}
        for role_name, per in needs.items():
            role = StaffRole(role_name) if role_name in StaffRole._value2member_map_ else None
            if role is None or not isinstance(per, int | float) or isinstance(per, bool) or not 0 < per <= 100:
                where = f"staffing.per_bed.{bed_name}.{role_name}"
                raise _bad(where, "必须是已知岗位、大于 0 的人数", "must be a known role and a number above 0")
            per_bed[bed][role] = float(per)
    return StaffingRules(shifts, per_bed)


def _bad(where: str, zh: str, en: str) -> InvalidInput:
    """A refusal that names the setting (a key of the file, in the code's own words) beside the reason."""
    return InvalidInput(
        "policy.invalid", f"收治策略文件无效：{where} {zh}", f"The admission policy file is invalid: {where} {en}"
    )
