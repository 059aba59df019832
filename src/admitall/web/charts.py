"""Line charts drawn on the server as inline SVG: no script, no library, nothing fetched.

Each chart is a `<figure>`: a caption, the picture (role="img", named by its `<title>` and described by its
`<desc>`, which says what each line does), and under it the same figures as a plain table in a `<details>`, so
they can be read, copied and heard without the picture. Lines differ in colour (a palette safe for colour
blindness) and in dash, so they can be told apart in grey too; a missing value breaks the line."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from admitall.web.i18n import translator

# Okabe & Ito (2008), without the yellow that cannot be read on white
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#1b1f24", "#8c564b")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "10 4", "4 2 1 2", "1 2", "12 3 3 3")
MARKERS_UP_TO = 60  # points with their own marker (and hover title) up to this many per line
FONT = 12


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | int | None]
    colour: str | None = None
    dash: str | None = None


def number(value: float | int | None, digits: int = 2) -> str:
    """A figure for reading: '—' for none, thousands separated, no trailing '.0'."""
    if value is None:
        return "—"
    if isinstance(value, float):
        value = round(value, digits)
        if value.is_integer():
            value = int(value)
    return f"{value:,}"


def text_width(text: str, size: int = FONT) -> float:
    """About how wide `text` is drawn: wide characters (Chinese) a full em, the rest a little over half."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.6 for c in text)


