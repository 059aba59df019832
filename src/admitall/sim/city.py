"""The simulated city, set up in the database through the same imports an operator uses: the scenario's
districts and streets from the packaged Wuhan divisions, their communities (Wuhan's real ones, or generated) with
their residents, and the scenario's facilities with their opening dates.

Residents: a district's population (`approx_population_10k` of the divisions) is shared equally among its streets
and a street's equally among its communities; no population by street or community is published with the codes,
so the shares are equal, not sourced.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from admitall.domain.facilities import BedType
from admitall.services.boundaries import import_wuhan_districts
from admitall.services.context import Context, cli_actor
from admitall.services.divisions import read_divisions
from admitall.services.facilities import import_facilities
from admitall.services.units import UNIT_HEADERS, import_units
from admitall.sim.reference import communities_by_street
from admitall.sim.scenario import FacilityPlan, Scenario


@dataclass(frozen=True)
class SimCity:
    communities: list[str]
    populations: list[int]
    units: dict[str, str]  # code -> level, every unit of the city
    start: datetime  # the scenario's first local midnight, in UTC


def local_midnight(ctx: Context, scenario: Scenario) -> datetime:
    return datetime.combine(scenario.start, time(0), tzinfo=ctx.settings.tz)


def build_city(ctx: Context, scenario: Scenario) -> SimCity:
    """Units and facilities, as of a day before the scenario starts (so every unit reports from its first
    hour). Refuses (by the imports' own checks) a database that already holds another city."""
    rng = random.Random(scenario.seed)
    plan = scenario.city
    divisions = read_divisions()
    wanted = set(plan.districts)
    districts = [d for d in divisions if d["level"] == "district" and (not wanted or d["code"][:6] in wanted)]
    rows: list[dict[str, str | None]] = []
    units: dict[str, str] = {}
    populations: dict[str, int] = {}
    real = communities_by_street() if plan.communities == "real" else None
    city = next(d for d in divisions if d["level"] == "city")
    rows.append({k: city.get(src) for src, k in UNIT_HEADERS.items() if src in city})
    units[city["code"]] = "city"
    for d in districts:
        streets = [s for s in divisions if s["level"] == "street" and s["code"][:6] == d["code"][:6]]
        kept = streets[: plan.streets_per_district] if plan.streets_per_district else streets
        district_pop = round(float(d["approx_population_10k"]) * 10_000 * len(kept) / len(streets))
        rows.append({k: d.get(src) for src, k in UNIT_HEADERS.items() if src in d} | {"population": str(district_pop)})
        units[d["code"]] = "district"
        lat, lon = float(d["approx_lat"]), float(d["approx_lon"])
        for s in kept:
            street_pop = district_pop // len(kept)
            rows.append(
                {
                    "code": s["code"],
                    "name": s["name"],
                    "lat": f"{lat + rng.uniform(-0.04, 0.04):.4f}",
                    "lon": f"{lon + rng.uniform(-0.04, 0.04):.4f}",
                    "population": str(street_pop),
                }
            )
            units[s["code"]] = "street"
            members = real[s["code"]] if real is not None else _generated(s["code"], rng, plan.communities_per_street)
            for code, name in members:
                populations[code] = street_pop // len(members)
                rows.append(
                    {"code": code, "name": name, "parent_code": s["code"], "population": str(populations[code])}
                )
                units[code] = "community"
    start = local_midnight(ctx, scenario)
    summary = import_units(ctx, cli_actor("sim"), enumerate(rows, start=2))
    if summary.rejected:
        raise RuntimeError(f"the simulated city's units were refused: {summary.rejections[:3]}")
    import_wuhan_districts(ctx, cli_actor("sim"))  # the districts' boundaries: the command screen's map
    _facilities(ctx, scenario, units, start)
    communities = sorted(populations)
    return SimCity(communities, [populations[c] for c in communities], units, start)


def _generated(street: str, rng: random.Random, per_street: tuple[int, int]) -> list[tuple[str, str]]:
    """A street's made-up communities: `第N社区`, coded under the street."""
    return [(f"{street[:9]}{serial:03d}", f"第{serial}社区") for serial in range(1, rng.randint(*per_street) + 1)]


def _facilities(ctx: Context, scenario: Scenario, units: dict[str, str], start: datetime) -> None:
    first_street: dict[str, str] = {}
    for code, level in sorted(units.items()):
        if level == "street":
            first_street.setdefault(code[:6], code)
    fallback = min(first_street.values())
    rows: list[dict[str, str | None]] = []
    for f in scenario.facilities:

        def moment(day: date | None) -> str | None:
            if day is None:
                return None
            return (start + timedelta(days=(day - scenario.start).days)).isoformat(timespec="minutes")

        rows.append(
            {
                "code": f.code,
                "name": f.name,
                "type": f.type.value,
                "unit_code": first_street.get(f.district[:6], fallback),
                "opens_at": moment(f.opens) if f.opens and f.opens > scenario.start else None,
                "closes_at": moment(f.closes),
                "admissions_per_hour": str(rate) if (rate := _rate(scenario, f)) else "",
                **{bed.value: str(n) for bed, n in f.beds.items()},
            }
        )
    summary = import_facilities(ctx, cli_actor("sim"), enumerate(rows, start=2))
    if summary.rejected:
        raise RuntimeError(f"the scenario's facilities were refused: {summary.rejections[:3]}")


def _rate(scenario: Scenario, f: FacilityPlan) -> int | None:
    """How many people the facility can admit in an hour: its own figure, else its kind's rate for its beds
    (rounded up, at least 1); None: no limit."""
    if f.admissions_per_hour:
        return f.admissions_per_hour
    per_100 = scenario.operations.admissions_per_100_beds_hour.get(f.type.value)
    return max(1, math.ceil(per_100 * sum(f.beds.values()) / 100)) if per_100 else None


def existing_city(ctx: Context, start: datetime, root: str = "420100000000") -> SimCity:
    """A city already in the database (the demo's): its communities and their residents (a community without a
    population counts as 1,000)."""
    with ctx.uow() as uow:
        found = uow.units.in_subtree(root)
    units = {u.code: u.level.value for u in found}
    communities = [u for u in found if u.level.value == "community"]
    return SimCity(
        [u.code for u in communities], [u.population or 1000 for u in communities], units, start.astimezone(UTC)
    )


def existing_facilities(ctx: Context, root: str | None = None) -> tuple[FacilityPlan, ...]:
    """The facilities already in the database (the demo's) as the twin's plans: their beds by type and their
    opening and closing days, so that the twin's staff and supplies (sim.staffing, sim.supplies) serve them."""
    with ctx.uow() as uow:
        found = uow.facilities.in_subtree(root)
        pools = uow.facilities.pools([f.code for f in found])
    beds: dict[str, dict[BedType, int]] = {}
    for p in pools:
        beds.setdefault(p.facility_code, {})[p.bed_type] = p.capacity

    def day(at: datetime | None) -> date | None:
        return at.astimezone(ctx.settings.tz).date() if at is not None else None

    return tuple(
        FacilityPlan(
            code=f.code,
            name=f.name,
            type=f.type,
            district=f.unit_code[:6] + "000000",
            beds=beds.get(f.code, {}),
            opens=day(f.opens_at),
            closes=day(f.closes_at),
            admissions_per_hour=f.admissions_per_hour,
        )
        for f in found
    )
