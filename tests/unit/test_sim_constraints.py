"""The constraints that limited admission, as scenario settings: suspected people are resolved within the window
the scenario allows, discharge waits for the negative retests, a facility admits so many an hour for its beds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from admitall.domain.errors import InvalidInput
from admitall.sim.city import _rate
from admitall.sim.epidemic import Agent, simulate_outbreak
from admitall.sim.scenario import load_scenario

COMMUNITIES = [f"420102002{i:03d}" for i in range(1, 7)] + [f"420106001{i:03d}" for i in range(1, 7)]
QUEUED = ("fever", "suspected")


def unresolved_hours(agent: Agent, end: float) -> float:
    """How long the agent's longest wait in the test queue lasted, from its last step into it (febrile, or
    suspected) to its result (to the run's end if none came)."""
    status, since, longest = agent.first_status, agent.identified, 0.0
    for hour, action, to, _ in agent.steps:
        if action != "reclassify":
            continue
        if status in QUEUED and to not in QUEUED:
            longest = max(longest, hour - since)
        if to in QUEUED:  # joins the test queue (a febrile person again when turning suspected)
            since = hour
        status = to
    return max(longest, end - since) if status in QUEUED else longest


def outbreak(days: int = 14, **changes: object):
    """The small scenario's outbreak with detection and clinical settings changed (a name says which)."""
    s = load_scenario("small")
    detection = {k: v for k, v in changes.items() if hasattr(s.detection, k)}
    clinical = {k: v for k, v in changes.items() if hasattr(s.clinical, k)}
    s = replace(s, days=days, detection=replace(s.detection, **detection), clinical=replace(s.clinical, **clinical))
    return s, simulate_outbreak(s, COMMUNITIES, [5000] * len(COMMUNITIES))


def test_suspected_people_are_confirmed_or_excluded_within_the_window_and_stay_suspected_without_it() -> None:
    scarce = ((load_scenario("small").start, 2.0),)  # two tests a day: most of the presented wait
    s, found = outbreak(suspected_resolved_days=2, confirmations_per_day=scarce)
    turnaround = s.detection.test_turnaround_hours
    ill = [a for a in found.agents if a.kind != "background"]
    assert any(step[2] == "excluded" for a in ill for step in a.steps)
    # the window, or a test's turnaround if the test came within it
    assert max(unresolved_hours(a, found.hours) for a in ill) <= 48 + turnaround + 1
    _, never = outbreak(suspected_resolved_days=0, confirmations_per_day=scarce)
    assert max(unresolved_hours(a, never.hours) for a in never.agents if a.kind != "background") > 24 * 5


def test_discharge_waits_for_the_negative_retests() -> None:
    _, none = outbreak(days=30, discharge_retests_days=(0.0, 0.0))
    _, two = outbreak(days=30, discharge_retests_days=(2.0, 2.0))

    def recoveries(o) -> dict[int, float]:
        return {a.index: h for a in o.agents for h, _, to, _ in a.steps if to == "recovered"}

    before, after = recoveries(none), recoveries(two)
    assert before and set(after) <= set(before)
    assert all(after[i] == pytest.approx(before[i] + 48) for i in after)


def test_a_facility_admits_so_many_an_hour_for_its_beds_unless_it_says_its_own() -> None:
    s = load_scenario("wuhan-2020")
    by_code = {f.code: f for f in s.facilities}
    assert _rate(s, by_code["DH-HSS"]) == 20  # 1,000 beds at 2 an hour for each 100
    assert _rate(s, by_code["SH-JH"]) == 94  # 1,564 beds at 6: rounded up
    own = load_scenario("wuhan-2020", ["operations.admissions_per_100_beds_hour.shelter_hospital=1"])
    assert _rate(own, {f.code: f for f in own.facilities}["SH-JH"]) == 16


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ("operations.admissions_per_100_beds_hour.shelter_hospital=0", "shelter_hospital"),
        ("operations.transport_per_district_hour=-1", "operations.transport_per_district_hour"),
        ("detection.suspected_resolved_days=-2", "detection.suspected_resolved_days"),
        ("clinical.discharge_retests_days=[3, 1]", "clinical.discharge_retests_days"),
    ],
)
def test_a_bad_constraint_is_refused_naming_it(setting: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        load_scenario("wuhan-2020", [setting])
    assert field in str(refused.value.field)
