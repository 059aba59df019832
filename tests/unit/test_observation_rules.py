"""The rules of observation and tracing without a database: the window, the slots and their states, when a check
alarms, when release is refused (each refusal naming its rule), the policy's [observation] table, clusters and the
layered layout."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from admitall.domain.errors import InvalidInput
from admitall.domain.observation import (
    ObservationRules,
    SlotState,
    Symptom,
    alarm,
    check_temperature,
    parse_symptoms,
    release_refusal,
    slot_due,
    slot_of,
    slot_state,
    spans,
    window,
)
from admitall.domain.observation_policy import parse_rules
from admitall.domain.people import Status
from admitall.domain.policy import default_policy, parse_policy
from admitall.domain.tracing import clusters, layered, parse_exposure, percentile

RULES = ObservationRules()
DAY = date(2020, 2, 10)


def test_observation_runs_fourteen_days_from_the_last_exposure_by_default():
    assert window(date(2020, 2, 8), RULES) == (date(2020, 2, 8), date(2020, 2, 22))
    assert window(date(2020, 2, 8), ObservationRules(days=7))[1] == date(2020, 2, 15)
    assert default_policy().observation == RULES


@pytest.mark.parametrize(
    ("at", "slot"), [(time(0, 1), 0), (time(11, 59), 0), (time(12, 0), 1), (time(19, 59), 1), (time(23, 0), 1)]
)
def test_a_check_fills_the_slot_whose_span_holds_its_time(at, slot):
    assert slot_of(at, RULES) == slot


def test_a_slot_is_due_only_from_when_observation_was_put_on_record_and_until_it_ends():
    (_, am, am_end), (_, pm, pm_end) = spans(DAY, RULES)
    registered = datetime(2020, 2, 10, 10, 0)
    assert not slot_due(DAY, am, registered, date(2020, 2, 8), date(2020, 2, 22))
    assert slot_due(DAY, pm, registered, date(2020, 2, 8), date(2020, 2, 22))
    assert not slot_due(date(2020, 2, 22), datetime(2020, 2, 22, 12), registered, date(2020, 2, 8), date(2020, 2, 22))
    now = datetime(2020, 2, 10, 20, 30)
    assert slot_state(True, None, pm_end, now) is SlotState.MISSED
    assert slot_state(True, None, pm_end, datetime(2020, 2, 10, 13)) is SlotState.DUE
    assert slot_state(True, datetime(2020, 2, 10, 21), pm_end, now) is SlotState.LATE
    assert slot_state(False, None, am_end, now) is SlotState.NOT_DUE


def test_fever_at_the_threshold_or_any_symptom_alarms_and_says_why():
    assert alarm(37.2, (), RULES) is None
    zh, en = alarm(37.3, (), RULES)
    assert "37.3" in zh and "37.3 °C" in en
    zh, en = alarm(36.5, (Symptom.COUGH,), RULES)
    assert "咳嗽" in zh and "cough" in en
    assert parse_symptoms(["咳嗽", "cough", " "]) == (Symptom.COUGH,)
    with pytest.raises(InvalidInput):
        parse_symptoms(["headache?"])
    with pytest.raises(InvalidInput):
        check_temperature(45.0)


def test_release_is_refused_before_the_end_with_symptoms_or_without_a_test_the_policy_asks_for():
    end = date(2020, 2, 22)
    assert release_refusal(date(2020, 2, 21), end, False, None, RULES).code.endswith("observation_not_over")
    assert release_refusal(end, end, True, None, RULES).code.endswith("release_needs_no_symptoms")
    assert release_refusal(end, end, False, None, RULES) is None
    strict = ObservationRules(release_needs_negative_test=True)
    assert release_refusal(end, end, False, None, strict).code.endswith("release_needs_negative_test")
    assert release_refusal(end, end, False, "negative", strict) is None


def test_the_policy_file_sets_observation_and_refuses_nonsense():
    rules = parse_rules({"days": 10, "fever_moves_to": "suspected", "check_times": ["20:00", "08:00", "14:00"]})
    assert rules.days == 10 and rules.fever_moves_to is Status.SUSPECTED
    assert rules.check_deadlines == (time(8), time(14), time(20))
    for bad in ({"days": 0}, {"fever_moves_to": "confirmed"}, {"check_times": ["25:00"]}, {"colour": 1}):
        with pytest.raises(InvalidInput):
            parse_rules(bad)
    base = default_policy()
    classes = '", "'.join(c.value for c in base.priority)
    text = f"""priority = ["{classes}"]
[eligibility]
critical = ["icu"]
severe = ["severe"]
confirmed_risk = ["general"]
confirmed = ["shelter"]
suspected = ["single_room"]
fever = ["observation"]
contact = ["quarantine_room"]
recovered = ["recovery_room"]
[sla_hours]
critical = 1
severe = 4
confirmed_risk = 24
confirmed = 24
suspected = 12
fever = 12
contact = 24
recovered = 24
[observation]
days = 21
"""
    assert parse_policy(text).observation.days == 21 and base.observation.days == 14


def test_an_exposure_is_checked_field_by_field():
    x = parse_exposure(2, 1, date(2020, 2, 8), "家庭", None, DAY)
    assert x.setting.value == "household" and x.closeness.value == "close"
    for args, field in (
        ((1, 1, date(2020, 2, 8), "work", None), "case"),
        ((2, 1, date(2020, 2, 11), "work", None), "exposed_on"),
        ((2, 1, date(2020, 2, 8), "park", None), "setting"),
        ((2, 1, date(2020, 2, 8), "work", "very"), "closeness"),
    ):
        with pytest.raises(InvalidInput) as refused:
            parse_exposure(*args, DAY)
        assert refused.value.field == field


def test_clusters_are_connected_components_largest_first_and_the_layout_puts_sources_above():
    found = clusters([(1, 2), (2, 3), (9, 8), (4, 3)])
    assert found == [{1, 2, 3, 4}, {8, 9}]
    layout = layered([1, 2, 3, 4], [(1, 2), (2, 3), (4, 3)])
    assert layout.layer[1] == 0 and layout.layer[2] == 1 and layout.layer[3] == 2 and layout.layer[4] == 0
    assert layout.layers == 3 and layout.widest == 2
    cyclic = layered([1, 2], [(1, 2), (2, 1)])  # a cycle is broken, never endless
    assert set(cyclic.layer) == {1, 2}
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0 and percentile([], 90) is None
