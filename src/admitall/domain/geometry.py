"""Boundaries in longitude/latitude: reading a GeoJSON Polygon or MultiPolygon safely, and the little geometry the
map needs (bounding box, inside or not, a label point, points spread inside a shape). Pure: no I/O.

A shape is a list of polygons, each a list of rings (the outer ring first, then its holes), each ring a list of
(lon, lat) positions whose first and last are the same. Distances are measured with longitude scaled by the
cosine of the latitude, so a kilometre east and a kilometre north count alike."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from admitall.domain.errors import InvalidInput

Position = tuple[float, float]  # (lon, lat)
Ring = list[Position]
Polygon = list[Ring]
Shape = list[Polygon]

MAX_POSITIONS = 200_000  # per shape: a district's boundary at survey detail has a few tens of thousands
MAX_POLYGONS = 500
MIN_RING = 4  # a triangle, closed


def _bad(code: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(f"boundary.{code}", zh, en, field="geometry")


def _position(raw: Any) -> Position:
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise _bad(
            "bad_position", f"坐标应为 [经度, 纬度]：{str(raw)[:40]}", f"A position is [lon, lat]: {str(raw)[:40]}"
        )
    lon, lat = raw[0], raw[1]
    if (
        isinstance(lon, bool)
        or isinstance(lat, bool)
        or not isinstance(lon, int | float)
        or not isinstance(lat, int | float)
    ):
        raise _bad("bad_position", f"坐标不是数字：{str(raw)[:40]}", f"A position is not numbers: {str(raw)[:40]}")
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise _bad(
            "out_of_range",
            f"经纬度超出范围（经度 −180..180，纬度 −90..90）：{str(raw)[:40]}",
            f"Longitude/latitude out of range (lon −180..180, lat −90..90): {str(raw)[:40]}",
        )
    return (float(lon), float(lat))


def _ring(raw: Any) -> Ring:
    if not isinstance(raw, list):
        raise _bad("bad_ring", "环不是坐标列表", "A ring is not a list of positions")
    ring = [_position(p) for p in raw]
    if len(ring) < MIN_RING:
        raise _bad(
            "short_ring", f"环至少需要 4 个坐标，只有 {len(ring)} 个", f"A ring needs 4 positions, it has {len(ring)}"
        )
    if ring[0] != ring[-1]:
        raise _bad("open_ring", "环没有闭合：首尾坐标不同", "A ring is not closed: its first and last positions differ")
    return ring


def _polygon(raw: Any) -> Polygon:
    if not isinstance(raw, list) or not raw:
        raise _bad("bad_polygon", "多边形没有环", "A polygon has no rings")
    return [_ring(r) for r in raw]


def parse_geometry(raw: Any) -> Shape:
    """A GeoJSON geometry object (Polygon or MultiPolygon) as a shape; anything else, an unclosed ring, a position
    that is not finite or out of range, or a shape beyond the size bounds is refused with the reason."""
    if not isinstance(raw, dict):
        raise _bad("no_geometry", "要素没有几何形状", "The feature has no geometry")
    kind, coordinates = raw.get("type"), raw.get("coordinates")
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise _bad("bad_polygon", "多多边形没有多边形", "A MultiPolygon has no polygons")
        polygons = coordinates
    else:
        raise _bad(
            "unsupported",
            f"只支持 Polygon 和 MultiPolygon，不支持 {str(kind)[:30]}",
            f"Only Polygon and MultiPolygon are supported, not {str(kind)[:30]}",
        )
    if len(polygons) > MAX_POLYGONS:
        raise _bad(
            "too_large",
            f"多边形过多：{len(polygons)} 个（上限 {MAX_POLYGONS}）",
            f"Too many polygons: {len(polygons)} (at most {MAX_POLYGONS})",
        )
    count = sum(len(r) for p in polygons if isinstance(p, list) for r in p if isinstance(r, list))
    if count > MAX_POSITIONS:
        raise _bad(
            "too_large",
            f"坐标过多：{count} 个（上限 {MAX_POSITIONS}）",
            f"Too many positions: {count} (at most {MAX_POSITIONS})",
        )
    return [_polygon(p) for p in polygons]


def as_geojson(shape: Shape, digits: int = 6) -> dict[str, Any]:
    """The shape as a GeoJSON geometry, positions rounded to `digits` decimals (a decimetre at 6)."""
    polygons = [[[[round(lon, digits), round(lat, digits)] for lon, lat in ring] for ring in p] for p in shape]
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def bbox(shapes: Sequence[Shape]) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of the outer rings of all `shapes`."""
    lons = [lon for s in shapes for p in s for lon, _lat in p[0]]
    lats = [lat for s in shapes for p in s for _lon, lat in p[0]]
    return min(lons), min(lats), max(lons), max(lats)


