"""The scorecard's pure parts: facts from waits, reports and duties; components, composite, flags and ranks; the
scoring file; officials' terms; the waits kept as a person's state changes; directive targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitall.domain.directives import Target, TargetKind, check_recipient, parse_target
from admitall.domain.errors import InvalidInput
from admitall.domain.facts import Duty, Fact, Kind, ReportSlot, Segment, duty_facts, facts_of, report_facts, wait_facts
from admitall.domain.officials import LeadAssignment, Leads, Official, check_assignment, handover
from admitall.domain.policy import PriorityClass, default_policy
from admitall.domain.scoring import composite, default_scoring, flags, parse_scoring, percentile, rank, scorecard

T0 = datetime(2020, 2, 10, 16, 0, tzinfo=UTC)  # midnight in Wuhan
DAY_END = T0 + timedelta(days=1)
SLA = default_policy().sla
H = timedelta(hours=1)


def seg(
    person: int,
    cls: PriorityClass,
    waited_from: datetime,
    start: datetime,
    end: datetime | None,
    outcome=None,
    unit="420102002001",
):
    return Segment(person, unit, cls, waited_from, start, end, outcome if end else None)


def kinds(facts) -> list[tuple[str, str | None, float]]:
    return sorted((f.kind.value, f.cls, f.value) for f in facts)


def test_a_critical_patient_admitted_after_three_hours_is_demand_placement_and_a_breach_at_one_hour():
    found = list(
        wait_facts([seg(1, PriorityClass.CRITICAL, T0 + 8 * H, T0 + 8 * H, T0 + 11 * H, "admitted")], T0, DAY_END, SLA)
    )
    assert kinds(found) == [("breach", "critical", 60.0), ("demand", "critical", 0.0), ("placed", "critical", 180.0)]
    breach = next(f for f in found if f.kind is Kind.BREACH)
    assert breach.at == T0 + 9 * H


def test_a_wait_that_began_yesterday_counts_from_the_window_start_and_is_still_open_at_its_end():
    found = list(wait_facts([seg(2, PriorityClass.CONTACT, T0 - 30 * H, T0 - 30 * H, None)], T0, DAY_END, SLA))
    # a contact's target is 24 h: already past it when the day began, so the breach counts at the day's start
    assert kinds(found) == [
        ("breach", "contact", 1800.0),
        ("demand", "contact", 0.0),
        ("still_waiting", "contact", 54 * 60.0),
    ]
    assert next(f for f in found if f.kind is Kind.DEMAND).at == T0


def test_a_severe_patient_who_turned_critical_breaches_by_the_class_they_had_then():
    start = T0 + 8 * H
    segments = [
        seg(3, PriorityClass.SEVERE, start, start, start + 30 * timedelta(minutes=1), "changed"),
        seg(3, PriorityClass.CRITICAL, start, start + 30 * timedelta(minutes=1), start + 2 * H, "admitted"),
    ]
    found = list(wait_facts(segments, T0, DAY_END, SLA))
    # severe for 30 min (target 4 h: fine), then critical: one hour after the wait began it is past the target
    assert kinds(found) == [("breach", "critical", 60.0), ("demand", "severe", 0.0), ("placed", "critical", 120.0)]


def test_waits_outside_the_window_are_not_counted():
    before = seg(4, PriorityClass.CONTACT, T0 - 10 * H, T0 - 10 * H, T0 - H, "admitted")
    after = seg(5, PriorityClass.CONTACT, DAY_END + H, DAY_END + H, None)
    assert list(wait_facts([before, after], T0, DAY_END, SLA)) == []


def test_report_slots_count_by_the_period_they_belong_to_and_at_their_deadline():
    slots = [
        ReportSlot("u", T0 - H, T0 + timedelta(minutes=10), "missing"),  # yesterday's last period
        ReportSlot("u", T0, T0 + H + timedelta(minutes=10), "on_time"),
        ReportSlot("u", DAY_END - H, DAY_END + timedelta(minutes=10), "late"),
    ]
    found = list(report_facts(slots, T0, DAY_END))
    assert [(f.kind, f.at) for f in found] == [
        (Kind.REPORT_ON_TIME, T0 + H + timedelta(minutes=10)),
        (Kind.REPORT_LATE, DAY_END + timedelta(minutes=10)),
    ]


def test_a_duty_closed_in_time_counts_when_closed_and_one_overdue_at_its_due_time():
    now = DAY_END
    duties = [
        Duty("directive", "u", "1", T0, T0 + 10 * H, T0 + 4 * H),
        Duty("directive", "u", "2", T0, T0 + 10 * H, T0 + 12 * H),
        Duty("problem", "u", "3", T0, T0 + 2 * H, None),
        Duty("problem", "u", "4", T0, DAY_END + H, None),  # not yet due
    ]
    found = list(duty_facts(duties, T0, DAY_END, now))
    assert [(f.kind, f.ref, f.value) for f in found] == [
        (Kind.DIRECTIVE_ON_TIME, "1", 4.0),
        (Kind.DIRECTIVE_LATE, "2", 12.0),
        (Kind.PROBLEM_OVERDUE, "3", 0.0),
    ]


def test_components_without_anything_to_count_are_left_out_of_the_composite():
    facts = facts_of([Fact(Kind.DEMAND, "u", T0), Fact(Kind.PLACED, "u", T0, "contact", 30.0)])
    card = scorecard(facts, default_scoring())
    assert card["components"]["completeness"]["value"] is None
    assert card["score"] == 100.0 and card["components"]["placement"]["value"] == 100.0


def test_a_composite_is_the_weighted_mean_of_the_components_that_count():
    parts = {"a": {"value": 100.0}, "b": {"value": 40.0}, "c": {"value": None}}
    assert composite(parts, {"a": 1, "b": 3, "c": 10}) == 55.0
    assert composite({"a": {"value": None}}, {"a": 1}) is None


def test_a_critical_breach_flags_for_review_and_bars_commendation():
    facts = facts_of(
        [
            Fact(Kind.DEMAND, "u", T0),
            Fact(Kind.PLACED, "u", T0, "critical", 90.0),
            Fact(Kind.BREACH, "u", T0, "critical"),
        ]
    )
    found = flags(facts, 95.0, default_scoring())
    assert [(f["flag"], f["rule"], f["facts"]) for f in found] == [("review", "critical_breaches_at_least", ["breach"])]
    clean = facts_of([Fact(Kind.DEMAND, "u", T0), Fact(Kind.PLACED, "u", T0, "contact", 90.0)])
    assert [f["flag"] for f in flags(clean, 95.0, default_scoring())] == ["commend"]
    idle = facts_of([])
    assert flags(idle, 100.0, default_scoring()) == []  # no praise for a day without work


def test_percentiles_are_nearest_rank():
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile(list(range(1, 11)), 90) == 9
    assert percentile([], 50) is None


@given(
    st.lists(
        st.tuples(st.text("abcdef", min_size=1, max_size=3), st.one_of(st.none(), st.floats(0, 100))),
        unique_by=lambda x: x[0],
    )
)
def test_ranks_put_higher_scores_first_and_share_ties(scores):
    ranks = rank(scores)
    scored = [(k, s) for k, s in scores if s is not None]
    assert set(ranks) == {k for k, _ in scored}
    for k1, s1 in scored:
        for k2, s2 in scored:
            if s1 > s2:
                assert ranks[k1] < ranks[k2]
            if s1 == s2:
                assert ranks[k1] == ranks[k2]


@pytest.mark.parametrize(
    "text, words",
    [
        ("[weights]\nplacement = -1", "at least 0"),
        ("[weights]\nspeed = 1", "unknown components"),
        ("[weights]\nplacement = 0", "at least one weight"),
        ("[weights]\nsla = 1\n[review]\nmissing_report = 1", "unknown review rules"),
        ("[review]\ncomposite_below = 50", "[weights] table is required"),
        ("[weights\n", "TOML syntax"),
        ("[extra]\n", "unknown settings"),
    ],
)
def test_an_invalid_scoring_file_is_refused_with_what_is_wrong(text, words):
    with pytest.raises(InvalidInput) as e:
        parse_scoring(text)
    assert words in e.value.en and e.value.code == "scoring.invalid"


def test_the_packaged_scoring_file_is_valid_and_weights_every_component():
    scoring = default_scoring()
    assert all(w > 0 for w in scoring.weights.values()) and scoring.review


def test_the_lead_at_a_moment_follows_the_assignment_dates():
    leads = Leads([LeadAssignment("u", 1, T0, T0 + 12 * H), LeadAssignment("u", 2, T0 + 12 * H)])
    assert leads.lead_at("u", T0 + 11 * H) == 1 and leads.lead_at("u", T0 + 12 * H) == 2
    assert leads.lead_at("u", T0 - H) is None and leads.lead_at("other", T0) is None
    assert leads.during("u", T0, DAY_END) == [(1, T0, T0 + 12 * H), (2, T0 + 12 * H, DAY_END)]


def test_an_official_leads_only_within_their_home_unit_and_a_handover_is_never_backwards():
    district = Official(1, "李江", "副书记", "420102000000")
    check_assignment(district, "420102002000")
    with pytest.raises(InvalidInput):
        check_assignment(district, "420106001000")
    current = LeadAssignment("420102002000", 1, T0)
    with pytest.raises(InvalidInput):
        handover(current, 2, "420102002000", T0 - H)
    assert handover(current, 2, "420102002000", T0 + H).starts_at == T0 + H


def test_a_measurable_target_is_met_only_when_the_count_allows():
    critical = parse_target({"kind": "none_waiting", "priority_class": "critical"})
    assert critical.met({"critical": 0, "contact": 9}) and not critical.met({"critical": 1})
    at_most = parse_target({"kind": "waiting_at_most", "at_most": 5})
    assert at_most.met({"contact": 3, "fever": 2}) and not at_most.met({"contact": 6})
    assert not Target(TargetKind.REPORTED).met({})
    with pytest.raises(InvalidInput):
        parse_target({"kind": "sometime"})


def test_a_directive_goes_only_down_the_tree():
    check_recipient("420102000000", "420102002000")
    for wrong in ("420102000000", "420106000000", "420100000000"):
        with pytest.raises(InvalidInput):
            check_recipient("420102000000", wrong)
    check_recipient(None, "420100000000")  # the console, above everything
