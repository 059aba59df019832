"""The scenario file and the outbreak model, without a database: refusals that name the key, what-if changes,
determinism, and the testing capacity that bounds confirmations."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from admitall.domain.errors import InvalidInput
from admitall.sim.epidemic import CONTACT, simulate_outbreak
from admitall.sim.scenario import at, library, load_scenario

COMMUNITIES = [f"420102{s:03d}{c:03d}" for s in (2, 3) for c in (1, 2)]
POPULATIONS = [20_000] * len(COMMUNITIES)


def test_the_library_has_the_small_scenario_and_every_file_in_it_parses() -> None:
    assert "small" in library()
    for name in library():
        assert load_scenario(name).days > 0


def test_a_setting_changes_one_value_and_a_facility_is_found_by_its_code() -> None:
    s = load_scenario("small", ["detection.contacts_per_case=1.5", "facilities.DH-HSS.opens=2020-01-21"])
    assert s.detection.contacts_per_case == 1.5
    assert next(f for f in s.facilities if f.code == "DH-HSS").opens == date(2020, 1, 21)
    assert s.settings == ("detection.contacts_per_case=1.5", "facilities.DH-HSS.opens=2020-01-21")


@pytest.mark.parametrize(
    "setting, field",
    [
        ("detection.suspected_share=1.5", "detection.suspected_share"),
        ("clinical.severity.mild=0.9", "clinical.severity"),
        ("facilities.NOPE.beds.icu=3", "facilities.NOPE.beds.icu"),
        ("facilities.SH-WC.beds.icu=3", "facilities.SH-WC.beds.icu"),
        ('facilities.SH-WC.type="isolation_point"', "facilities[2].beds.shelter"),
        ("operations.tick_minutes=7", "operations.tick_minutes"),
        ("epidemic.nothing=1", "epidemic.nothing"),
        ('epidemic.r=[["2020-02-01", 1.0], ["2020-01-01", 2.0]]', "epidemic.r"),
    ],
)
def test_an_invalid_scenario_is_refused_naming_the_key(setting: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        load_scenario("small", [setting])
    assert refused.value.field == field
    assert "情景" in refused.value.message("zh") and "Scenario" in refused.value.message("en")


def test_an_unknown_scenario_names_the_ones_there_are() -> None:
    with pytest.raises(InvalidInput) as refused:
        load_scenario("atlantis")
    assert "small" in refused.value.message("en")


def test_a_step_schedule_holds_its_value_until_the_next_date() -> None:
    schedule = ((date(2020, 1, 1), 3.0), (date(2020, 1, 23), 1.2))
    assert at(schedule, date(2019, 12, 1)) == 3.0
    assert at(schedule, date(2020, 1, 22)) == 3.0
    assert at(schedule, date(2020, 1, 23)) == 1.2


def test_the_same_seed_finds_the_same_people_and_another_seed_others() -> None:
    s = load_scenario("small")
    a = simulate_outbreak(s, COMMUNITIES, POPULATIONS)
    b = simulate_outbreak(s, COMMUNITIES, POPULATIONS)
    assert [(x.identified, x.kind, x.steps) for x in a.agents] == [(x.identified, x.kind, x.steps) for x in b.agents]
    c = simulate_outbreak(s, COMMUNITIES, POPULATIONS, seed=99)
    assert [x.identified for x in c.agents] != [x.identified for x in a.agents]


def test_confirmations_never_exceed_the_testing_capacity_of_the_day() -> None:
    s = load_scenario("small", ['detection.confirmations_per_day=[["2020-01-01", 6]]'])
    outbreak = simulate_outbreak(s, COMMUNITIES, POPULATIONS)
    tested_on: Counter[int] = Counter()
    for agent in outbreak.agents:
        for hour, action, to, _ in agent.steps:
            if action == "reclassify" and to == "confirmed":
                tested_on[int((hour - s.detection.test_turnaround_hours) // 24)] += 1
    assert tested_on and max(tested_on.values()) <= 6 + 1  # the hour's budget may carry one over midnight


def test_contacts_are_traced_only_after_a_case_is_confirmed_and_found_in_its_street() -> None:
    s = load_scenario("small")
    outbreak = simulate_outbreak(s, COMMUNITIES, POPULATIONS)
    first_confirmed = min(
        h for a in outbreak.agents for h, action, to, _ in a.steps if action == "reclassify" and to == "confirmed"
    )
    contacts = [a for a in outbreak.agents if a.kind == CONTACT]
    assert contacts and min(a.identified for a in contacts) >= first_confirmed
    for agent in outbreak.agents:
        times = [h for h, *_ in agent.steps]
        assert times == sorted(times) and all(h >= agent.identified for h in times)
        assert all(h < outbreak.hours for h in times)
