"""The twin with staff (issue 18 §5, sim.staffing): a short run of the small scenario in which the shelter hospital
has staff for only part of its beds — its admissions follow its staffed beds, never its physical ones, while the
hospitals with enough staff fill as before; and the hand-out of the published arrivals on the Wuhan scenario."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pytest
from sqlalchemy import text

from admitall.domain.policy import default_policy
from admitall.sim.run import Finished, run_scenario
from admitall.sim.runner import Run
from admitall.sim.scenario import load_scenario, parse_scenario
from admitall.sim.staffing import hand_out, need_of

DAYS = 8
# the shelter's 60 beds with 10 nurses and 5 doctors: 3 and 1 on shift cover 60 and 50 beds at the policy's ratios
# (0.05 nurses, 0.02 doctors a shelter bed): 50 of its 60 beds are usable
STAFFING = {
    "on": True,
    "teams": "",
    "doctor_share": 0.3,
    "local_per_100_beds": {
        "designated_hospital": {"nurse": 200, "doctor": 50, "icu_nurse": 400, "icu_doctor": 100},
        "shelter_hospital": {"nurse": 10, "doctor": 5},
    },
    "withheld": [],
    "delay_days": 0,
}
SEEN: dict[str, int] = {"shelter_peak": 0}


def _watch(run: Run, hour: float) -> None:
    with run.ctx.engine.connect() as conn:
        used = conn.execute(
            text("SELECT occupied + reserved FROM bed_pools WHERE facility_code = 'SH-WC' AND bed_type = 'shelter'")
        ).scalar_one()
    SEEN["shelter_peak"] = max(SEEN["shelter_peak"], int(used))


@pytest.fixture(scope="module")
def finished() -> Finished:
    raw: dict[str, Any] = tomllib.loads(
        resources.files("admitall").joinpath("data/scenarios/small.toml").read_text("utf-8")
    )
    raw["staffing"] = STAFFING
    return run_scenario(parse_scenario(raw, ["staffing.on=true"]), days=DAYS, on_hour=_watch)


def test_the_shelters_admissions_follow_its_staffed_beds_not_its_physical_ones(finished: Finished) -> None:
    # 10 nurses (3 on shift: 60 beds) and 5 doctors (1 on shift: 50 beds): 50 of the 60 beds are staffed
    assert 0 < SEEN["shelter_peak"] <= 50
    summary = finished.results.summary["staffing"]
    assert summary["teams"] >= 3 and summary["arrived"] == 0


def test_the_rosters_are_on_the_database_for_the_engine_and_the_pages(finished: Finished) -> None:
    with finished.context.engine.connect() as conn:
        teams = dict(
            conn.execute(
                text(
                    "SELECT t.facility_code, sum(h.headcount) FROM medical_teams t "
                    "JOIN medical_team_headcounts h ON h.team_id = t.id GROUP BY t.facility_code"
                )
            ).all()
        )
    assert teams["SH-WC"] == 9  # 6 nurses and 3 doctors for 60 beds, rounded down


def test_the_published_arrivals_staff_the_wuhan_facilities_in_the_order_they_opened() -> None:
    scenario = load_scenario("wuhan-2020", ["staffing.on=true"])
    assert scenario.staffing is not None and sum(a.people for a in scenario.staffing.arrivals) == 42_600
    rows, summary = hand_out(scenario, scenario.staffing, default_policy())
    assert summary["arrived"] == summary["handed_out"] + summary["left_over"]
    assert summary["facilities_short"] == 0  # by the end everyone is staffed
    shelters = {f.code for f in scenario.facilities if f.type.value == "shelter_hospital"}
    withheld = load_scenario("wuhan-2020", ["staffing.on=true", 'staffing.withheld=["shelter_hospital"]'])
    assert withheld.staffing is not None
    held_rows, _ = hand_out(withheld, withheld.staffing, default_policy())
    assert {r.facility_code for r in rows if r.origin != "本院"} & shelters
    assert not {r.facility_code for r in held_rows if r.origin != "本院"} & shelters
    first = min(r.day for r in rows if r.origin != "本院")
    assert str(first) == "2020-01-24"
    assert need_of({}, default_policy()) == {}


def test_a_scenario_without_the_section_turned_on_has_no_staffing() -> None:
    assert load_scenario("wuhan-2020").staffing is None
    with pytest.raises(Exception, match="staffing"):
        load_scenario("wuhan-2020", ["staffing.on=true", "staffing.doctor_share=2"])
