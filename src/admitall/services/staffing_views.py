"""What the staffing pages and the command screen show (issue 18 §2): beds by type as in service / staffed /
usable, for a jurisdiction and per facility, and who is on shift. One read of the pools and one of staffing for
the whole jurisdiction (services.staffing_capacity), never a read per facility."""

from __future__ import annotations

from collections import Counter
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.facilities import BedType, Facility
from admitall.domain.staffing import BedCapacity, StaffRole, on_shift
from admitall.services.context import Actor, Context
from admitall.services.staffing import day_of, facility_in_scope
from admitall.services.staffing_capacity import Staffing, capacities, read_staffing
from admitall.store.paged import DEFAULT_SIZE, bounded, page_fields
from admitall.store.uow import UnitOfWork


def _row(bed: BedType, cap: BedCapacity, occupied: int) -> dict[str, Any]:
    return {
        "bed_type": bed.value,
        "physical": cap.physical,
        "staffed": min(cap.staffed, cap.physical),
        "usable": cap.usable,
        "occupied": occupied,
        "usable_free": max(0, cap.usable - occupied),
        "short_role": cap.short_role.value if cap.short_role else None,
        "short_item": cap.short_item,
    }


def _facilities(uow: UnitOfWork, actor: Actor, root: str | None) -> list[Facility]:
    if actor.facility_code is not None:
        own = uow.facilities.get(actor.facility_code)
        return [own] if own is not None else []
    return uow.facilities.in_subtree(root)


def by_type(
    ctx: Context, uow: UnitOfWork, facilities: list[Facility], staffing: Staffing | None = None
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Totals by bed type over `facilities`, and each facility's rows (facility code → its beds and crew)."""
    codes = [f.code for f in facilities]
    pools = uow.facilities.pools(codes) if codes else []
    staffing = staffing or read_staffing(ctx, uow, ctx.clock.now())
    caps = capacities(ctx.policy, pools, staffing)
    totals: dict[BedType, Counter[str]] = {}
    per: dict[str, dict[str, Any]] = {}
    shifts = ctx.policy.staffing.shifts_per_day
    for p in sorted(pools, key=lambda p: (p.facility_code, list(BedType).index(p.bed_type))):
        cap = caps[(p.facility_code, p.bed_type)]
        taken = p.occupied + p.reserved
        row = _row(p.bed_type, cap, taken)
        entry = per.setdefault(p.facility_code, {"beds": [], "staffing_data": p.facility_code in staffing.known})
        entry["beds"].append(row)
        total = totals.setdefault(p.bed_type, Counter())
        for k in ("physical", "staffed", "usable", "occupied", "usable_free"):
            total[k] += row[k]
    for code, entry in per.items():
        crew = on_shift(staffing.headcount.get(code, Counter()), shifts)
        entry["on_shift"] = {r.value: crew[r] for r in StaffRole if crew.get(r)}
    rows = [{"bed_type": b.value, **dict(totals[b])} for b in BedType if b in totals]
    return rows, per


def staffed_tile(ctx: Context, uow: UnitOfWork, root: str | None) -> dict[str, Any]:
    """The command screen's tile: beds by type as in service / staffed / usable over the jurisdiction."""
    rows, per = by_type(ctx, uow, uow.facilities.in_subtree(root))
    limited = sum(1 for entry in per.values() if any(r["usable"] < r["physical"] for r in entry["beds"]))
    return {"rows": rows, "facilities_limited": limited}


def overview(
    ctx: Context, actor: Actor, *, root: str | None = None, page: int = 1, size: int = DEFAULT_SIZE
) -> dict[str, Any]:
    """The facilities of the jurisdiction (a desk: its own), a page of them with the real total, each with its
    beds as in service / staffed / usable and its staff on shift; the totals by bed type over all of them."""
    actor.require(Permission.VIEW_COUNTS)
    page, size = bounded(page, size)
    root = actor.scoped(root) if root else actor.unit_code
    with ctx.uow() as uow:
        facilities = sorted(_facilities(uow, actor, root), key=lambda f: f.code)
        rows, per = by_type(ctx, uow, facilities)
    shown = facilities[(page - 1) * size : page * size]
    return {
        "day": day_of(ctx.clock.now(), ctx.settings.tz).isoformat(),
        "shifts_per_day": ctx.policy.staffing.shifts_per_day,
        "totals": rows,
        "total": len(facilities),
        **page_fields(page, size, len(facilities)),
        "facilities": [
            {"code": f.code, "name": f.name, "type": f.type.value, **per.get(f.code, {"beds": [], "on_shift": {}})}
            for f in shown
        ],
        "may_manage_staff": actor.can(Permission.MANAGE_STAFF),
        "may_manage_teams": actor.can(Permission.MANAGE_TEAMS),
    }


def facility_capacity(ctx: Context, actor: Actor, code: str) -> dict[str, Any]:
    """One facility's beds as in service / staffed / usable and its staff on shift (404 outside the jurisdiction)."""
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        facility = facility_in_scope(uow, actor, code)
        _rows, per = by_type(ctx, uow, [facility])
    entry = per.get(facility.code, {"beds": [], "on_shift": {}, "staffing_data": False})
    return {"code": facility.code, "name": facility.name, "type": facility.type.value, **entry}


def with_staffed_beds(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The facilities list (services.facilities.list_facilities) with each bed row's staffed and usable beds."""
    codes = [f["code"] for f in data["facilities"]]
    with ctx.uow() as uow:
        caps = capacities(ctx.policy, uow.facilities.pools(codes), read_staffing(ctx, uow, ctx.clock.now()))
    for f in data["facilities"]:
        for b in f["beds"]:
            cap = caps.get((f["code"], BedType(b["bed_type"])))
            if cap is not None:
                b["staffed"], b["usable"] = min(cap.staffed, cap.physical), cap.usable
    return data
