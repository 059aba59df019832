"""The jurisdiction as a real map, drawn on the server as SVG: the units below as their boundaries (a choropleth),
coloured by a measure's classes, each a link to that unit's screen; units without a boundary as points.

Pure: shapes and values in, markup out. The projection is equirectangular with longitude scaled by the cosine of
the map's middle latitude (at a city's size indistinguishable from anything better); every ring is simplified to
the pixel (Douglas–Peucker at half a pixel) before it is written, so a district of 20,000 positions costs a few
hundred. No tiles, nothing fetched, no inline style: colours are SVG presentation attributes.

Where a unit has no boundary its point is, in this order: the mean position of its own units below (a street's
communities) when known and inside the parent's boundary; else a position spread inside the parent's boundary,
always the same for the same units (domain.geometry.spread_points), drawn hollow and said to be schematic; a unit
with neither is left off the map and counted under it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from admitall.domain.geometry import Position, Ring, Shape, bbox, contains, label_point, spread_points
from admitall.web.charts import text_width
from admitall.web.map_legend import Classes
from admitall.web.treemap import swatch

PAD = 8.0
DOT = 6.0  # a point's radius
HALF_PIXEL = 0.5


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    value: float | None  # what the colour shows
    text: str  # the value as read, e.g. "待收治 12 · 3.4/万人"
    href: str
    shape: Shape | None = None
    point: Position | None = None
    placed: bool = False  # the point stands for the unit, not for where it is
    label: Position | None = None


@dataclass(frozen=True)
class Projection:
    """Longitude/latitude to the picture's pixels: x east, y south."""

    lon0: float
    lat0: float
    kx: float  # cos(middle latitude)
    scale: float  # pixels per degree of latitude
    width: float
    height: float

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return PAD + (lon - self.lon0) * self.kx * self.scale, PAD + (self.lat0 - lat) * self.scale


def projection(extent: tuple[float, float, float, float], width: float, max_height: float) -> Projection:
    """The projection that fits `extent` (min lon, min lat, max lon, max lat) into `width` pixels, or into
    `max_height` where it is tall; the picture takes the extent's own proportions."""
    min_lon, min_lat, max_lon, max_lat = extent
    kx = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * kx, 1e-4)
    span_y = max(max_lat - min_lat, 1e-4)
    scale = min((width - 2 * PAD) / span_x, (max_height - 2 * PAD) / span_y)
    return Projection(min_lon, max_lat, kx, scale, span_x * scale + 2 * PAD, span_y * scale + 2 * PAD)


