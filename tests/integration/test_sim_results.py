"""Recorded runs of the digital twin on a real database (SQLite and PostgreSQL): a real run kept and read back
whole, listed, compared with a variant, as CSV; who may record and read them; unknown runs and bad input."""

from __future__ import annotations

import copy
import csv
import io
from datetime import timedelta

import pytest

from admitall.domain.access import GRANTS, Role
from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.services import simulations
from admitall.services.context import Actor, cli_actor
from tests.factories import CITY
from tests.sim_results import small_run, variant

ANALYST = Actor("analyst", Role.ANALYST, CITY)
COMMANDER = Actor("commander", Role.COMMANDER, CITY)
CHANGE = "facilities.DH-HSS.opens=2020-01-25"


@pytest.fixture(scope="module")
def real():
    return small_run()


def worse(real):
    """The run as if the hospital opened later: two deaths while waiting, and a backlog that clears."""
    return variant(real, CHANGE, deaths_waiting={20: 1, 30: 1}, past_sla={h: 3 for h in range(10, 34)})


def test_a_real_run_is_recorded_and_read_back_whole(ctx, real):
    run_id = simulations.record_run(ctx, cli_actor(), real)
    got = simulations.get_run(ctx, ANALYST, run_id)
    assert got["id"] == run_id and got["recorded_by"] == "cli"
    assert got["recorded_at"] == ctx.clock.now().isoformat()
    assert {k: got[k] for k in ("scenario", "summary", "refused", "daily", "hourly")} == real.as_dict()
    assert got["summary"]["identified"] > 20 and len(got["daily"]) == 2 and len(got["hourly"]) == 48
    with ctx.uow() as uow:
        entry = uow.audit.entries(action="record_sim_run")[0]
    assert entry["target_id"] == str(run_id) and entry["detail"]["scenario"] == "small"
    assert entry["detail"]["seed"] == real.scenario["seed"]


def test_runs_are_listed_newest_first_with_their_summary_and_without_their_rows(ctx, clock, real):
    first = simulations.record_run(ctx, cli_actor(), real)
    clock.advance(timedelta(minutes=5))
    second = simulations.record_run(ctx, cli_actor(), worse(real))
    runs = simulations.list_runs(ctx, COMMANDER)["runs"]
    assert [r["id"] for r in runs] == [second, first]
    newest = runs[0]
    assert newest["scenario"] == "small" and newest["settings"] == [CHANGE]
    assert newest["seed"] == real.scenario["seed"] and newest["days"] == 2 and newest["start"] == "2020-01-20"
    assert newest["summary"]["deaths_waiting"] == real.summary["deaths_waiting"] + 2
    assert "daily" not in newest and "hourly" not in newest


def test_two_runs_side_by_side_give_the_difference_in_deaths_while_waiting_and_in_time_to_clear(ctx, real):
    cleared_sooner = variant(real, "operations.allocate_every_minutes=15", past_sla={h: 3 for h in range(10, 20)})
    a = simulations.record_run(ctx, cli_actor(), worse(real))
    b = simulations.record_run(ctx, cli_actor(), cleared_sooner)
    result = simulations.compare_runs(ctx, ANALYST, a, b)
    figures = result["figures"]
    assert figures["deaths_waiting"] == {
        "base": real.summary["deaths_waiting"] + 2,
        "variant": real.summary["deaths_waiting"],
        "difference": -2,
    }
    # a backlog from hour 10: cleared at hour 34 in run a, at hour 20 in run b (the peak is its first hour)
    assert figures["hours_to_clear_backlog"] == {"base": 24.0, "variant": 10.0, "difference": -14.0}
    assert result["a"]["id"] == a and result["b"]["id"] == b
    assert result["settings_only_in_a"] == [CHANGE]
    assert result["settings_only_in_b"] == ["operations.allocate_every_minutes=15"]
    assert result["warnings"] == []
    before = [d["deaths_waiting"] for d in real.daily]
    assert [d["deaths_waiting"] for d in result["daily"]] == [[before[0] + 1, before[0]], [before[1] + 1, before[1]]]
    assert len(result["hourly"]) == 48 and result["hourly"][15]["past_sla"] == [3, 3]
    assert result["hourly"][25]["past_sla"] == [3, 0]


