"""Facilities and their beds: import, management, and the occupancy picture."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from admitall.domain.access import Permission
from admitall.domain.errors import Conflict, Forbidden, InvalidInput
from admitall.domain.facilities import FACILITY_BED_TYPES, BedPool, BedType, Facility, FacilityType
from admitall.domain.identity import nfkc
from admitall.domain.intake import parse_datetime
from admitall.domain.units import normalize_code, subtree_bounds
from admitall.services.context import Actor, Context, not_found
from admitall.services.tabular import Limits, read_table
from admitall.store.tables import bed_pools, facilities
from admitall.store.text_limits import check_row

FACILITY_HEADERS = {
    "code": "code",
    "编码": "code",
    "机构编码": "code",
    "name": "name",
    "名称": "name",
    "机构名称": "name",
    "type": "type",
    "类型": "type",
    "机构类型": "type",
    "unit_code": "unit_code",
    "单位编码": "unit_code",
    "社区编码": "unit_code",
    "opens_at": "opens_at",
    "启用时间": "opens_at",
    "closes_at": "closes_at",
    "关闭时间": "closes_at",
    "lat": "lat",
    "纬度": "lat",
    "lon": "lon",
    "经度": "lon",
    "admissions_per_hour": "admissions_per_hour",
    "每小时收治上限": "admissions_per_hour",
    "每小时收治人数": "admissions_per_hour",
}
for _bed in BedType:
    FACILITY_HEADERS[_bed.value] = _bed.value
    FACILITY_HEADERS[_bed.zh.lower()] = _bed.value
FACILITY_HEADERS["icu"] = "icu"


@dataclass
class FacilityImportSummary:
    rows: int = 0
    accepted: int = 0
    updated: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# more beds in one pool than any hospital has: a typo (and beyond what the database stores)
MAX_BEDS = 1_000_000


def _number(raw: Mapping[str, str | None], key: str, kind: type[int] | type[float]) -> Any:
    text = nfkc(raw.get(key) or "")
    if not text:
        return None
    try:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError
        if kind is int:
            if not value.is_integer() or not 0 <= value <= MAX_BEDS:
                raise ValueError
            return int(value)
        return value
    except ValueError:
        what = f"0 到 {MAX_BEDS} 的整数" if kind is int else "有限的数字"
        raise InvalidInput(
            "facility.bad_number",
            f"{key} 应为{what}：{text}",
            f"{key} must be a {f'whole number from 0 to {MAX_BEDS}' if kind is int else 'finite number'}: {text}",
            field=key,
        ) from None


def parse_admission_rate(text: str | None) -> int | None:
    """How many people a facility can admit in an hour: a whole number from 1, or blank for no limit."""
    text = nfkc(text or "")
    if not text:
        return None
    try:
        value = float(text)
        if not math.isfinite(value) or not value.is_integer() or not 1 <= value <= MAX_BEDS:
            raise ValueError
        return int(value)
    except ValueError:
        raise InvalidInput(
            "facility.bad_admission_rate",
            f"每小时收治上限应为 1 到 {MAX_BEDS} 的整数，或留空表示不限：{text[:40]}",
            f"Admissions per hour must be a whole number from 1 to {MAX_BEDS}, or blank for no limit: {text[:40]}",
            field="admissions_per_hour",
        ) from None


def parse_facility(raw: Mapping[str, str | None], ctx: Context) -> tuple[Facility, dict[BedType, int]]:
    """One row of a facilities file: the facility and the capacity of each of its bed types given. Without an
    `admissions_per_hour` column, the facility's rate is left as it was (see import_facilities)."""
    code = nfkc(raw.get("code") or "")
    name = nfkc(raw.get("name") or "")
    if not code or len(code) > 40:
        raise InvalidInput(
            "facility.bad_code", "机构编码为空或过长", "The facility code is empty or too long", field="code"
        )
    if not name:
        raise InvalidInput("facility.no_name", "机构名称为空", "The facility name is empty", field="name")
    check_row("facilities", {"code": code, "name": name})
    ftype = FacilityType.parse(nfkc(raw.get("type") or ""))
    if ftype is None:
        known = ", ".join(t.value for t in FacilityType)
        raise InvalidInput(
            "facility.bad_type",
            f"机构类型无法识别：{raw.get('type')}（{known}）",
            f"Unknown facility type: {raw.get('type')} ({known})",
            field="type",
        )
    unit_code = normalize_code(raw.get("unit_code") or "")
    beds: dict[BedType, int] = {}
    for bed in BedType:
        capacity = _number(raw, bed.value, int)
        if capacity is None:
            continue
        if bed not in FACILITY_BED_TYPES[ftype] and capacity > 0:
            raise InvalidInput(
                "facility.bed_type_not_here",
                f"{ftype.zh}没有{bed.zh}",
                f"A {ftype.en} has no {bed.en}",
                field=bed.value,
            )
        if bed in FACILITY_BED_TYPES[ftype]:
            beds[bed] = capacity
    when: dict[str, datetime | None] = {}
    for key in ("opens_at", "closes_at"):
        text = nfkc(raw.get(key) or "")
        when[key] = parse_datetime(text, key, ctx.settings.tz) if text else None
    if when["opens_at"] and when["closes_at"] and when["opens_at"] >= when["closes_at"]:
        raise InvalidInput(
            "facility.closes_before_opening", "关闭时间早于启用时间", "It closes before it opens", field="closes_at"
        )
    lat, lon = _number(raw, "lat", float), _number(raw, "lon", float)
    if (lat is not None and not -90 <= lat <= 90) or (lon is not None and not -180 <= lon <= 180):
        raise InvalidInput("facility.bad_location", "经纬度超出范围", "Latitude or longitude out of range", field="lat")
    rate = parse_admission_rate(raw.get("admissions_per_hour"))
    return Facility(code, name, ftype, unit_code, lat, lon, when["opens_at"], when["closes_at"], rate), beds


