"""The command screen's charts: hour labels are thinned to what fits, never drawn over one another, in either
language and at any number of hours; the last label asked for (the hour now running) is always kept."""

from __future__ import annotations

import itertools
import re

import pytest

from admitall.web.charts import Series, line_chart, text_width


def drawn_labels(svg: str) -> list[tuple[float, str, str]]:
    """(x, anchor, text) of each x-axis label."""
    group = svg.split('<g class="x-ticks"')[1].split("</g>")[0]
    found = []
    for attrs, text in re.findall(r"<text ([^>]*)>([^<]*)</text>", group):
        x = float(re.search(r'x="([\d.]+)"', attrs).group(1))
        anchor = (re.search(r'text-anchor="(\w+)"', attrs) or re.search("(middle)", "middle")).group(1)
        found.append((x, anchor, text))
    return found


def spans(labels: list[tuple[float, str, str]]) -> list[tuple[float, float]]:
    out = []
    for x, anchor, text in labels:
        w = text_width(text)
        out.append((x, x + w) if anchor == "start" else (x - w, x) if anchor == "end" else (x - w / 2, x + w / 2))
    return out


@pytest.mark.parametrize("hours", [6, 24, 48, 72, 168])
@pytest.mark.parametrize("label", ["{d:02d}日{h:02d}时", "{d:02d} {h:02d}:00"])
@pytest.mark.parametrize("every", [None, 1, 6])
def test_hour_labels_never_overlap_and_the_hour_now_running_is_labelled(hours, label, every):
    x_labels = [label.format(d=5 + i // 24, h=i % 24) for i in range(hours)]
    ticks = None if every is None else list(range(hours - 1, -1, -every))[::-1]
    svg = str(
        line_chart(
            "c",
            title="t",
            x_labels=x_labels,
            series=[Series("s", list(range(hours)))],
            x_title="x",
            y_title="y",
            ticks=ticks,
        )
    )
    labels = drawn_labels(svg)
    assert len(labels) >= (1 if ticks else 2)
    for a, b in itertools.pairwise(spans(labels)):
        assert a[1] < b[0], (a, b)
    if ticks is not None:
        assert labels[-1][2] == x_labels[-1]