def test_runs_that_differ_in_more_than_a_setting_are_compared_with_a_warning(ctx, real):
    other = small_run()
    other.scenario["seed"] = 7
    a = simulations.record_run(ctx, cli_actor(), real)
    b = simulations.record_run(ctx, cli_actor(), other)
    codes = [w["code"] for w in simulations.compare_runs(ctx, ANALYST, a, b)["warnings"]]
    assert codes == ["sim.different_seed"]


def test_a_runs_rows_come_as_csv_with_every_column_any_row_has(ctx, real):
    run_id = simulations.record_run(ctx, cli_actor(), real)
    daily = list(csv.DictReader(io.StringIO(simulations.run_csv(ctx, ANALYST, run_id, "daily"))))
    assert [r["day"] for r in daily] == [d["day"] for d in real.daily]
    assert [int(r["admitted"]) for r in daily] == [d["admitted"] for d in real.daily]
    every_bed = {b for d in real.daily for b in d["beds"]}
    assert {f"beds.{b}.occupied" for b in every_bed} <= set(daily[0])
    hourly = list(csv.DictReader(io.StringIO(simulations.run_csv(ctx, ANALYST, run_id, "hourly"))))
    assert len(hourly) == 48 and [int(r["past_sla"]) for r in hourly] == [h["past_sla"] for h in real.hourly]
    every_status = {s for h in real.hourly for s in h["queue"]}
    assert {f"queue.{s}" for s in every_status} <= set(hourly[0])
    with pytest.raises(NotFound):
        simulations.run_csv(ctx, ANALYST, run_id, "weekly")


def test_only_planners_record_runs_and_only_readers_of_counts_read_them(ctx, real, monkeypatch):
    with pytest.raises(Forbidden):
        simulations.record_run(ctx, ANALYST, real)
    with pytest.raises(Forbidden):
        simulations.record_run(ctx, COMMANDER, real)
    run_id = simulations.record_run(ctx, Actor("admin", Role.ADMIN, CITY), real)
    assert simulations.get_run(ctx, ANALYST, run_id)["id"] == run_id
    # no role goes without counts today; a reader without them is refused all the same
    monkeypatch.setitem(GRANTS, Role.ANALYST, frozenset())
    for read in (
        lambda: simulations.list_runs(ctx, ANALYST),
        lambda: simulations.get_run(ctx, ANALYST, run_id),
        lambda: simulations.run_csv(ctx, ANALYST, run_id, "daily"),
        lambda: simulations.compare_runs(ctx, ANALYST, run_id, run_id + 1),
    ):
        with pytest.raises(Forbidden):
            read()


def test_an_unknown_run_is_not_found_and_a_run_is_not_compared_with_itself(ctx, real):
    run_id = simulations.record_run(ctx, cli_actor(), real)
    for read in (
        lambda: simulations.get_run(ctx, ANALYST, run_id + 1),
        lambda: simulations.run_csv(ctx, ANALYST, run_id + 1, "daily"),
        lambda: simulations.compare_runs(ctx, ANALYST, run_id, run_id + 1),
    ):
        with pytest.raises(NotFound) as caught:
            read()
        assert caught.value.code == "sim_run.not_found"
    with pytest.raises(InvalidInput) as same:
        simulations.compare_runs(ctx, ANALYST, run_id, run_id)
    assert same.value.code == "sim.same_run"


@pytest.mark.parametrize(
    ("spoil", "field"),
    [
        (lambda d: d.pop("hourly"), "hourly"),
        (lambda d: d["daily"].append({"no": "day"}), "daily"),
        (lambda d: d["scenario"].update(seed="2020"), "scenario.seed"),
        (lambda d: d["scenario"].update(start="20 January"), "scenario.start"),
        (lambda d: d["scenario"].update(name=""), "scenario.name"),
        (lambda d: d["scenario"].update(settings="a=1"), "scenario.settings"),
    ],
)
def test_results_in_the_wrong_form_are_refused_and_nothing_is_kept(ctx, real, spoil, field):
    data = copy.deepcopy(real.as_dict())
    spoil(data)
    with pytest.raises(InvalidInput) as caught:
        simulations.record_run(ctx, cli_actor(), data)
    assert caught.value.code == "sim.bad_results" and caught.value.field == field
    assert simulations.list_runs(ctx, ANALYST)["runs"] == []