def import_facilities(
    ctx: Context, actor: Actor, rows: Iterable[tuple[int, Mapping[str, str | None]]]
) -> FacilityImportSummary:
    """Add or update facilities and their bed capacities in one transaction; bad rows are rejected with row,
    field and reason; a capacity below the beds in use is refused for that row."""
    actor.require(Permission.MANAGE_FACILITIES)
    summary = FacilityImportSummary()
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        seen: set[str] = set()
        for row, raw in rows:
            if not any((v or "").strip() for v in raw.values()):
                continue
            summary.rows += 1
            try:
                facility, beds = parse_facility(raw, ctx)
                if facility.code in seen:
                    raise InvalidInput(
                        "facility.duplicate", "机构编码在文件中重复", "The code appears twice in the file", field="code"
                    )
                seen.add(facility.code)
                if not actor.covers(facility.unit_code) or uow.units.get(facility.unit_code) is None:
                    raise InvalidInput(
                        "facility.unknown_unit",
                        f"单位 {facility.unit_code} 不存在或不在管辖范围内",
                        f"Unit {facility.unit_code} does not exist or is outside your jurisdiction",
                        field="unit_code",
                    )
                existing = uow.facilities.get(facility.code)
                if existing is not None and not actor.covers(existing.unit_code):
                    raise _code_unavailable(facility.code)
                if existing is not None and existing.type is not facility.type:
                    raise InvalidInput(
                        "facility.type_changed",
                        "不能改变已有机构的类型",
                        "The type of an existing facility cannot change",
                        field="type",
                    )
                if existing is not None and "admissions_per_hour" not in raw:
                    facility = replace(facility, admissions_per_hour=existing.admissions_per_hour)
                with uow.conn.begin_nested():
                    if existing is None:
                        uow.facilities.add(facility, now)
                    else:
                        uow.facilities.update(facility, now)
                    pools = {p.bed_type: p for p in uow.facilities.pools([facility.code])}
                    for bed, capacity in beds.items():
                        keep = pools[bed].out_of_service if bed in pools else 0
                        uow.facilities.set_pool(facility.code, bed.value, capacity, min(keep, capacity), now)
                summary.updated += existing is not None
                summary.accepted += existing is None
            except (InvalidInput, Conflict) as e:  # Conflict: a capacity below the beds in use
                summary.rejections.append(
                    {"row": row, "field": e.field or "capacity", "reason": e.zh, "reason_en": e.en}
                )
        summary.rejected = len(summary.rejections)
        uow.audit.record(
            now,
            actor.username,
            "import_facilities",
            "batch",
            None,
            unit=actor.unit_code,
            rows=summary.rows,
            accepted=summary.accepted,
            updated=summary.updated,
            rejected=summary.rejected,
        )
        uow.commit()
    assert summary.accepted + summary.updated + summary.rejected == summary.rows
    return summary


