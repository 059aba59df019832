"""Stacked horizontal bars drawn on the server as inline SVG, with the same figures as a table under them: beds
by type, each bar its capacity split into what is occupied, reserved and free."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from admitall.web.charts import FONT, PALETTE, Series, data_table, number, text_width
from admitall.web.i18n import translator


def stacked_bars(
    chart_id: str,
    *,
    title: str,
    labels: Sequence[str],
    parts: Sequence[tuple[str, Sequence[int], str]],
    category_title: str,
    lang: str = "zh",
    width: int = 640,
) -> Markup:
    """One bar per label, split into `parts` (name, one value per label, colour), longest bar full width."""
    t = translator(lang)
    bar_h, gap = 22, 10
    left = max((text_width(x) for x in labels), default=0) + 12
    legend_h = FONT + 12
    height = legend_h + len(labels) * (bar_h + gap) + 4
    totals = [sum(values[i] for _, values, _ in parts) for i in range(len(labels))]
    longest = max(totals, default=0) or 1
    room = width - left - 70
    named = f'aria-labelledby="{chart_id}-t {chart_id}-d"'
    out = [f'<svg class="chart-svg" viewBox="0 0 {width} {height}" role="img" {named}>']
    out.append(f'<title id="{chart_id}-t">{escape(title)}</title>')
    said = [
        f"{label}: " + ", ".join(f"{name} {number(values[i])}" for name, values, _ in parts)
        for i, label in enumerate(labels)
    ]
    out.append(f'<desc id="{chart_id}-d">{escape("; ".join(said))}</desc>')
    x = 0.0
    for name, _values, colour in parts:
        out.append(f'<rect x="{x:.1f}" y="2" width="14" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 18:.1f}" y="{FONT + 1}" font-size="{FONT}">{escape(name)}</text>')
        x += 18 + text_width(name) + 16
    for i, label in enumerate(labels):
        y = legend_h + i * (bar_h + gap)
        out.append(
            f'<text x="{left - 8:.1f}" y="{y + bar_h - 6}" font-size="{FONT}" text-anchor="end">{escape(label)}</text>'
        )
        cx = left
        for name, values, colour in parts:
            w = room * values[i] / longest
            if w > 0:
                out.append(
                    f'<rect x="{cx:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
                    f"<title>{escape(label)} · {escape(name)}: {escape(number(values[i]))}</title></rect>"
                )
            cx += w
        out.append(f'<text x="{cx + 6:.1f}" y="{y + bar_h - 6}" font-size="{FONT}">{escape(number(totals[i]))}</text>')
    out.append("</svg>")
    series = [Series(name, list(values)) for name, values, _ in parts]
    return Markup(
        f'<figure class="chart" id="{chart_id}"><figcaption>{escape(title)}</figcaption>'
        + "".join(out)
        + data_table(chart_id, title, category_title, labels, series, t)
        + "</figure>"
    )


BED_COLOURS = (PALETTE[1], PALETTE[4], PALETTE[2])  # occupied, reserved, free
