"""The map's layout: every unit a region inside the box, areas in proportion, none overlapping, near square."""

from __future__ import annotations

import itertools

import pytest

from admitall.web.map_legend import NO_VALUE, SCALE, classes_for
from admitall.web.treemap import Rect, Region, ink_for, squarify, treemap

BOX = Rect(0, 0, 640, 400)


def overlap(a: Rect, b: Rect) -> float:
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(w, 0) * max(h, 0)


@pytest.mark.parametrize(
    "weights",
    [[6, 6, 4, 3, 2, 2, 1], [1], [100, 1, 1, 1], [3, 0, 5], list(range(1, 40)), [0.5] * 13],
)
def test_regions_fill_the_box_in_proportion_without_overlapping(weights):
    rects = squarify(weights, BOX)
    assert len(rects) == len(weights)
    total = sum(weights)
    for w, r in zip(weights, rects, strict=True):
        assert r.w * r.h == pytest.approx(BOX.w * BOX.h * w / total, rel=1e-6, abs=1e-6)
        assert r.x >= -1e-6 and r.y >= -1e-6
        assert r.x + r.w <= BOX.w + 1e-6 and r.y + r.h <= BOX.h + 1e-6
    for a, b in itertools.combinations(rects, 2):
        assert overlap(a, b) < 1e-6


def test_equal_units_come_out_near_square():
    rects = squarify([1] * 16, Rect(0, 0, 400, 400))
    assert all(max(r.w / r.h, r.h / r.w) < 1.5 for r in rects)


def test_a_tree_with_nothing_to_weigh_shares_the_box_equally():
    rects = squarify([0, 0, 0, 0], BOX)
    assert {round(r.w * r.h) for r in rects} == {64000}


def test_colour_classes_follow_the_bounds_and_none_is_grey():
    classes = classes_for([0, 1, 2, 3, 4, 5, 10, 20, 40, 80])
    assert list(classes.bounds) == sorted(set(classes.bounds))
    assert classes.colour(None) == "#e5e7eb"
    assert classes.colour(0) != classes.colour(80)


def test_every_region_is_a_named_link_to_its_own_screen():
    regions = [
        Region(
            "420102000000",
            "江岸区",
            3,
            12,
            "12",
            "/command/420102000000",
            [
                Region("420102002000", "大智街道", 2, 10, "10", "/command/420102002000"),
                Region("420102003000", "一元街道", 1, 2, "2", "/command/420102003000"),
            ],
        ),
        Region("420106000000", "武昌区", 1, None, "—", "/command/420106000000"),
    ]
    svg = str(treemap("m", regions, title="地图", classes=classes_for([12, 10, 2]), no_value="无"))
    for code in ("420102000000", "420102002000", "420102003000", "420106000000"):
        assert f'href="/command/{code}"' in svg
    assert 'aria-label="大智街道：10"' in svg


def luminance(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("fill", [*SCALE, NO_VALUE])
def test_a_regions_name_is_written_in_the_ink_that_reads_on_its_colour(fill):
    ink = "#111111" if ink_for(fill) == "#111" else "#ffffff"
    assert contrast(fill, ink) >= 4.5
