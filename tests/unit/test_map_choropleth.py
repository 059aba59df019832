"""The real map's parts, without a database: reading a boundary safely, the projection, simplification to the pixel,
points for units without a boundary, the legend's real breaks, and the SVG (links, names, values, no inline style)."""

from __future__ import annotations

import json
import math
import re
from importlib import resources

import pytest

from admitall.domain.errors import InvalidInput
from admitall.domain.geometry import as_geojson, bbox, contains, label_point, parse_geometry, spread_points
from admitall.web.choropleth import Area, choropleth, positions, projection, ring_path, simplify
from admitall.web.map_legend import NO_VALUE, SCALE, classes_for

SQUARE = [[[114.0, 30.0], [114.2, 30.0], [114.2, 30.2], [114.0, 30.2], [114.0, 30.0]]]
HOLE = [[114.05, 30.05], [114.15, 30.05], [114.15, 30.15], [114.05, 30.15], [114.05, 30.05]]


def wuhan() -> list[dict]:
    text = resources.files("admitall").joinpath("data/wuhan-2020/districts.geojson").read_text(encoding="utf-8")
    return json.loads(text)["features"]


# --- reading a boundary ------------------------------------------------------------------------------------------


def test_a_polygon_and_a_multipolygon_are_read_and_written_back_alike():
    polygon = parse_geometry({"type": "Polygon", "coordinates": [SQUARE[0], HOLE]})
    assert len(polygon) == 1 and len(polygon[0]) == 2
    multi = parse_geometry({"type": "MultiPolygon", "coordinates": [SQUARE, [HOLE]]})
    assert len(multi) == 2
    assert as_geojson(polygon)["type"] == "Polygon" and as_geojson(multi)["type"] == "MultiPolygon"
    assert parse_geometry(as_geojson(multi)) == multi


@pytest.mark.parametrize(
    ("geometry", "code"),
    [
        ({"type": "Polygon", "coordinates": [SQUARE[0][:-1]]}, "boundary.open_ring"),
        ({"type": "Polygon", "coordinates": [[[114, 30], [114.1, 30], [114, 30]]]}, "boundary.short_ring"),
        (
            {"type": "Polygon", "coordinates": [[[114, 30], [114.1, 30], [114.1, 95], [114, 30]]]},
            "boundary.out_of_range",
        ),
        (
            {"type": "Polygon", "coordinates": [[[114, 30], [math.inf, 30], [114.1, 30.1], [114, 30]]]},
            "boundary.out_of_range",
        ),
        (
            {"type": "Polygon", "coordinates": [[[114, 30], ["114", 30], [114.1, 30.1], [114, 30]]]},
            "boundary.bad_position",
        ),
        ({"type": "Point", "coordinates": [114, 30]}, "boundary.unsupported"),
        ({"type": "MultiPolygon", "coordinates": []}, "boundary.bad_polygon"),
        (None, "boundary.no_geometry"),
        ({"type": "Polygon", "coordinates": [[[114 + i * 1e-6, 30] for i in range(200_001)]]}, "boundary.too_large"),
    ],
)
def test_a_boundary_that_is_not_a_closed_finite_bounded_polygon_is_refused_with_the_reason(geometry, code):
    with pytest.raises(InvalidInput) as refused:
        parse_geometry(geometry)
    assert refused.value.code == code
    assert refused.value.zh and refused.value.en


def test_inside_means_inside_the_outer_ring_and_outside_every_hole():
    shape = parse_geometry({"type": "Polygon", "coordinates": [SQUARE[0], HOLE]})
    assert contains(shape, 114.02, 30.02)
    assert not contains(shape, 114.1, 30.1)  # in the hole
    assert not contains(shape, 114.3, 30.1)


def test_every_wuhan_district_is_valid_and_its_label_point_lies_inside_it():
    features = wuhan()
    assert len(features) == 13
    for f in features:
        shape = parse_geometry(f["geometry"])
        assert contains(shape, *label_point(shape)), f["properties"]["name"]
        assert contains(shape, *f["properties"]["label_point"]), f["properties"]["name"]


# --- points for the units without a boundary ---------------------------------------------------------------------


def test_points_are_spread_inside_the_parent_and_always_the_same():
    district = parse_geometry(wuhan()[0]["geometry"])
    first = spread_points(district, 17)
    assert first == spread_points(district, 17)
    assert len(set(first)) == 17
    assert all(contains(district, *p) for p in first)
    # spread out: no two closer than a quarter of what an even spread over the bounding box would give
    min_lon, min_lat, max_lon, max_lat = bbox([district])
    even = math.sqrt((max_lon - min_lon) * (max_lat - min_lat) / 17)
    closest = min(math.dist(a, b) for i, a in enumerate(first) for b in first[i + 1 :])
    assert closest > even / 4


def test_a_unit_with_a_boundary_is_drawn_by_it_a_known_centre_inside_is_kept_the_rest_are_placed():
    parent = parse_geometry({"type": "Polygon", "coordinates": SQUARE})
    child = parse_geometry({"type": "Polygon", "coordinates": [HOLE]})
    where = positions(
        ["a", "b", "c", "d"],
        {"a": child},
        {"b": (114.01, 30.01), "c": (115.0, 31.0)},  # c's centre lies outside the parent
        parent,
    )
    assert where["a"] == (child, None, False)
    assert where["b"] == (None, (114.01, 30.01), False)
    for code in ("c", "d"):
        shape, point, placed = where[code]
        assert shape is None and placed and point is not None and contains(parent, *point)
    # without a parent boundary a unit with no position of its own cannot be put on the map
    assert positions(["x"], {}, {}, None)["x"] == (None, None, False)


