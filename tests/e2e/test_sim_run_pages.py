"""A recorded run of the digital twin opens whatever figures it lacks: the demo records a run that was played,
not timed (no wall time), and results kept by hand or by an older version may lack any daily, hourly or summary
figure. Its page, its JSON and CSV, the list and a comparison all answer 200 and show "—" where a figure is
missing, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from admitall.services import simulations
from admitall.services.context import cli_actor
from tests.factories import PASSWORD
from tests.sim_results import small_run


def _bare(**scenario: Any) -> dict[str, Any]:
    """The least that recording a run accepts: the scenario's listed fields, a day and an hour."""
    return {
        "scenario": {
            "name": "bare",
            "title_zh": "最少的结果",
            "title_en": "Bare results",
            "days": 1,
            "seed": 1,
            "start": "2020-02-01",
            **scenario,
        },
        "summary": {},
        "daily": [{"day": "2020-02-01"}],
        "hourly": [{"hour": "2020-02-01T00:00:00+08:00"}, {"hour": "not a moment"}],
    }


@pytest.fixture(scope="module")
def runs(world) -> dict[str, int]:
    played = small_run().as_dict()
    played["scenario"].pop("wall_seconds")  # as the demo records its played run
    return {
        "played": simulations.record_run(world.ctx, cli_actor(), played),
        "bare": simulations.record_run(world.ctx, cli_actor(), _bare()),
        "timed": simulations.record_run(world.ctx, cli_actor(), small_run()),
    }


@pytest.fixture
def commander(world) -> httpx.Client:
    client = httpx.Client(base_url=world.url, timeout=30)
    token = client.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
    signed = client.post("/login", data={"username": "commander", "password": PASSWORD, "login_csrf": token})
    assert signed.status_code in (200, 303), signed.text
    return client


def test_the_run_the_demo_records_without_a_wall_time_opens(commander, runs):
    page = commander.get(f"/sim/runs/{runs['played']}")
    assert page.status_code == 200, page.text
    assert '<dd id="run-wall">—</dd>' in page.text
    twin = commander.get(f"/api/sim/runs/{runs['played']}")
    assert twin.status_code == 200 and twin.json()["scenario"]["wall_seconds"] is None


def test_a_run_lacking_every_figure_opens_with_dashes_where_figures_are_missing(commander, runs):
    page = commander.get(f"/sim/runs/{runs['bare']}", params={"lang": "en"})
    assert page.status_code == 200, page.text
    assert 'data-key="deaths_waiting"' in page.text and "—" in page.text
    assert "not a moment" in page.text  # an hour the run wrote oddly is shown as written
    for table in ("daily", "hourly"):
        assert commander.get(f"/api/sim/runs/{runs['bare']}/{table}.csv").status_code == 200
    assert commander.get("/sim").status_code == 200
    assert commander.get("/api/sim/runs").status_code == 200


def test_runs_lacking_figures_can_be_compared_with_a_whole_one(commander, runs):
    for a, b in ((runs["timed"], runs["bare"]), (runs["played"], runs["bare"]), (runs["timed"], runs["played"])):
        page = commander.get("/sim/compare", params={"a": a, "b": b})
        assert page.status_code == 200, page.text
        twin = commander.get("/api/sim/compare", params={"a": a, "b": b})
        assert twin.status_code == 200, twin.text