def simplify(points: Sequence[tuple[float, float]], tolerance: float = HALF_PIXEL) -> list[tuple[float, float]]:
    """Douglas–Peucker: the fewest of `points` (ends kept) that stay within `tolerance` of the line."""
    n = len(points)
    if n < 3:
        return list(points)
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        (x0, y0), (x1, y1) = points[first], points[last]
        dx, dy = x1 - x0, y1 - y0
        length = math.hypot(dx, dy)
        worst, at = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            d = abs(dy * (px - x0) - dx * (py - y0)) / length if length else math.hypot(px - x0, py - y0)
            if d > worst:
                worst, at = d, i
        if at > 0 and worst > tolerance:
            keep[at] = True
            stack += [(first, at), (at, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def ring_path(ring: Ring, project: Projection) -> str:
    """One closed ring as path data in pixels, simplified to the pixel; "" when it shrinks below one."""
    pixels: list[tuple[float, float]] = []
    for lon, lat in ring:
        x, y = project(lon, lat)
        if not pixels or abs(x - pixels[-1][0]) + abs(y - pixels[-1][1]) >= HALF_PIXEL:
            pixels.append((x, y))
    if len(pixels) < 3:
        return ""
    # a closed ring's two ends are one point: cut it open at the point farthest from the start, so both halves
    # keep their own ends through the simplification
    far = max(range(len(pixels)), key=lambda i: (pixels[i][0] - pixels[0][0]) ** 2 + (pixels[i][1] - pixels[0][1]) ** 2)
    kept = simplify(pixels[: far + 1]) + simplify([*pixels[far:], pixels[0]])[1:-1]
    if len(kept) < 3:
        return ""
    head, *rest = kept
    return f"M{head[0]:.1f} {head[1]:.1f}L" + " ".join(f"{x:.1f} {y:.1f}" for x, y in rest) + "Z"


_PATHS: dict[tuple[int, Projection], tuple[Shape, str]] = {}


def shape_path(shape: Shape, project: Projection) -> str:
    """The shape's path data, kept for the same shape object and projection (the stored boundaries are read once
    and kept: services.boundaries), so a screen refreshing every few seconds does not simplify them again. The entry
    holds the shape itself, so its id cannot stand for another while the entry lives."""
    key = (id(shape), project)
    kept = _PATHS.get(key)
    if kept is not None and kept[0] is shape:
        return kept[1]
    path = "".join(ring_path(ring, project) for polygon in shape for ring in polygon)
    if len(_PATHS) >= 1024:
        _PATHS.clear()
    _PATHS[key] = (shape, path)
    return path


def positions(
    codes: Sequence[str],
    shapes: Mapping[str, Shape],
    centres: Mapping[str, Position],
    backdrop: Shape | None,
) -> dict[str, tuple[Shape | None, Position | None, bool]]:
    """Where each unit of `codes` goes: its shape, else a point and whether that point is placed (schematic);
    (None, None, False) when it cannot be put on the map (see the module)."""
    out: dict[str, tuple[Shape | None, Position | None, bool]] = {}
    loose: list[str] = []
    for code in codes:
        if code in shapes:
            out[code] = (shapes[code], None, False)
        elif code in centres and (backdrop is None or contains(backdrop, *centres[code])):
            out[code] = (None, centres[code], False)
        else:
            loose.append(code)
    if loose and backdrop is not None:
        taken = [p for _s, p, _ in out.values() if p is not None]
        taken += [label_point(s) for s, _p, _ in out.values() if s is not None]
        for code, point in zip(sorted(loose), _spread(backdrop, len(loose), tuple(taken)), strict=True):
            out[code] = (None, point, True)
    for code in codes:
        out.setdefault(code, (None, None, False))
    return out


_SPREAD: dict[tuple[int, int, tuple[Position, ...]], tuple[Shape, list[Position]]] = {}


def _spread(backdrop: Shape, n: int, taken: tuple[Position, ...]) -> list[Position]:
    """spread_points, kept for the same backdrop object (as shape_path keeps its paths)."""
    key = (id(backdrop), n, taken)
    kept = _SPREAD.get(key)
    if kept is not None and kept[0] is backdrop:
        return kept[1]
    points = spread_points(backdrop, n, taken=taken)
    if len(_SPREAD) >= 256:
        _SPREAD.clear()
    _SPREAD[key] = (backdrop, points)
    return points


def choropleth(
    map_id: str,
    areas: Sequence[Area],
    *,
    title: str,
    classes: Classes,
    no_value: str,
    backdrop: Shape | None = None,
    notes: Sequence[str] = (),
    width: int = 640,
    max_height: int = 560,
) -> Markup:
    """The map as a `<figure>`: a path per area with a boundary and a circle per point, each a link with its
    name and value as its accessible name and hover title, the names written on, and the legend of the classes."""
    drawn = [a for a in areas if a.shape is not None or a.point is not None]
    shapes = [a.shape for a in drawn if a.shape is not None] + ([backdrop] if backdrop else [])
    points = [a.point for a in drawn if a.point is not None]
    extent = _extent(shapes, points)
    project = projection(extent, width, max_height)
    parts: list[str] = []
    if backdrop is not None:
        parts.append(
            f'<path class="backdrop" d="{shape_path(backdrop, project)}" fill="#f8fafc" stroke="#64748b" '
            'stroke-width="1.5" fill-rule="evenodd"/>'
        )
    wanted: list[tuple[Area, float, float, bool]] = []  # (area, x, y, a shape's label or a point's)
    obstacles: list[Box] = []
    for area in sorted(drawn, key=lambda a: a.shape is None):  # shapes first, points over them
        fill = classes.colour(area.value)
        colon = ": " if any(c.isascii() and c.isalpha() for c in area.text) else "："  # the text's language
        name = f"{area.name}{colon}{area.text}"
        link = f'<a href="{escape(area.href)}" aria-label="{escape(name)}" data-unit="{escape(area.code)}">'
        link += f"<title>{escape(name)}</title>"
        if area.shape is not None:
            link += (
                f'<path d="{shape_path(area.shape, project)}" fill="{fill}" stroke="#fff" stroke-width="1.2" '
                'fill-rule="evenodd"/>'
            )
            x, y = project(*(area.label or label_point(area.shape)))
            wanted.append((area, x, y, True))
        elif area.point is not None:
            x, y = project(*area.point)
            dash = ' stroke-dasharray="2 1.5"' if area.placed else ""
            link += (
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{DOT}" fill="{fill}" stroke="#334155" stroke-width="1.2"{dash}/>'
            )
            wanted.append((area, x, y, False))
            obstacles.append(Box(x - DOT, y - DOT, x + DOT, y + DOT))
        parts.append(link + "</a>")
    labels = place_labels(wanted, classes, obstacles, project.width, project.height)
    legend = "".join(f"<li>{swatch(colour)}{escape(text)}</li>" for colour, text in classes.items(no_value))
    note = "".join(f"<p class=muted>{escape(n)}</p>" for n in notes if n)
    return Markup(
        f'<figure class="map" id="{map_id}"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {project.width:.0f} {project.height:.0f}" role="group" aria-label="{escape(title)}" '
        f'class="choropleth" font-size="11">{"".join(parts)}'
        f'<g class="labels" pointer-events="none">{"".join(labels)}</g></svg>'
        f'<ul class="legend">{legend}</ul>{note}</figure>'
    )


def _extent(shapes: Sequence[Shape], points: Sequence[Position]) -> tuple[float, float, float, float]:
    boxes = [bbox(shapes)] if shapes else []
    boxes += [(lon, lat, lon, lat) for lon, lat in points]
    if not boxes:
        return (0.0, 0.0, 1.0, 1.0)
    min_lon, min_lat = min(b[0] for b in boxes), min(b[1] for b in boxes)
    max_lon, max_lat = max(b[2] for b in boxes), max(b[3] for b in boxes)
    margin = 0.002 if shapes else 0.01
    return (min_lon - margin, min_lat - margin, max_lon + margin, max_lat + margin)


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def meets(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


def _candidates(x: float, y: float, shape: bool) -> list[tuple[float, float, str, int, bool]]:
    """Where a label may go, best first: (x, y of the first baseline, anchor, font size, with the value)."""
    if shape:
        return [
            (x, y - 2, "middle", 11, True),
            (x, y + 4, "middle", 11, False),
            (x, y + 3, "middle", 9, False),
            (x, y - 8, "middle", 9, False),
            (x, y + 14, "middle", 9, False),
            (x + 4, y + 3, "start", 9, False),
            (x - 4, y + 3, "end", 9, False),
            (x, y - 18, "middle", 9, False),
            (x, y + 24, "middle", 9, False),
        ]
    return [
        (x + DOT + 3, y + 4, "start", 11, True),
        (x - DOT - 3, y + 4, "end", 11, True),
        (x, y - DOT - 4, "middle", 10, False),
        (x, y + DOT + 12, "middle", 10, False),
        (x + DOT + 3, y + 4, "start", 10, False),
        (x - DOT - 3, y + 4, "end", 10, False),
    ]


def place_labels(
    wanted: Sequence[tuple[Area, float, float, bool]],
    classes: Classes,
    obstacles: Sequence[Box],
    width: float,
    height: float,
) -> list[str]:
    """Each unit's name (and its value, where there is room) where it overlaps no other label, no point and
    stays in the picture: the smallest shapes choose first, points before shapes' second choices. A name with
    nowhere to go is left off; the unit's title, the legend and the table below still give it."""
    taken = list(obstacles)
    out: list[str] = []

    def size(item: tuple[Area, float, float, bool]) -> float:
        area = item[0]
        if area.shape is None:
            return 0.0
        min_lon, min_lat, max_lon, max_lat = bbox([area.shape])
        return (max_lon - min_lon) * (max_lat - min_lat)

    for area, x, y, shape in sorted(wanted, key=size):
        value = "" if area.value is None else classes.format(classes.read(area.value))
        for lx, ly, anchor, font, with_value in _candidates(x, y, shape):
            if with_value and not value:
                continue
            box = _box(area.name, value if with_value else "", lx, ly, anchor, font, shape)
            if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height:
                continue
            if any(box.meets(b) for b in taken):
                continue
            taken.append(box)
            out.append(_label(area.name, value if with_value else "", lx, ly, anchor, font, shape))
            break
    return out


def _box(name: str, value: str, x: float, y: float, anchor: str, font: int, stacked: bool) -> Box:
    if stacked:
        w = max(text_width(name, font), text_width(value, font - 1) if value else 0)
        bottom = y + (font + 1 if value else 0) + 3
    else:
        w = text_width(f"{name} {value}" if value else name, font)
        bottom = y + 3
    left = x - w / 2 if anchor == "middle" else x - w if anchor == "end" else x
    return Box(left - 1, y - font, left + w + 1, bottom)


def _label(name: str, value: str, x: float, y: float, anchor: str, font: int, stacked: bool) -> str:
    """The unit's name and its value: dark with a white halo, readable on every class's colour."""
    halo = 'stroke="#fff" stroke-width="3" paint-order="stroke" stroke-linejoin="round"'
    out = (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{font}" fill="#111" {halo} '
        f'font-weight="600">{escape(name)}'
    )
    if value and stacked:
        out += f'<tspan x="{x:.1f}" dy="{font + 1}" font-weight="400" font-size="{font - 1}">{escape(value)}</tspan>'
    elif value:
        out += f' <tspan font-weight="400">{escape(value)}</tspan>'
    return out + "</text>"
