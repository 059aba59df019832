"""The twin plays the door-to-door survey (sim.survey) through the real services: HQ's campaign over the city, each
community's households, the teams' visits hour by hour (nobody home → a revisit the next day), the ill found at
home registered by the visit and followed by the run from then on, never registered twice; the campaign's progress
on the command screen while it runs, and its result in the run's outputs."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import text

from admitall.domain.access import Role
from admitall.domain.errors import InvalidInput
from admitall.services.command import command_screen
from admitall.services.context import Actor
from admitall.sim.run import Finished, run_scenario
from admitall.sim.runner import Run
from admitall.sim.scenario import load_scenario
from admitall.sim.survey import HQ, address

DAYS = 5  # the small scenario's survey runs on its days 4 and 5 (23–24 January)
SEEN: dict[str, Any] = {}


def _watch(run: Run, hour: float) -> None:
    """Every hour: the run's people are the registry's (none registered twice); on the survey's first day at
    noon, what HQ's command screen shows of the campaign."""
    with run.ctx.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM persons")).scalar()
    assert stored == len(run.tracked), f"hour {hour}"
    if round(hour) == 3 * 24 + 12:
        SEEN["screen"] = command_screen(run.ctx, HQ)["survey"]
        city_officer = Actor(username="c", role=Role.UNIT_OFFICER, unit_code="420102000000", display_name="c")
        SEEN["district"] = command_screen(run.ctx, city_officer)["survey"]


@pytest.fixture(scope="module")
def finished() -> Finished:
    scenario = load_scenario("small", ["operations.survey.on=true"])
    return run_scenario(scenario, days=DAYS, on_hour=_watch)


def test_the_campaign_is_hqs_over_the_city_with_each_communitys_households(finished: Finished) -> None:
    with finished.context.engine.connect() as conn:
        campaign = conn.execute(text("SELECT name, starts_on, ends_on, set_by FROM survey_campaigns")).one()
        units = conn.execute(text("SELECT unit_code FROM survey_campaign_units")).scalars().all()
        per = dict(conn.execute(text("SELECT community_code, count(*) FROM survey_households GROUP BY 1")).all())
        communities = conn.execute(text("SELECT count(*) FROM units WHERE level = 'community'")).scalar()
    assert campaign.set_by == "sim-hq"
    assert (str(campaign.starts_on), str(campaign.ends_on)) == ("2020-01-23", "2020-01-24")
    assert units == ["420100000000"]
    assert len(per) == communities and set(per.values()) == {20}


def test_every_household_is_visited_and_nobody_home_is_visited_again_the_next_day(finished: Finished) -> None:
    with finished.context.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT household_id, outcome, occurred_at FROM survey_visits ORDER BY household_id, occurred_at")
        ).all()
        planned = conn.execute(text("SELECT count(*) FROM survey_households")).scalar()
    by_house: dict[int, list[Any]] = {}
    for r in rows:
        by_house.setdefault(r.household_id, []).append(r)
    assert len(by_house) == planned  # each listed household had its visit
    again = [v for v in by_house.values() if len(v) > 1]
    assert again, "some households had nobody home and were visited again"
    for visits in again:
        assert [v.outcome for v in visits[:-1]] == ["absent"] * (len(visits) - 1)
    hours = Counter(str(r.occurred_at)[11:13] for r in rows)
    assert set(hours) <= {f"{h:02d}" for h in range(0, 10)}  # 08:00–17:00 Beijing time, stored in UTC


def test_the_ill_found_at_home_are_registered_by_the_visit_and_followed_by_the_run(finished: Finished) -> None:
    survey = finished.results.summary["survey"]
    with finished.context.engine.connect() as conn:
        registered = conn.execute(
            text(
                "SELECT p.id, p.status FROM survey_visit_people s JOIN persons p ON p.id = s.person_id "
                "WHERE s.category <> 'none'"
            )
        ).all()
        events = conn.execute(
            text("SELECT count(*) FROM person_events WHERE kind = 'identified' AND source = 'survey'")
        ).scalar()
    assert survey["registered_before_coming_forward"] == len(registered) == events > 0
    assert survey["found"]["fever"] == len(registered)
    assert all(status != "contact" for _, status in registered)


def test_the_runs_outputs_carry_the_campaigns_result(finished: Finished) -> None:
    survey = finished.results.summary["survey"]
    with finished.context.engine.connect() as conn:
        communities = conn.execute(text("SELECT count(*) FROM units WHERE level = 'community'")).scalar()
    assert survey["households_planned"] == 20 * communities
    assert 0 < survey["households_visited"] <= survey["households_done"] <= survey["households_planned"]
    assert survey["visits"] > survey["households_planned"]  # the revisits
    assert survey["found"]["none"] > survey["households_visited"]  # the healthy at home, counted, not registered
    assert survey["visits_not_stored"] == {}


def test_the_command_screen_shows_the_campaigns_progress_during_the_run(finished: Finished) -> None:
    (tile,) = SEEN["screen"]
    assert 0 < tile["done"] < tile["planned"]  # half way through its first day
    (district,) = SEEN["district"]
    assert district["planned"] < tile["planned"]  # a district sees its own communities' households


def test_the_survey_is_off_unless_the_scenario_says_and_its_section_is_checked() -> None:
    assert load_scenario("small").operations.survey is None
    plan = load_scenario("wuhan-2020").operations.survey
    assert plan is not None and (str(plan.starts), plan.days) == ("2020-02-17", 3)
    with pytest.raises(InvalidInput):
        load_scenario("small", ["operations.survey.on=true", "operations.survey.days=0"])
    with pytest.raises(InvalidInput):
        load_scenario("small", ["operations.survey.on=true", "operations.survey.absent_share=1.5"])
    assert len({address(n) for n in range(600)}) == 600
