"""The recorded runs of the twin (/sim and its JSON twin, /api/sim/runs) page with the real total: no cap of 500,
the newest first; the comparison's pickers hold the two runs compared even when they are not on the first page."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from admitall.services import simulations
from admitall.services.context import cli_actor
from admitall.store.tables_simulation import sim_runs
from tests.e2e.lists_world import every_page, paged_world, web

__all__ = ["paged_world"]
RUNS = 57


def _bare(n: int) -> dict[str, Any]:
    scenario = {"name": f"bare{n}", "title_zh": f"第{n}次", "title_en": f"Run {n}", "days": 1, "seed": n}
    return {
        "scenario": {**scenario, "start": "2020-02-01"},
        "summary": {},
        "daily": [{"day": "2020-02-01"}],
        "hourly": [{"hour": "2020-02-01T00:00:00+08:00"}],
    }


@pytest.fixture(scope="module")
def runs(paged_world) -> list[int]:
    return [simulations.record_run(paged_world.ctx, cli_actor(), _bare(n)) for n in range(RUNS)]


def recount(world) -> int:
    with world.ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(sim_runs)).scalar_one())


def test_every_page_of_runs_together_is_every_run_once_newest_first(paged_world, runs):
    with web(paged_world, "commander") as c:
        rows, total = every_page(c, "/sim.json", "runs", size=20)
    ids = [r["id"] for r in rows]
    assert total == len(ids) == len(set(ids)) == recount(paged_world) >= RUNS
    assert ids == sorted(ids, reverse=True)


def test_the_runs_page_shows_fifty_and_says_of_how_many(paged_world, runs):
    with web(paged_world, "commander") as c:
        one = c.get("/sim").text
        two = c.get("/sim.json", params={"page": 2}).json()
        beyond = c.get("/sim.json", params={"page": 5}).json()
    total = recount(paged_world)
    assert one.count('<tr data-run="') == 50 and f"第 1–50 条，共 {total} 条" in one
    assert 'href="/sim?page=2"' in one
    assert len(two["runs"]) == total - 50 and two["total"] == total
    assert beyond["runs"] == [] and beyond["total"] == total


def test_the_api_pages_the_runs_and_refuses_a_size_out_of_bounds(paged_world, runs):
    with paged_world.client("commander") as c:
        body = c.get("/api/sim/runs", params={"size": 10, "page": 2}).json()
        assert c.get("/api/sim/runs", params={"size": 1000}).status_code == 422
    assert body["total"] == recount(paged_world) and len(body["runs"]) == 10 and body["page"] == 2


def test_the_comparison_offers_the_two_runs_it_compares_though_they_are_old(paged_world, runs):
    with web(paged_world, "commander") as c:
        page = c.get("/sim/compare", params={"a": runs[0], "b": runs[1]})
    assert page.status_code == 200
    assert f'<option value="{runs[0]}"' in page.text and f'<option value="{runs[1]}"' in page.text


def test_runs_are_refused_to_those_without_counts(paged_world):
    with paged_world.client() as c:
        assert c.get("/api/sim/runs").status_code == 401


def test_the_runs_list_answers_at_sim_runs_too(paged_world, runs):
    with web(paged_world, "commander") as c:
        page = c.get("/sim/runs", params={"page": 2})
        twin = c.get("/sim/runs.json", params={"size": 5}).json()
    assert page.status_code == 200 and 'href="/sim/runs"' in page.text  # previous: the first page, same address
    assert twin["total"] == recount(paged_world) and len(twin["runs"]) == 5