def nice_ticks(highest: float, count: int = 5, *, integers: bool = True) -> list[float]:
    """Ticks from 0 at a round step (1, 2 or 5 × 10^k) whose last reaches `highest`."""
    if highest <= 0:
        return [0, 1]
    raw = highest / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integers:
        step = max(1, math.ceil(step))
    ticks = [0.0]
    while ticks[-1] < highest:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _tick_indices(n: int, labels: Sequence[str], room: float, ticks: Sequence[int] | None) -> list[int]:
    """The x labels to print: those asked for (by default an even spread), thinned to those that fit side by side
    without touching, counted back from the last one asked for (on the command screen, the hour now running)."""
    if ticks is not None:
        wanted = sorted({i for i in ticks if 0 <= i < n})
    else:
        widest = max((text_width(x) for x in labels), default=0) + 10
        most = max(2, int(room // widest) + 1)
        step = max(1, math.ceil((n - 1) / (most - 1))) if n > 1 else 1
        wanted = list(range(0, n, step))
    if len(wanted) < 2:
        return wanted
    # every k-th of the wanted ticks, counted back from the last, for the smallest k whose labels do not touch
    for k in range(1, len(wanted) + 1):
        kept = wanted[::-1][::k][::-1]
        spans = [_label_span(i, n, labels[i], room) for i in kept]
        if all(a[1] + TICK_GAP <= b[0] for a, b in itertools.pairwise(spans)):
            return kept
    return wanted[-1:]


TICK_GAP = 6.0


def _label_span(i: int, n: int, label: str, room: float) -> tuple[float, float]:
    """Where an x label is drawn, from its left to its right (as line_chart anchors it)."""
    x = room * i / (n - 1) if n > 1 else room / 2
    w = text_width(label)
    if i == 0 and n > 1:
        return x, x + w
    if i == n - 1 and n > 1:
        return x - w, x
    return x - w / 2, x + w / 2


def _legend(series: Sequence[Series], styles: list[tuple[str, str]], width: float) -> tuple[list[str], float]:
    """Swatches and names in rows across the top; returns the SVG and the height it takes."""
    out: list[str] = []
    x, y, row_h = 0.0, FONT + 2, FONT + 8
    for s, (colour, dash) in zip(series, styles, strict=True):
        w = 26 + text_width(s.name) + 16
        if x > 0 and x + w > width:
            x, y = 0.0, y + row_h
        out.append(
            f'<g class="legend-item"><line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 20:.1f}" y2="{y - 4:.1f}" '
            f'stroke="{colour}" stroke-width="3"{_dash(dash)}/>'
            f'<text x="{x + 26:.1f}" y="{y:.1f}">{escape(s.name)}</text></g>'
        )
        x += w
    return out, y + 8


def _dash(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def line_chart(
    chart_id: str,
    *,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    x_title: str,
    y_title: str,
    lang: str = "zh",
    summary: str = "",
    ticks: Sequence[int] | None = None,
    y_max: float | None = None,
    integers: bool = True,
    width: int = 640,
    height: int = 300,
) -> Markup:
    """A figure with a line chart of `series` (one value per x label) and its data table.

    `summary` opens the description read to those who cannot see the picture; what each line does (first,
    highest, last) follows. `ticks` are the indices of the x labels to print (by default as many as fit)."""
    t = translator(lang)
    n = len(x_labels)
    styles = [
        (s.colour or PALETTE[i % len(PALETTE)], s.dash if s.dash is not None else DASHES[i % len(DASHES)])
        for i, s in enumerate(series)
    ]
    left, right, bottom = 64.0, 16.0, 44.0
    legend, legend_h = _legend(series, styles, width - left - right)
    top = legend_h + 10
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    y_ticks = nice_ticks(max(y_max or 0, max(values, default=0)), integers=integers)
    y_top = y_ticks[-1]

    def px(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def py(v: float) -> float:
        return top + plot_h - plot_h * v / y_top

    parts = [
        f'<svg class="chart-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="{FONT}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_describe(series, x_labels, summary, t))}</desc>',
        f'<g class="legend" transform="translate({left},0)">{"".join(legend)}</g>',
        '<g class="grid-lines" stroke="#e3e7ec">',
    ]
    parts += [f'<line x1="{left}" x2="{left + plot_w}" y1="{py(v):.1f}" y2="{py(v):.1f}"/>' for v in y_ticks[1:]]
    parts.append("</g>")
    # axes, ticks and their labels
    parts.append(
        f'<g class="axis" stroke="#5b6572"><line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}"/>'
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}"/></g>'
    )
    parts.append('<g class="y-ticks" text-anchor="end" fill="#5b6572">')
    for v in y_ticks:
        y = py(v)
        parts.append(
            f'<line x1="{left - 4}" x2="{left}" y1="{y:.1f}" y2="{y:.1f}" stroke="#5b6572"/>'
            f'<text x="{left - 7}" y="{y + 4:.1f}">{escape(number(v, 2))}</text>'
        )
    parts.append("</g>")
    parts.append('<g class="x-ticks" text-anchor="middle" fill="#5b6572">')
    for i in _tick_indices(n, x_labels, plot_w, ticks):
        x = px(i)
        anchor = ' text-anchor="start"' if i == 0 and n > 1 else (' text-anchor="end"' if i == n - 1 and n > 1 else "")
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" stroke="#5b6572"/>'
            f'<text x="{x:.1f}" y="{top + plot_h + 17}"{anchor}>{escape(x_labels[i])}</text>'
        )
    parts.append("</g>")
    parts.append(
        f'<text class="x-title" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        f'fill="#1b1f24">{escape(x_title)}</text>'
        f'<text class="y-title" transform="translate(14,{top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" fill="#1b1f24">{escape(y_title)}</text>'
    )
    # the lines, each with its points
    for s, (colour, dash) in zip(series, styles, strict=True):
        d, pen_down = [], False
        for i, value in enumerate(s.values[:n]):
            if value is None:
                pen_down = False
                continue
            d.append(f"{'L' if pen_down else 'M'}{px(i):.1f},{py(value):.1f}")
            pen_down = True
        parts.append(
            f'<g class="series" data-series="{escape(s.name)}"><path d="{" ".join(d)}" fill="none" '
            f'stroke="{colour}" stroke-width="2" stroke-linejoin="round"{_dash(dash)}/>'
        )
        if n <= MARKERS_UP_TO:
            for i, value in enumerate(s.values[:n]):
                if value is not None:
                    parts.append(
                        f'<circle cx="{px(i):.1f}" cy="{py(value):.1f}" r="2.8" fill="{colour}">'
                        f"<title>{escape(s.name)} · {escape(x_labels[i])}: {escape(number(value))}</title></circle>"
                    )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup(
        f'<figure class="chart" id="{chart_id}"><figcaption>{escape(title)}</figcaption>'
        + "".join(parts)
        + data_table(chart_id, title, x_title, x_labels, series, t)
        + "</figure>"
    )


def _describe(series: Sequence[Series], x_labels: Sequence[str], summary: str, t: Callable[..., str]) -> str:
    """What each line does, in words: its first and last value and its highest, and when."""
    parts = [summary] if summary else []
    if x_labels:
        parts.append(t("chart_span", first=x_labels[0], last=x_labels[-1]))
    for s in series:
        known = [(i, v) for i, v in enumerate(s.values) if v is not None]
        if not known:
            parts.append(t("chart_line_empty", name=s.name))
            continue
        peak_i, peak = max(known, key=lambda p: p[1])
        parts.append(
            t(
                "chart_line",
                name=s.name,
                first=number(known[0][1]),
                last=number(known[-1][1]),
                peak=number(peak),
                at=x_labels[peak_i] if peak_i < len(x_labels) else "",
            )
        )
    return " ".join(parts)


def data_table(
    chart_id: str,
    title: str,
    x_title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    t: Callable[..., str],
) -> str:
    head = "".join(f'<th scope="col" class="num">{escape(s.name)}</th>' for s in series)
    rows = []
    for i, x in enumerate(x_labels):
        cells = "".join(
            f'<td class="num">{escape(number(s.values[i] if i < len(s.values) else None))}</td>' for s in series
        )
        rows.append(f'<tr><th scope="row">{escape(x)}</th>{cells}</tr>')
    return (
        f'<details class="chart-data"><summary>{escape(t("chart_table"))}</summary>'
        f'<div class="scroll"><table class="grid" id="{chart_id}-table"><caption class="sr">{escape(title)}</caption>'
        f'<thead><tr><th scope="col">{escape(x_title)}</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        "</table></div></details>"
    )