def _inside_ring(ring: Ring, lon: float, lat: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(shape: Shape, lon: float, lat: float) -> bool:
    """Whether the position is inside the shape: inside an outer ring and in none of its holes."""
    return any(_inside_ring(p[0], lon, lat) and not any(_inside_ring(h, lon, lat) for h in p[1:]) for p in shape)


def _ring_area_centroid(ring: Ring) -> tuple[float, Position]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-15:
        xs, ys = [x for x, _ in ring], [y for _, y in ring]
        return 0.0, (sum(xs) / len(xs), sum(ys) / len(ys))
    return abs(area) / 2, (cx / (3 * area), cy / (3 * area))


def _crossings(shape: Shape, lat: float) -> list[float]:
    """The longitudes where the parallel at `lat` crosses the shape's rings, sorted: inside between the 1st and
    2nd, the 3rd and 4th... (even-odd over every ring: holes and separate polygons alike)."""
    out: list[float] = []
    for polygon in shape:
        for ring in polygon:
            for (x0, y0), (x1, y1) in itertools.pairwise(ring):
                if (y0 > lat) != (y1 > lat):
                    out.append(x0 + (lat - y0) * (x1 - x0) / (y1 - y0))
    out.sort()
    return out


def _grid(shape: Shape, across: int) -> list[Position]:
    """Positions on an even grid (`across` columns, square in distance) that lie inside the shape, row by row; one
    pass over the rings per row."""
    min_lon, min_lat, max_lon, max_lat = bbox([shape])
    scale = math.cos(math.radians((min_lat + max_lat) / 2)) or 1.0
    step = max((max_lon - min_lon) * scale, max_lat - min_lat) / across or 1e-6
    out: list[Position] = []
    lat = min_lat + step / 2
    while lat < max_lat:
        cuts = _crossings(shape, lat)
        lon = min_lon + step / scale / 2
        k = 0
        while lon < max_lon:
            while k < len(cuts) and cuts[k] <= lon:
                k += 1
            if k % 2 == 1:
                out.append((lon, lat))
            lon += step / scale
        lat += step
    return out


def _distance2(a: Position, b: Position, scale: float) -> float:
    return ((a[0] - b[0]) * scale) ** 2 + (a[1] - b[1]) ** 2


def label_point(shape: Shape) -> Position:
    """Where the shape's name goes: the centroid of its largest polygon when that lies inside, else the position of
    an even grid inside the shape nearest to it."""
    largest = max(shape, key=lambda p: _ring_area_centroid(p[0])[0])
    _area, centre = _ring_area_centroid(largest[0])
    if contains(shape, *centre):
        return centre
    scale = math.cos(math.radians(centre[1]))
    inside = _grid(shape, 40) or [largest[0][0]]
    return min(inside, key=lambda q: _distance2(q, centre, scale))


def spread_points(
    shape: Shape, n: int, *, start: Position | None = None, taken: Sequence[Position] = ()
) -> list[Position]:
    """`n` positions inside the shape, spread out and always the same for the same shape: the first nearest to
    `start` (the label point by default) unless positions are already `taken`, each next one as far as possible
    from all before it and, at half the distance, from the boundary (the farthest-point rule over an even grid
    inside the shape)."""
    if n <= 0:
        return []
    candidates = _grid(shape, max(24, math.ceil(math.sqrt(n) * 6)))
    if not candidates:
        candidates = [label_point(shape)]
    scale = math.cos(math.radians(candidates[0][1]))
    placed: list[Position] = list(taken)
    if not placed:
        origin = start or label_point(shape)
        placed.append(min(candidates, key=lambda q: _distance2(q, origin, scale)))
        chosen = [placed[0]]
    else:
        chosen = []
    # the boundary repels too, half as far as a point does, so the points keep off the edge
    edge = [q for polygon in shape for q in polygon[0]]
    edge = edge[:: max(1, len(edge) // 400)]
    nearest = [
        min(
            min((_distance2(c, p, scale) for p in placed), default=math.inf),
            4 * min(_distance2(c, q, scale) for q in edge),
        )
        for c in candidates
    ]
    while len(chosen) < n:
        best = max(range(len(candidates)), key=lambda i: nearest[i])
        point = candidates[best]
        chosen.append(point)
        nearest = [min(d, _distance2(c, point, scale)) for d, c in zip(nearest, candidates, strict=True)]
    return chosen
