"""Jurisdictions: importing the unit tree and reading it within a user's scope."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.errors import InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.units import PREFIX_LENGTH, Unit, UnitLevel, ancestors_of, level_of, normalize_code, parent_of
from admitall.services.context import Actor, Context, not_found
from admitall.services.tabular import Limits, read_table
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork

UNIT_HEADERS = {
    "code": "code",
    "编码": "code",
    "单位编码": "code",
    "区划代码": "code",
    "name": "name",
    "名称": "name",
    "单位名称": "name",
    "parent_code": "parent_code",
    "上级编码": "parent_code",
    "上级代码": "parent_code",
    "lat": "lat",
    "approx_lat": "lat",
    "纬度": "lat",
    "lon": "lon",
    "approx_lon": "lon",
    "经度": "lon",
    "population": "population",
    "人口": "population",
    "approx_population_10k": "population_10k",
}
ROOT_LEVELS = (UnitLevel.PROVINCE, UnitLevel.CITY)


@dataclass
class UnitImportSummary:
    rows: int = 0
    accepted: int = 0
    unchanged: int = 0
    renamed: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(text: str | None, field_name: str, kind: type[float] | type[int]) -> float | int | None:
    if text is None or not nfkc(text):
        return None
    try:
        return kind(float(nfkc(text))) if kind is int else float(nfkc(text))
    except ValueError:
        raise InvalidInput(
            "unit.bad_number",
            f"{field_name} 不是数字：{text}",
            f"{field_name} is not a number: {text}",
            field=field_name,
        ) from None


def _parse_unit(raw: Mapping[str, str | None]) -> Unit:
    code = normalize_code(raw.get("code") or "")
    name = nfkc(raw.get("name") or "")
    if not name:
        raise InvalidInput("unit.no_name", "名称为空", "The name is empty", field="name")
    check_row("units", {"name": name})
    parent_text = nfkc(raw.get("parent_code") or "")
    if parent_text and normalize_code(parent_text) != parent_of(code):
        raise InvalidInput(
            "unit.parent_mismatch",
            f"上级编码 {parent_text} 与编码推出的上级 {parent_of(code)} 不一致",
            f"parent_code {parent_text} is not the parent {parent_of(code)} that the code implies",
            field="parent_code",
        )
    population = _number(raw.get("population"), "population", int)
    per_10k = _number(raw.get("population_10k"), "approx_population_10k", float)
    if population is None and per_10k is not None:
        population = round(per_10k * 10000)
    lat, lon = _number(raw.get("lat"), "lat", float), _number(raw.get("lon"), "lon", float)
    return Unit(code, name, lat, lon, int(population) if population is not None else None)


def import_units(ctx: Context, actor: Actor, rows: Iterable[tuple[int, Mapping[str, str | None]]]) -> UnitImportSummary:
    """Add units, parents before children whatever the file's order; an orphan or a bad code is rejected."""
    actor.require(Permission.MANAGE_UNITS)
    summary = UnitImportSummary()
    parsed: list[tuple[int, Unit]] = []
    for row, raw in rows:
        if not any((v or "").strip() for v in raw.values()):
            continue
        summary.rows += 1
        try:
            unit = _parse_unit(raw)
            level_of(unit.code)
            parsed.append((row, unit))
        except InvalidInput as e:
            summary.rejections.append({"row": row, "field": e.field or "code", "reason": e.zh, "reason_en": e.en})
    parsed.sort(key=lambda item: (level_of(item[1].code).depth, item[0]))
    with ctx.uow(write=True) as uow:
        existing = uow.units.existing({u.code for _, u in parsed} | {p for _, u in parsed if (p := parent_of(u.code))})
        new: list[Unit] = []
        roots: set[str] = set()
        seen: set[str] = set()
        for row, unit in parsed:
            parent = parent_of(unit.code)
            if unit.code in seen:
                summary.rejections.append(
                    {
                        "row": row,
                        "field": "code",
                        "reason": f"编码 {unit.code} 在文件中重复",
                        "reason_en": f"The code {unit.code} appears twice in the file",
                    }
                )
                continue
            seen.add(unit.code)
            if not actor.covers(unit.code):
                # before anything else: a unit outside, existing or not, is refused alike and never renamed
                seen.discard(unit.code)
                summary.rejections.append(
                    {
                        "row": row,
                        "field": "code",
                        "reason": "不在您的管辖范围内",
                        "reason_en": "Outside your jurisdiction",
                    }
                )
                continue
            if unit.code in existing:
                if existing[unit.code].name == unit.name:
                    summary.unchanged += 1
                else:
                    uow.units.rename(unit.code, unit.name)
                    summary.renamed += 1
                continue
            has_parent = parent is not None and (parent in existing or parent in seen)
            if not has_parent and level_of(unit.code) not in ROOT_LEVELS:
                seen.discard(unit.code)
                summary.rejections.append(
                    {
                        "row": row,
                        "field": "code",
                        "reason": f"上级单位 {parent} 不存在（孤立编码）",
                        "reason_en": f"The parent unit {parent} does not exist (orphan code)",
                    }
                )
                continue
            new.append(unit)
            if not has_parent:
                roots.add(unit.code)
            summary.accepted += 1
        uow.units.add_many(new, ctx.clock.now(), roots)
        summary.rejected = len(summary.rejections)
        summary.rejections.sort(key=lambda r: r["row"])
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            "import_units",
            "batch",
            None,
            unit=actor.unit_code,
            rows=summary.rows,
            accepted=summary.accepted,
            renamed=summary.renamed,
            rejected=summary.rejected,
        )
        uow.commit()
    assert summary.accepted + summary.unchanged + summary.renamed + summary.rejected == summary.rows
    return summary


