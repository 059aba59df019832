"""`admitall sim` as a planner runs it: a real process, results written where asked, clear refusals."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

from admitall.services.context import cli_actor, make_context
from admitall.services.simulations import get_run
from admitall.settings import Settings


def sim(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "admitall.cli", "sim", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_a_scenario_runs_and_writes_its_results_as_json_and_csv(tmp_path):
    done = sim("run", "small", "--days", "1", "--json", "--record", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results["scenario"]["name"] == "small" and len(results["daily"]) == 1 and len(results["hourly"]) == 24
    assert results["summary"]["identified"] == sum(results["summary"]["found"].values()) > 0
    stable = ("in_beds_confirmed_by_severity", "queue_confirmed_by_severity", "by_kind", "deaths_total")
    assert set(stable) <= set(results["daily"][0]) and "suspected_stock" in results["daily"][0]
    written = json.loads((tmp_path / "out" / "small.json").read_text(encoding="utf-8"))
    assert written["summary"] == results["summary"]
    with (tmp_path / "out" / "small-hourly.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 24 and "states.waiting" in rows[0] and "beds.icu.capacity" in rows[0]
    # --record keeps it in the database of the working directory, for the results pages (read with the key the
    # command used: the key file it wrote beside the database)
    ctx = make_context(Settings(database_url=f"sqlite:///{tmp_path / 'admitall.db'}"))
    stored = get_run(ctx, cli_actor(), results["scenario"]["run_id"])
    assert stored["summary"] == results["summary"] and stored["daily"] == results["daily"]


def test_a_bad_scenario_or_setting_is_refused_in_words_not_a_traceback(tmp_path):
    done = sim("run", "atlantis", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "atlantis" in done.stderr
    done = sim("run", "small", "--set", "detection.suspected_share=2", cwd=tmp_path)
    assert done.returncode == 2 and "detection.suspected_share" in done.stderr


def test_sim_list_names_the_library(tmp_path):
    done = sim("list", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "small" in {s["name"] for s in json.loads(done.stdout)["scenarios"]}


def test_a_what_if_on_a_changed_base_applies_the_base_to_both_runs_and_names_only_the_change(tmp_path):
    """The shelter hospital (open from day 6) without nurses: it admits fewer where staff are counted (the base
    `staffing.on=true` in both runs), and changes nothing where they are not."""
    shortage = "staffing.local_per_100_beds.shelter_hospital.nurse=0"
    days = ("--days", "8", "--json")
    done = sim("compare", "small", "--base", "staffing.on=true", "--set", shortage, *days, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    staffed = json.loads(done.stdout)
    assert staffed["base"] == ["staffing.on=true"] and staffed["change"] == [shortage]
    assert staffed["figures"]["admitted"]["difference"] < 0
    done = sim("compare", "small", "--set", shortage, *days, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    unstaffed = json.loads(done.stdout)
    assert unstaffed["base"] == [] and unstaffed["figures"]["admitted"]["difference"] == 0
