"""The digital twin through the real services: deterministic, conserving people, leaving a database that passes
the live system's own checks; ample beds keep everyone within their SLA, no ICU beds cost lives."""

from __future__ import annotations

from collections import Counter

import pytest

from admitall.services.verify import verify
from admitall.settings import Settings
from admitall.sim.compare import compare
from admitall.sim.results import registry_states
from admitall.sim.run import run_scenario
from admitall.sim.runner import Run
from admitall.sim.scenario import load_scenario

SMALL_FACILITIES = ("DH-JYT", "DH-HSS", "SH-WC", "IP-JA", "QS-JA", "QS-WC", "FC-WC", "RS-JA")
BED_KEYS = {
    "DH-JYT": ("icu", "severe", "general"),
    "DH-HSS": ("icu", "severe", "general"),
    "SH-WC": ("shelter",),
    "IP-JA": ("single_room",),
    "QS-JA": ("quarantine_room",),
    "QS-WC": ("quarantine_room",),
    "FC-WC": ("observation",),
    "RS-JA": ("recovery_room",),
}


def ample_beds() -> list[str]:
    """Every facility open from the start with beds to spare; allocation every 15 minutes, short trips, no
    refusals at the desk."""
    settings = [f"facilities.{code}.beds.{bed}=500" for code, beds in BED_KEYS.items() for bed in beds]
    settings += [f"facilities.{code}.opens=2020-01-01" for code in ("DH-HSS", "SH-WC", "QS-WC")]
    return [
        *settings,
        "operations.allocate_every_minutes=15",
        "operations.transport_minutes=[5, 10]",
        "operations.refusal_share=0.0",
    ]


def test_same_scenario_and_seed_give_the_same_run() -> None:
    first = run_scenario(load_scenario("small"), days=2).results.as_dict()
    second = run_scenario(load_scenario("small"), days=2).results.as_dict()
    first["scenario"].pop("wall_seconds")
    second["scenario"].pop("wall_seconds")
    assert first["summary"]["identified"] > 20
    assert first == second
    other = run_scenario(load_scenario("small"), days=2, seed=7).results.as_dict()
    assert other["summary"] != first["summary"]


def test_every_person_is_in_exactly_one_state_every_hour_and_the_registry_agrees() -> None:
    checked: list[float] = []

    def look(run: Run, hour: float) -> None:
        sim: Counter[str] = Counter()
        for (state, _, _), n in run.recorder.stock.items():
            sim[state] += n
        stored = registry_states(run.ctx)
        assert sum(sim.values()) == len(run.tracked) == sum(stored.values())
        assert +sim == +stored, f"hour {hour}"
        checked.append(hour)

    finished = run_scenario(load_scenario("small"), days=3, on_hour=look)
    assert len(checked) == 3 * 24
    assert finished.results.summary["admitted"] > 0


def test_the_simulated_city_passes_the_same_checks_as_a_live_one(database_url: str) -> None:
    settings = Settings(database_url=database_url, secret_key="s" * 40, run_jobs=False)
    finished = run_scenario(load_scenario("small"), days=2, settings=settings)
    checked = verify(finished.context)
    assert checked["ok"], checked["problems"][:3]
    assert checked["events_checked"] > finished.results.summary["identified"]
    assert checked["reports_checked"] > 0
    with finished.context.engine.connect() as conn:
        negative = conn.exec_driver_sql(
            "SELECT count(*) FROM bed_pools WHERE occupied < 0 OR reserved < 0 OR occupied + reserved > capacity"
        ).scalar_one()
    assert negative == 0


def test_ample_beds_leave_nobody_waiting_past_their_sla() -> None:
    results = run_scenario(load_scenario("small", ample_beds()), days=6).results
    assert results.summary["admitted"] > 50
    assert results.summary["peak_past_sla"] == 0
    for day in results.daily:
        assert all(w["past_sla"] == 0 for w in day["waits"].values()), day["waits"]
    assert results.summary["deaths_waiting"] == 0


@pytest.mark.parametrize("days", [10])
def test_without_icu_beds_critical_patients_die_waiting(days: int) -> None:
    no_icu = [f"facilities.{code}.beds.{bed}=0" for code in ("DH-JYT", "DH-HSS") for bed in ("icu", "severe")]
    harsher = ["clinical.waiting_death_multiplier=20.0"]
    base = run_scenario(load_scenario("small", harsher), days=days).results
    variant = run_scenario(load_scenario("small", [*harsher, *no_icu]), days=days).results
    assert variant.summary["deaths_waiting"] > 0
    assert variant.summary["deaths_waiting"] > base.summary["deaths_waiting"]
    side_by_side = compare(base, variant)
    deaths = side_by_side["figures"]["deaths_waiting"]
    assert deaths["difference"] == variant.summary["deaths_waiting"] - base.summary["deaths_waiting"] > 0
    assert side_by_side["change"] == [*harsher, *no_icu]