def _code_unavailable(code: str) -> InvalidInput:
    """A code already used by a facility outside the jurisdiction: the row is refused without saying where the
    facility is or what it is (codes are unique city-wide, so refusing is all that can be told)."""
    return InvalidInput(
        "facility.code_unavailable",
        f"机构编码 {code} 不能使用（已被占用或不在您的管辖范围内）",
        f"The facility code {code} cannot be used (taken, or outside your jurisdiction)",
        field="code",
    )


def import_facilities_file(ctx: Context, actor: Actor, path: Path | str) -> FacilityImportSummary:
    table = read_table(path, FACILITY_HEADERS, ("code", "name", "type", "unit_code"), limits=Limits.of(ctx.settings))
    return import_facilities(ctx, actor, table.rows)


_BED_ORDER = {b: i for i, b in enumerate(BedType)}


def pool_view(p: BedPool) -> dict[str, Any]:
    return {
        "bed_type": p.bed_type.value,
        "capacity": p.capacity,
        "occupied": p.occupied,
        "reserved": p.reserved,
        "out_of_service": p.out_of_service,
        "free": p.free,
    }


def facility_view(f: Facility, pools: list[BedPool], now: datetime) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": f.name,
        "type": f.type.value,
        "unit_code": f.unit_code,
        "lat": f.lat,
        "lon": f.lon,
        "opens_at": f.opens_at.isoformat() if f.opens_at else None,
        "closes_at": f.closes_at.isoformat() if f.closes_at else None,
        "admissions_per_hour": f.admissions_per_hour,
        "open": f.is_open(now),
        "beds": [pool_view(p) for p in sorted(pools, key=lambda p: _BED_ORDER[p.bed_type])],
    }


def list_facilities(ctx: Context, actor: Actor, *, type: str | None = None) -> dict[str, Any]:
    """Facilities in the actor's jurisdiction with their beds (bed counts are not personal data)."""
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        found = uow.facilities.in_subtree(actor.unit_code, type=type)
        pools = defaultdict(list)
        for p in uow.facilities.pools([f.code for f in found]):
            pools[p.facility_code].append(p)
    now = ctx.clock.now()
    return {"facilities": [facility_view(f, pools[f.code], now) for f in found]}


def set_beds(
    ctx: Context, actor: Actor, code: str, bed_type: str, *, capacity: int, out_of_service: int
) -> dict[str, Any]:
    """Change a pool's capacity and beds out of service: administrators anywhere in their jurisdiction, a
    facility officer at their own facility. Refused if the beds in use would no longer fit."""
    with ctx.uow(write=True) as uow:
        facility = _facility_for_desk(uow, actor, code, manage=True)
        bed = BedType.parse(bed_type)
        if bed is None or bed not in FACILITY_BED_TYPES[facility.type]:
            raise InvalidInput(
                "facility.bed_type_not_here",
                f"{facility.type.zh}没有此类床位：{bed_type}",
                f"A {facility.type.en} has no such beds: {bed_type}",
                field="bed_type",
            )
        if capacity < 0 or out_of_service < 0 or out_of_service > capacity or capacity > MAX_BEDS:
            raise InvalidInput(
                "facility.bad_counts",
                f"容量与停用床位数须为 0 到 {MAX_BEDS} 的整数，且停用不超过容量",
                f"Capacity and beds out of service are whole numbers from 0 to {MAX_BEDS}, "
                "and out of service may not exceed capacity",
                field="capacity",
            )
        now = ctx.clock.now()
        uow.facilities.set_pool(code, bed.value, capacity, out_of_service, now)
        uow.audit.record(
            now,
            actor.username,
            "set_beds",
            "facility",
            code,
            unit=facility.unit_code,
            bed_type=bed.value,
            capacity=capacity,
            out_of_service=out_of_service,
        )
        pools = uow.facilities.pools([code])
        uow.commit()
    return facility_view(facility, pools, ctx.clock.now())


def set_admission_rate(ctx: Context, actor: Actor, code: str, rate: int | None) -> dict[str, Any]:
    """How many people the facility can admit in an hour (None: no limit): whoever may change its beds may set
    it. The engine's plans respect it from the next plan on."""
    rate = parse_admission_rate(None if rate is None else str(rate))
    with ctx.uow(write=True) as uow:
        facility = _facility_for_desk(uow, actor, code, manage=True)
        now = ctx.clock.now()
        facility = replace(facility, admissions_per_hour=rate)
        uow.facilities.update(facility, now)
        uow.audit.record(
            now,
            actor.username,
            "set_admission_rate",
            "facility",
            code,
            unit=facility.unit_code,
            admissions_per_hour=rate,
        )
        pools = uow.facilities.pools([code])
        uow.commit()
    return facility_view(facility, pools, ctx.clock.now())


