"""Units' boundaries over the API: imported by who may manage units (the same import and audit as the command),
read back as GeoJSON within the reader's jurisdiction; outside it, a unit's boundary is not found exactly as a unit
that does not exist."""

from __future__ import annotations

import json

import httpx

from tests.factories import CITY, JIANGAN, PASSWORD

pytest_plugins = ["tests.e2e.map_city"]  # the served city

WUCHANG = "420106000000"
TRIANGLE = [[114.3, 30.6], [114.31, 30.6], [114.3, 30.61], [114.3, 30.6]]


def client(url: str, username: str) -> httpx.Client:
    token = httpx.post(f"{url}/api/auth/token", data={"username": username, "password": PASSWORD}).json()
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=30)


def test_an_administrator_imports_boundaries_and_others_may_not(map_city):
    body = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "江岸区"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[114.3, 30.6], [114.31, 30.6], [114.3, 30.61], [114.3, 30.6]]],
                },
            },
            {"type": "Feature", "properties": {"name": "无名区"}, "geometry": None},
        ],
    }
    files = {"file": ("jiangan.geojson", json.dumps(body).encode(), "application/geo+json")}
    with client(map_city.url, "commander") as commander:
        assert commander.post("/api/units/boundaries", files=files).status_code == 403
    with client(map_city.url, "admin") as admin:
        done = admin.post("/api/units/boundaries", files=files, data={"source": "survey"})
        assert done.status_code == 200, done.text
        summary = done.json()
        assert (summary["matched"], summary["replaced"], summary["unmatched"]) == (1, 1, 1)
        assert summary["unmatched_features"][0]["reason"] == "要素没有几何形状"
        feature = admin.get(f"/api/units/{JIANGAN}/boundary").json()
        assert feature["properties"]["source"] == "survey" and feature["geometry"]["type"] == "Polygon"
        broken = admin.post("/api/units/boundaries", files={"file": ("x.geojson", b"[[[[", "application/json")})
        assert broken.status_code == 422 and broken.json()["error"]["code"] == "boundary.not_json"
        # put the packaged boundary back for the other tests of this module's city
        from admitall.services.boundaries import import_wuhan_districts
        from admitall.services.context import cli_actor

        assert import_wuhan_districts(map_city.ctx, cli_actor()).matched == 13


def test_a_boundary_outside_the_jurisdiction_is_not_found_like_a_unit_that_does_not_exist(map_city):
    with client(map_city.url, "jiangan") as officer:
        assert officer.get(f"/api/units/{JIANGAN}/boundary").status_code == 200
        outside = officer.get(f"/api/units/{WUCHANG}/boundary")
        missing = officer.get("/api/units/420199000000/boundary")
        assert outside.status_code == missing.status_code == 404
        assert outside.json()["error"]["code"] == missing.json()["error"]["code"]
    with client(map_city.url, "commander") as commander:
        none = commander.get(f"/api/units/{CITY}/boundary")
        assert none.status_code == 404 and none.json()["error"]["code"] == "boundary.none"


def page_session(url: str, username: str) -> tuple[httpx.Client, str]:
    web = httpx.Client(base_url=url, timeout=30)
    token = web.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
    web.post("/login", data={"username": username, "password": PASSWORD, "login_csrf": token, "next": "/"})
    csrf = web.get("/imports").text.split('name="csrf_token" value="')[1].split('"')[0]
    return web, csrf


def test_the_imports_page_takes_a_boundaries_file_from_who_may_manage_units_only(map_city):
    body = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "不存在区"}}]}
    files = {"file": ("other-city.geojson", json.dumps(body).encode(), "application/geo+json")}
    web, csrf = page_session(map_city.url, "admin")
    page = web.get("/imports").text
    assert 'action="/imports/boundaries"' in page
    done = web.post("/imports/boundaries", data={"csrf_token": csrf}, files=files)
    assert done.status_code == 200
    assert 'data-figure="rows">1<' in done.text and 'data-figure="accepted">0<' in done.text
    assert "要素没有几何形状" in done.text
    web.close()
    web, csrf = page_session(map_city.url, "jiangan")  # registers and imports people, does not manage units
    assert 'action="/imports/boundaries"' not in web.get("/imports").text
    assert web.post("/imports/boundaries", data={"csrf_token": csrf}, files=files).status_code == 403
    web.close()
