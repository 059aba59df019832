"""The digital twin's recorded runs over real HTTP: the JSON twins give the stored results figure for figure, the
CSV their rows; recording over HTTP; the refusals (no token, wrong role, unknown run, results in the wrong form)."""

from __future__ import annotations

import copy
import csv
import io

import httpx
import pytest

from admitall.services import simulations
from admitall.services.context import cli_actor
from tests.sim_results import small_run, variant

CHANGE = "facilities.DH-HSS.opens=2020-01-25"


@pytest.fixture(scope="module")
def runs(world):
    """A real run of the small scenario, and a variant of it with two deaths while waiting and a backlog."""
    real = small_run()
    worse = variant(real, CHANGE, deaths_waiting={20: 1, 30: 1}, past_sla={h: 2 for h in range(10, 30)})
    a = simulations.record_run(world.ctx, cli_actor(), real)
    b = simulations.record_run(world.ctx, cli_actor(), worse)
    return {"a": a, "b": b, "real": real, "worse": worse}


def test_every_simulation_route_needs_a_token(world):
    for path in ("/api/sim/runs", "/api/sim/runs/1", "/api/sim/runs/1/daily.csv", "/api/sim/compare?a=1&b=2"):
        response = httpx.get(world.url + path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "auth.required"
    assert httpx.post(world.url + "/api/sim/runs", json={}).status_code == 401


def test_the_json_twin_of_a_run_is_the_stored_results(world, runs):
    with world.client("analyst") as c:
        got = c.get(f"/api/sim/runs/{runs['a']}")
        assert got.status_code == 200, got.text
        body = got.json()
        listed = c.get("/api/sim/runs").json()["runs"]
    real = runs["real"].as_dict()
    assert {k: body[k] for k in real} == real
    assert body["id"] == runs["a"] and body["recorded_by"] == "cli"
    mine = {r["id"]: r for r in listed}
    assert mine[runs["a"]]["summary"] == real["summary"] and mine[runs["a"]]["settings"] == []
    assert mine[runs["b"]]["settings"] == [CHANGE]
    assert mine[runs["b"]]["summary"] == runs["worse"].summary


def test_a_runs_rows_download_as_csv(world, runs):
    with world.client("analyst") as c:
        daily = c.get(f"/api/sim/runs/{runs['a']}/daily.csv")
        hourly = c.get(f"/api/sim/runs/{runs['a']}/hourly.csv")
        unknown = c.get(f"/api/sim/runs/{runs['a']}/weekly.csv")
    assert daily.status_code == 200 and daily.headers["content-type"].startswith("text/csv")
    assert f'filename="sim-run-{runs["a"]}-daily.csv"' in daily.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(daily.text)))
    real = runs["real"]
    assert [r["day"] for r in rows] == [d["day"] for d in real.daily]
    assert [int(r["deaths_waiting"]) for r in rows] == [d["deaths_waiting"] for d in real.daily]
    hours = list(csv.DictReader(io.StringIO(hourly.text)))
    assert [r["hour"] for r in hours] == [h["hour"] for h in real.hourly]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "sim.no_such_table"


def test_the_comparison_gives_the_difference_in_deaths_while_waiting_and_time_to_clear(world, runs):
    with world.client("commander") as c:
        body = c.get("/api/sim/compare", params={"a": runs["a"], "b": runs["b"]}).json()
    deaths = runs["real"].summary["deaths_waiting"]
    assert body["figures"]["deaths_waiting"] == {"base": deaths, "variant": deaths + 2, "difference": 2}
    assert body["figures"]["hours_to_clear_backlog"]["variant"] == 20.0
    assert body["change"] == [CHANGE] and body["settings_only_in_b"] == [CHANGE]
    assert body["a"]["id"] == runs["a"] and body["b"]["id"] == runs["b"]
    assert [d["deaths_waiting"][1] - d["deaths_waiting"][0] for d in body["daily"]] == [1, 1]


def test_a_run_is_recorded_over_http_by_a_planner_only(world, runs):
    data = runs["real"].as_dict()
    with world.client("commander") as c:
        refused = c.post("/api/sim/runs", json=data)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden.role"
    with world.client("admin") as c:
        sent = c.post("/api/sim/runs", json=data)
        assert sent.status_code == 201, sent.text
        run_id = sent.json()["id"]
        assert sent.json()["url"] == f"/sim/runs/{run_id}"
        assert c.get(f"/api/sim/runs/{run_id}").json()["summary"] == data["summary"]
        spoiled = copy.deepcopy(data)
        spoiled["scenario"]["start"] = "next Monday"
        bad = c.post("/api/sim/runs", json=spoiled)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "sim.bad_results" and bad.json()["error"]["field"] == "scenario.start"


def test_an_unknown_run_is_not_found(world, runs):
    with world.client("analyst") as c:
        for path in ("/api/sim/runs/9999", "/api/sim/runs/9999/daily.csv", f"/api/sim/compare?a={runs['a']}&b=9999"):
            response = c.get(path)
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "sim_run.not_found"
        same = c.get(f"/api/sim/compare?a={runs['a']}&b={runs['a']}")
    assert same.status_code == 422 and same.json()["error"]["code"] == "sim.same_run"
