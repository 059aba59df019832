"""Observation on in the twin, as wuhan-2020 plays it (with the door-to-door survey): a short run of the small
scenario with both on records the contacts' exposures and twice-daily checks, a contact a check finds febrile moves
to fever at once with the reading in its event and joins the admission engine's queue (a transfer out of the
quarantine room, or a place in the line), and the engine gives them a bed for fever; the survey finds people
beside it; the run's people stay the registry's."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from admitall.sim.run import Finished, run_scenario
from admitall.sim.scenario import load_scenario

BOTH = ["operations.observation=true", "operations.survey.on=true"]


@pytest.fixture(scope="module")
def finished() -> Finished:
    return run_scenario(load_scenario("small", BOTH), days=5)


def test_the_city_scenario_plays_observation_and_the_survey() -> None:
    wuhan = load_scenario("wuhan-2020")
    assert wuhan.operations.observation is True and wuhan.operations.survey is not None
    off = load_scenario("wuhan-2020", ["operations.observation=false", "operations.survey.on=false"])
    assert off.operations.observation is False and off.operations.survey is None


def test_contacts_are_exposed_to_their_case_and_checked_at_most_twice_a_day(finished: Finished) -> None:
    with finished.context.engine.connect() as conn:
        exposures = conn.execute(text("SELECT count(*) FROM exposures")).scalar()
        observed = conn.execute(text("SELECT count(*) FROM observations")).scalar()
        per_day = conn.execute(
            text("SELECT max(n) FROM (SELECT count(*) AS n FROM observation_checks GROUP BY person_id, day) AS t")
        ).scalar()
        checks = conn.execute(text("SELECT count(*) FROM observation_checks")).scalar()
        alerts = conn.execute(text("SELECT count(*) FROM alerts WHERE kind = 'missed_check'")).scalar()
    assert exposures == observed > 0
    assert checks > observed  # more than one day of checks
    assert per_day == 2
    assert alerts > 0  # a few checks missed: one alert per person and day


def test_a_contact_found_febrile_moves_to_fever_and_is_given_a_bed_for_fever(finished: Finished) -> None:
    with finished.context.engine.connect() as conn:
        converted = conn.execute(text("SELECT person_id FROM observations WHERE state = 'converted'")).scalars().all()
        assert converted
        for pid in converted:
            events = conn.execute(
                text("SELECT kind, data FROM person_events WHERE person_id = :p ORDER BY seq"), {"p": pid}
            ).all()
            kinds = [k for k, _ in events]
            at = next(
                i for i, (k, d) in enumerate(events) if k == "reclassified" and "check" in _data(d)
            )  # the check's conversion, its reading in the event
            moved = _data(events[at][1])
            assert (moved["from"], moved["to"]) == ("contact", "fever")
            assert moved["check"]["temperature"] >= 37.3
            queued = kinds[at + 1] == "transfer_needed" or "assigned" in kinds[at + 1 :]
            assert queued, kinds
            later = [_data(d) for k, d in events[at + 1 :] if k == "assigned"]
            assert later and later[0]["bed_type"] != "quarantine_room"


def test_the_survey_finds_people_beside_observation_and_nobody_is_registered_twice(finished: Finished) -> None:
    survey = finished.results.summary["survey"]
    assert survey["found"]["fever"] == survey["registered_before_coming_forward"] > 0
    with finished.context.engine.connect() as conn:
        by_source = dict(
            conn.execute(text("SELECT source, count(DISTINCT person_id) FROM person_sources GROUP BY source")).all()
        )
        people = conn.execute(text("SELECT count(*) FROM persons")).scalar()
        both = conn.execute(
            text(
                "SELECT count(*) FROM person_sources a JOIN person_sources b ON a.person_id = b.person_id "
                "WHERE a.source = 'sim' AND b.source = 'survey'"
            )
        ).scalar()
    # each person came in once: by the twin's own registration or by a visit, never both
    assert by_source["survey"] == survey["registered_before_coming_forward"]
    assert by_source["sim"] + by_source["survey"] == people and both == 0


def _data(raw: object) -> dict:
    return raw if isinstance(raw, dict) else json.loads(str(raw))
