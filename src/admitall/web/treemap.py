"""The jurisdiction as a map drawn from the unit tree, where no boundaries were imported (web.choropleth draws them
where they were): each unit below a region whose area is its weight (its residents, or its backlog), coloured by a
measure's classes (web.map_legend), the units below it nested inside, every region a link to that unit's own
screen, drawn on the server as SVG.

The layout is the squarified treemap (Bruls, Huizing and van Wijk, 2000): regions laid in rows along the shorter
side, a row closed when one more region would make its worst aspect ratio worse, so regions stay near square.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from admitall.web.charts import text_width
from admitall.web.map_legend import Classes


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float


@dataclass
class Region:
    code: str
    name: str
    weight: float
    value: float | None  # what the colour shows; None when there is nothing to measure
    text: str  # the value as read, e.g. "12 waiting"
    href: str
    children: list[Region] = field(default_factory=list)


def _worst(row: Sequence[float], side: float) -> float:
    total = sum(row)
    if total <= 0 or side <= 0:
        return float("inf")
    return max(max(side * side * a / (total * total), total * total / (side * side * a)) for a in row if a > 0)


def squarify(weights: Sequence[float], box: Rect) -> list[Rect]:
    """One rectangle per weight (same order), with areas in proportion to the weights, filling `box`.

    A weight of 0 gets an empty rectangle; when every weight is 0, the box is shared equally."""
    n = len(weights)
    if n == 0:
        return []
    if sum(w for w in weights if w > 0) <= 0:
        weights = [1.0] * n
    total = sum(max(w, 0) for w in weights)
    scale = box.w * box.h / total
    order = sorted(range(n), key=lambda i: -max(weights[i], 0))
    areas = [max(weights[i], 0) * scale for i in order]
    out: dict[int, Rect] = {}
    x, y, w, h = box.x, box.y, box.w, box.h
    start = 0
    while start < n:
        side = min(w, h)
        end = start + 1
        while end < n and _worst(areas[start : end + 1], side) <= _worst(areas[start:end], side):
            end += 1
        row = areas[start:end]
        row_total = sum(row)
        if w >= h:  # a column on the left
            thick = row_total / h if h else 0
            cy = y
            for i, a in zip(order[start:end], row, strict=True):
                height = a / thick if thick else 0
                out[i] = Rect(x, cy, thick, height)
                cy += height
            x, w = x + thick, w - thick
        else:  # a row on top
            thick = row_total / w if w else 0
            cx = x
            for i, a in zip(order[start:end], row, strict=True):
                width = a / thick if thick else 0
                out[i] = Rect(cx, y, width, thick)
                cx += width
            y, h = y + thick, h - thick
        start = end
    return [out[i] for i in range(n)]


def ink_for(fill: str) -> str:
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "#111" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"


def swatch(colour: str) -> str:
    """A legend's colour sample, filled by an SVG attribute: the pages allow no inline style."""
    return (
        f'<svg class="swatch" viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true">'
        f'<rect width="1" height="1" fill="{colour}"/></svg>'
    )


def treemap(
    map_id: str,
    regions: Sequence[Region],
    *,
    title: str,
    classes: Classes,
    no_value: str,
    caption_note: str = "",
    width: int = 640,
    height: int = 400,
) -> Markup:
    """The map as a `<figure>`: regions with links and hover titles, a legend of the colour classes."""
    inner = Rect(0, 0, width, height)
    parts: list[str] = []
    for region, rect in zip(regions, squarify([r.weight for r in regions], inner), strict=True):
        parts.append(_region(region, rect, classes, nested=bool(region.children)))
    legend = "".join(f"<li>{swatch(colour)}{escape(text)}</li>" for colour, text in classes.items(no_value))
    return Markup(
        f'<figure class="map" id="{map_id}"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {width} {height}" role="group" aria-label="{escape(title)}" '
        f'preserveAspectRatio="none" class="treemap">{"".join(parts)}</svg>'
        f'<ul class="legend">{legend}</ul>'
        f"{f'<p class=muted>{escape(caption_note)}</p>' if caption_note else ''}</figure>"
    )


def _region(region: Region, rect: Rect, classes: Classes, *, nested: bool) -> str:
    fill = classes.colour(region.value)
    colon = ": " if any(c.isascii() and c.isalpha() for c in region.text) else "："  # the text's language
    label = f"{region.name}{colon}{region.text}"
    out = [
        f'<a href="{escape(region.href)}" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        f'<rect x="{rect.x:.1f}" y="{rect.y:.1f}" width="{rect.w:.1f}" height="{rect.h:.1f}" fill="{fill}" '
        f'stroke="#fff" stroke-width="{2.5 if nested else 1}"/>'
    ]
    if nested:
        pad = Rect(rect.x + 2, rect.y + 18, max(rect.w - 4, 0), max(rect.h - 20, 0))
        out.append("</a>")
        for child, box in zip(region.children, squarify([c.weight for c in region.children], pad), strict=True):
            out.append(_region(child, box, classes, nested=False))
        out.append(_label(region.name, rect, "#111" if ink_for(fill) == "#111" else "#fff", top=True))
        return "".join(out)
    out.append(_label(f"{region.name} {region.text}", rect, ink_for(fill)))
    out.append("</a>")
    return "".join(out)


def _label(text: str, rect: Rect, ink: str, *, top: bool = False) -> str:
    """The name where it fits, cut short with an ellipsis where it does not, nothing in a sliver."""
    size = 12
    if rect.w < 28 or rect.h < size + 4:
        return ""
    room = rect.w - 6
    shown = text
    while shown and text_width(shown, size) > room:
        shown = shown[:-2] + "…" if len(shown) > 2 else ""
    if not shown:
        return ""
    y = rect.y + size + 2
    weight = ' font-weight="bold"' if top else ""
    return (
        f'<text x="{rect.x + 3:.1f}" y="{y:.1f}" font-size="{size}" fill="{ink}" '
        f'pointer-events="none"{weight}>{escape(shown)}</text>'
    )