def _facility_for_desk(uow: Any, actor: Actor, code: str, *, manage: bool = False) -> Facility:
    """The facility, if the actor may work on it: their own desk, or (to manage) their jurisdiction."""
    facility: Facility | None = uow.facilities.get(code)
    if facility is None or (not actor.covers(facility.unit_code) and actor.facility_code != code):
        raise not_found("facility", code)
    if actor.facility_code == code and actor.can(Permission.ADMISSIONS):
        return facility
    if manage and actor.can(Permission.MANAGE_FACILITIES) and actor.covers(facility.unit_code):
        return facility
    if not manage and actor.can(Permission.VIEW_COUNTS):
        return facility
    raise Forbidden(
        "forbidden.facility",
        "只有本机构的收治点登记员或管理员可以修改床位",
        "Only this facility's admissions desk or an administrator can change its beds",
    )


def occupancy(ctx: Context, actor: Actor, unit: str | None = None) -> dict[str, Any]:
    """Beds by facility type and bed type across the actor's jurisdiction (or a unit's subtree within it):
    capacity, occupied, reserved, out of service, free now, and the capacity of facilities not yet open."""
    actor.require(Permission.VIEW_COUNTS)
    root = actor.scoped(unit) if unit else actor.unit_code
    now = ctx.clock.now()
    with ctx.uow() as uow:
        rows = _occupancy_rows(uow.conn, root, now)
    order = {t.value: i for i, t in enumerate(FacilityType)}
    beds = {b.value: i for i, b in enumerate(BedType)}
    table = sorted(rows, key=lambda r: (order[r["facility_type"]], beds[r["bed_type"]]))
    return {
        "as_of": now.isoformat(),
        "rows": table,
        "total": {k: sum(r[k] for r in table) for k in ("capacity", "occupied", "reserved", "free", "opening_soon")},
    }


def open_at(now: datetime) -> Any:
    """A facility open at `now` (domain.facilities.Facility.is_open, as SQL)."""
    f = facilities.c
    return and_(or_(f.opens_at.is_(None), f.opens_at <= now), or_(f.closes_at.is_(None), f.closes_at > now))


def _occupancy_rows(conn: Connection, root: str | None, now: datetime) -> list[dict[str, Any]]:
    """One row per facility type and bed type, summed in the database (one grouped statement: a province has ten
    thousand facilities): the open facilities' beds, and the capacity of those not yet open."""
    f, p = facilities.c, bed_pools.c
    is_open, later = open_at(now), f.opens_at > now
    free = p.capacity - p.occupied - p.reserved - p.out_of_service
    query = (
        select(
            f.type,
            p.bed_type,
            func.count().filter(is_open),
            *(
                func.coalesce(func.sum(c).filter(is_open), 0)
                for c in (p.capacity, p.occupied, p.reserved, p.out_of_service, free)
            ),
            func.coalesce(func.sum(p.capacity).filter(later), 0),
            func.min(f.opens_at).filter(later),
        )
        .join(facilities, f.code == p.facility_code)
        .group_by(f.type, p.bed_type)
    )
    if root is not None:
        query = query.where(f.unit_code.between(*subtree_bounds(root)))
    keys = ("facilities", "capacity", "occupied", "reserved", "out_of_service", "free", "opening_soon")
    rows = []
    for kind, bed, *figures, next_opening in conn.execute(query).all():
        opening = next_opening if next_opening is None or next_opening.tzinfo else next_opening.replace(tzinfo=UTC)
        rows.append(
            {
                "facility_type": kind,
                "bed_type": bed,
                **{k: int(v) for k, v in zip(keys, figures, strict=True)},
                "next_opening": opening.isoformat() if opening else None,
            }
        )
    return rows


def get_facility(ctx: Context, actor: Actor, code: str) -> dict[str, Any]:
    """One facility with its beds, within the actor's jurisdiction (or the actor's own desk)."""
    with ctx.uow() as uow:
        facility = _facility_for_desk(uow, actor, code)
        pools = uow.facilities.pools([code])
    return facility_view(facility, pools, ctx.clock.now())