def import_units_file(ctx: Context, actor: Actor, path: Path | str) -> UnitImportSummary:
    table = read_table(path, UNIT_HEADERS, ("code", "name"), limits=Limits.of(ctx.settings))
    return import_units(ctx, actor, table.rows)


def scope_root(ctx: Context, actor: Actor) -> Unit:
    """The unit at the top of what the actor may see (for the CLI, the root of the tree)."""
    with ctx.uow() as uow:
        if actor.unit_code is not None:
            unit = uow.units.get(actor.unit_code)
        else:
            roots = uow.units.roots()
            unit = roots[0] if roots else None
    if unit is None:
        raise InvalidInput(
            "unit.none",
            "还没有任何单位：请先运行 admitall demo 或导入单位",
            "There are no units yet: run `admitall demo` or import units first",
        )
    return unit


def unit_below(uow: UnitOfWork, actor: Actor, code: str) -> tuple[Unit, list[Unit], list[str]]:
    """A unit within the actor's scope (404 if there is none), the units directly below it, and the codes on the
    way down to it that the actor may see."""
    unit = uow.units.get(code)
    if unit is None:
        raise not_found("unit", code)
    path = [c for c in [*ancestors_of(code), code] if actor.covers(c)]
    return unit, uow.units.children(code), path


def unit_overview(ctx: Context, actor: Actor, code: str) -> dict[str, Any]:
    """A unit, the path down to it within the actor's scope, and its children with counts by category."""
    actor.require(Permission.VIEW_COUNTS)
    code = actor.scoped(code)
    with ctx.uow() as uow:
        unit, children, path_codes = unit_below(uow, actor, code)
        names = uow.units.names(path_codes)
        stock = uow.persons.stock(code)
        level = level_of(code)
        child_counts: dict[str, dict[str, int]] = {}
        if children:
            child_level = level_of(children[0].code)
            child_counts = uow.persons.counts_by_child(code, PREFIX_LENGTH[child_level])
    totals: dict[str, int] = {}
    for status, _severity, _placement, n in stock:
        totals[status] = totals.get(status, 0) + n
    return {
        "unit": unit_view(unit),
        "level": level.as_dict(),
        "path": [{"code": c, "name": names.get(c, c)} for c in path_codes],
        "counts": totals,
        "children": [
            {**unit_view(c), "counts": child_counts.get(c.code[: PREFIX_LENGTH[level_of(c.code)]], {})}
            for c in children
        ],
    }


def unit_view(u: Unit) -> dict[str, Any]:
    return {
        "code": u.code,
        "name": u.name,
        "level": level_of(u.code).value,
        "parent_code": parent_of(u.code),
        "lat": u.lat,
        "lon": u.lon,
        "population": u.population,
    }


def unit_tree(ctx: Context, actor: Actor, code: str, depth: int = 1) -> dict[str, Any]:
    """The unit and the units below it, `depth` levels down (1–4), nested."""
    actor.require(Permission.VIEW_COUNTS)
    code = actor.scoped(code)
    depth = max(1, min(depth, 4))
    with ctx.uow() as uow:
        root = uow.units.get(code)
        if root is None:
            raise not_found("unit", code)
        below = uow.units.in_subtree(code)
    top = level_of(code).depth
    nodes: dict[str, dict[str, Any]] = {}
    for unit in below:
        if level_of(unit.code).depth - top > depth:
            continue
        node = {**unit_view(unit), "children": []}
        nodes[unit.code] = node
        parent = parent_of(unit.code)
        if unit.code != code and parent in nodes:
            nodes[parent]["children"].append(node)
    return nodes[code]