# --- projection and simplification ---------------------------------------------------------------------------------


def test_the_projection_keeps_north_up_east_right_and_a_kilometre_the_same_both_ways():
    p = projection((114.0, 30.0, 115.0, 31.0), 640, 2000)
    west, east = p(114.0, 30.5), p(115.0, 30.5)
    north, south = p(114.5, 31.0), p(114.5, 30.0)
    assert east[0] > west[0] and south[1] > north[1]
    # one degree of longitude at 30.5° is cos(30.5°) of one degree of latitude
    assert (east[0] - west[0]) / (south[1] - north[1]) == pytest.approx(math.cos(math.radians(30.5)), rel=1e-6)
    assert p.width == pytest.approx(640)


def test_a_tall_extent_is_fitted_into_the_height():
    p = projection((114.0, 30.0, 114.1, 31.0), 640, 500)
    assert p.height == pytest.approx(500) and p.width < 640


def test_simplification_keeps_the_corners_and_drops_what_no_pixel_shows():
    line = [(0.0, 0.0), (5.0, 0.1), (10.0, 0.0), (10.0, 10.0)]
    assert simplify(line) == [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]
    district = parse_geometry(wuhan()[8]["geometry"])  # 洪山区, the longest boundary
    positions_in = sum(len(r) for p in district for r in p)
    p = projection(bbox([district]), 640, 640)
    path = "".join(ring_path(r, p) for poly in district for r in poly)
    assert path.count("Z") >= 1
    assert len(re.findall(r"[\d.]+ [\d.]+", path)) < positions_in / 2


# --- the legend's breaks ------------------------------------------------------------------------------------------


def test_the_legend_has_a_class_for_zero_and_real_rounded_breaks_of_the_values():
    classes = classes_for([0, 0, 0.4, 1.2, 1.9, 2.3, 3.8, 4.9, 5.5, 7.2, 9.1], "/万人")
    labels = [label for _colour, label in classes.items("无数据")]
    assert labels[0] == "0/万人"
    assert labels[-1] == "无数据"
    assert labels[-2].startswith("> ")
    assert all(re.fullmatch(r"(\d+\.\d–\d+\.\d|> \d+\.\d|\d+\.\d)/万人", x) for x in labels[1:-1])
    assert "≤" not in "".join(labels)


@pytest.mark.parametrize(
    "values",
    [
        [0, 0.4, 1.2, 1.9, 2.3, 3.8, 4.9, 5.5, 7.2, 9.1],
        [12.5, 40, 88, 95, 100, 0, 61, 77],
        [0.01, 0.02, 0.3, 0.31, 0.5],
        [3, 3, 3],
        [0, 0],
        list(range(0, 500, 7)),
    ],
)
def test_every_class_in_the_legend_holds_a_value_and_every_value_is_in_the_class_its_label_says(values):
    classes = classes_for(values, "")
    items = classes.items("—")[:-1]
    used = {classes.colour(v) for v in values}
    assert {colour for colour, _ in items} == used  # no empty class, no value outside the legend
    for v in values:
        label = dict(items)[classes.colour(v)]
        shown = classes.read(v)
        if label.startswith("> "):
            assert shown > float(label[2:].replace(",", ""))
        elif "–" in label:
            low, high = (float(x.replace(",", "")) for x in label.split("–"))
            assert low <= shown <= high
        else:
            assert shown == float(label.replace(",", ""))


def test_the_highest_class_takes_the_darkest_colour_and_no_value_is_grey():
    classes = classes_for([0, 1, 5, 50], "")
    assert classes.colour(50) == SCALE[-1]
    assert classes.colour(0) == SCALE[0]
    assert classes.colour(None) == NO_VALUE


# --- the SVG ---------------------------------------------------------------------------------------------------------


def test_the_map_draws_every_district_as_a_named_link_with_its_value_and_no_inline_style():
    features = wuhan()
    areas = [
        Area(
            f["properties"]["code"],
            f["properties"]["name"],
            float(i),
            f"待收治 {i}",
            f"/command/{f['properties']['code']}",
            parse_geometry(f["geometry"]),
        )
        for i, f in enumerate(features)
    ]
    svg = str(choropleth("m", areas, title="地图", classes=classes_for([a.value for a in areas]), no_value="无"))
    assert svg.count("<a href=") == 13
    for f in features:
        assert f'href="/command/{f["properties"]["code"]}"' in svg
    assert 'aria-label="江岸区：待收治 0"' in svg and "<title>洪山区：待收治 8</title>" in svg
    assert "style=" not in svg and "<script" not in svg
    assert len(svg) < 60_000  # simplified to the pixel: the file's 465 kB of positions become a few dozen kB


def test_a_name_is_written_where_it_meets_no_other_name():
    shape = parse_geometry({"type": "Polygon", "coordinates": SQUARE})
    crowded = [Area(str(i), f"第{i}街道", 1.0, "1", f"/command/{i}", point=(114.1, 30.1)) for i in range(3)]
    svg = str(choropleth("m", crowded, title="t", classes=classes_for([1.0]), no_value="无", backdrop=shape))
    names = re.findall(r"<text [^>]*>(第\d街道)", svg)
    assert len(names) == len(set(names)) >= 1
    assert svg.count("<circle") == 3
