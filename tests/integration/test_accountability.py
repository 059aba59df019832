"""Responsibility and accountability on a real database: hand-computed scorecards, responsibility that follows
the assignment dates, directives that complete themselves, overdue directives and units without a lead as alerts,
and who may see and order what."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from admitall.domain.access import Role
from admitall.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from admitall.services import admission, directives, officials, reporting, scorecard_views, scorecards, watch
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting import ReportInput
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    DAZHI_2,
    JIANGAN,
    WUCHANG,
    YIYUAN,
    id_number,
    load_small_city,
    load_small_facilities,
    person_row,
)

DAY = date(2020, 2, 11)
MIDNIGHT = datetime(2020, 2, 10, 16, 0, tzinfo=UTC)  # 00:00 on 11 February in Wuhan
HOUR = timedelta(hours=1)
HQ = Actor("hq", Role.COMMANDER, CITY)
DISPATCHER = Actor("dispatcher", Role.DISPATCHER, None)


def local(hour: float) -> datetime:
    """That hour of 11 February in Wuhan (24 is the next midnight)."""
    return MIDNIGHT + timedelta(hours=hour)


def send(ctx, clock, unit: str, hour: int) -> None:
    """The unit's report for the period starting at `hour`, five minutes after the period ends (on time)."""
    clock.set(local(hour + 1) + timedelta(minutes=5))
    reporting.submit(
        ctx,
        Actor(f"officer-{unit}", Role.UNIT_OFFICER, unit),
        ReportInput(unit_code=unit, period_start=local(hour), reported={}, attested_by="值班员", attest=True),
    )


def register(ctx, clock, at: datetime, **fields) -> int:
    clock.set(at)
    n = register.counter = getattr(register, "counter", 0) + 1
    row = person_row(
        name=f"病人{n}",
        id_number=id_number(seq=n % 1000),
        phone=f"139{n:08d}",
        identified_at=f"{at.astimezone(UTC):%Y-%m-%d %H:%M}Z",
        **fields,
    )
    return register_batch(ctx, cli_actor(), [(2, row)], source="test").person_ids[2]


def admit(ctx, clock, pid: int, at: datetime) -> None:
    clock.set(at)
    admission.allocate(ctx, DISPATCHER, commit=True)
    admission.desk_step(ctx, DISPATCHER, pid, "depart")
    facility = admission_facility(ctx, pid)
    admission.desk_step(ctx, Actor("desk", Role.FACILITY_OFFICER, None, facility_code=facility), pid, "admit")


def admission_facility(ctx, pid: int) -> str:
    with ctx.uow() as uow:
        person = uow.persons.get(pid)
    assert person is not None and person.facility_code is not None
    return person.facility_code


@pytest.fixture
def city(ctx, clock):
    clock.set(MIDNIGHT - timedelta(days=1))
    leads = load_small_city(ctx)
    load_small_facilities(ctx)
    ctx.leads = leads
    return ctx


@pytest.fixture
def day(city, clock):
    """11 February in Wuhan: a critical patient in 幸福社区 found at 08:00 and admitted at 11:00; the community
    reports every hour but 14:00; 大智街道 and 和平社区 report every hour but the street's 09:00 and 15:00, and at
    12:00 大智街道 is handed over to a new lead."""
    ctx = city
    critical = register(ctx, clock, local(8), category="confirmed", severity="critical", unit_code=DAZHI_1)
    admit(ctx, clock, critical, local(11))
    clock.set(local(12))
    new_lead = officials.add_official(ctx, cli_actor(), name="钱新", title="街道工委书记", home_unit=JIANGAN)
    officials.assign_lead(ctx, cli_actor(), DAZHI, new_lead["id"])
    for hour in range(24):
        for unit in (DAZHI, DAZHI_1, DAZHI_2):
            skipped = (unit == DAZHI_1 and hour == 14) or (unit == DAZHI and hour in (9, 15))
            if not skipped:
                send(ctx, clock, unit, hour)
    clock.set(local(24) + 2 * HOUR)  # the day is over and final
    ctx.critical, ctx.new_lead = critical, new_lead["id"]
    return ctx


def test_one_missing_report_and_a_critical_patient_who_waited_three_hours_give_exactly_the_expected_card(day):
    scorecards.store_day(day, DAY)
    view = scorecard_views.unit_card(day, HQ, DAZHI_1, day=DAY)
    card = view["card"]
    assert view["stored"] and view["final"]
    parts = {name: (p["value"], p["numerator"], p["denominator"]) for name, p in card["components"].items()}
    assert parts == {
        "placement": (100.0, 1, 1),
        "sla": (0.0, 0, 1),  # a critical patient's target is one hour
        "completeness": (95.8, 23, 24),
        "timeliness": (95.8, 23, 24),
        "truthfulness": (100.0, 23, 23),
        "directives": (None, 0, 0),
        "problems": (None, 0, 0),
    }
    # (30×100 + 25×0 + 10×95.8 + 10×95.8 + 10×100) / (30 + 25 + 10 + 10 + 10)
    assert card["score"] == 69.6
    figures = card["figures"]
    assert figures["identified"] == 1 and figures["critical_breaches"] == 1
    assert figures["by_class"]["critical"]["placed_wait_minutes"] == {
        "n": 1,
        "median": 180.0,
        "p90": 180.0,
        "max": 180.0,
    }
    assert figures["reports"] == {"on_time": 23, "late": 0, "missing": 1, "received": 23, "discrepant": 0}
    assert [(f["flag"], f["rule"], f["value"]) for f in card["flags"]] == [("review", "critical_breaches_at_least", 1)]


def test_the_facts_behind_a_flag_are_the_people_and_the_reports(day):
    breach = scorecard_views.facts_behind(day, HQ, kinds=["breach"], unit=DAZHI_1, day=DAY)
    assert [(f["ref"], f["person_id"], f["priority_class"]) for f in breach["facts"]] == [
        (str(day.critical), day.critical, "critical")
    ]
    assert breach["facts"][0]["at"] == local(9).isoformat()  # one hour after being found: the moment of breach
    missing = scorecard_views.facts_behind(day, HQ, kinds=["report_missing"], unit=DAZHI, day=DAY)
    assert sorted(f["ref"] for f in missing["facts"]) == sorted(
        [f"{DAZHI_1}@{local(14).isoformat()}", f"{DAZHI}@{local(9).isoformat()}", f"{DAZHI}@{local(15).isoformat()}"]
    )
    analyst = Actor("analyst", Role.ANALYST, CITY)
    counted = scorecard_views.facts_behind(day, analyst, kinds=["breach"], unit=DAZHI_1, day=DAY)
    assert counted["total"] == 1 and "person_name" not in counted["facts"][0]


def test_a_miss_before_the_handover_counts_for_the_previous_lead(day):
    scorecards.store_day(day, DAY)
    before = scorecard_views.official_card(day, HQ, day.leads[DAZHI], day=DAY)["card"]
    after = scorecard_views.official_card(day, HQ, day.new_lead, day=DAY)["card"]
    assert before["figures"]["reports"]["missing"] == 1  # the street's 09:00 report, due 10:10
    assert after["figures"]["reports"]["missing"] == 2  # the street's 15:00, and 幸福社区's 14:00 (due 15:10)
    assert before["units"][0]["until"] == after["units"][0]["from"] == local(12).isoformat()
    assert before["figures"]["placed"] == 1 and after["figures"]["placed"] == 0  # admitted at 11:00
    # the community's lead led all day: the community's card is theirs
    community_lead = scorecard_views.official_card(day, HQ, day.leads[DAZHI_1], day=DAY)["card"]
    assert community_lead["score"] == 69.6


def test_a_subtree_computed_on_request_agrees_with_the_whole_city_stored(day):
    scorecards.store_day(day, DAY)
    stored = scorecard_views.unit_card(day, HQ, DAZHI, day=DAY)["card"]
    with day.uow() as uow:
        live = scorecards.compute(day, uow, DAZHI, *scorecards.day_window(DAY, day)).unit_cards[DAZHI]
        again = scorecards.compute(day, uow, DAZHI, *scorecards.day_window(DAY, day)).unit_cards[DAZHI]
    assert live["components"] == stored["components"] and live["figures"] == stored["figures"]
    assert again == live  # the same facts, the same score
    window = scorecard_views.unit_card(day, HQ, DAZHI, start="2020-02-10", end=DAY.isoformat())
    assert not window["stored"] and window["card"]["figures"]["placed"] == 1


def test_units_are_ranked_within_their_level(day):
    scorecards.store_day(day, DAY)
    streets = scorecard_views.ranking(day, HQ, level="street", day=DAY)
    ranked = {e["subject"]: e["rank"] for e in streets["entries"]}
    # 大智 is the only street that had people and sent reports; the others sent none at all
    assert ranked[DAZHI] == 1 and ranked[YIYUAN] > 1
    assert DAZHI not in [e["subject"] for e in streets["red_list"]]  # a critical breach bars commendation
    assert YIYUAN in [e["subject"] for e in streets["black_list"]]
    district_view = scorecard_views.ranking(day, Actor("jiangan", Role.UNIT_OFFICER, JIANGAN), level="street", day=DAY)
    assert {e["subject"] for e in district_view["entries"]} == {DAZHI, YIYUAN}


def test_a_measurable_directive_completes_by_itself_when_the_registry_shows_it_done(city, clock):
    ctx = city
    critical = register(ctx, clock, local(8), category="confirmed", severity="critical", unit_code=DAZHI_1)
    clock.set(local(8.5))
    issued = directives.issue(
        ctx,
        HQ,
        title="危重症患者今日全部收治",
        due_at=local(18).isoformat(),
        units=[JIANGAN],
        target={"kind": "none_waiting", "priority_class": "critical"},
    )
    recipient = issued["recipients"][0]
    assert recipient["official_id"] == ctx.leads[JIANGAN]
    watch.watch(ctx)
    with pytest.raises(Conflict) as refused:
        directives.complete(ctx, Actor("jiangan", Role.UNIT_OFFICER, JIANGAN), recipient["id"], "已全部收治")
    assert refused.value.code == "directive.target_not_met" and "1 still waiting" in refused.value.en
    admit(ctx, clock, critical, local(10))
    assert watch.watch(ctx)["directives_completed_by_registry"] == 1
    done = directives.directive(ctx, HQ, issued["id"])["recipients"][0]
    assert (done["status"], done["completed_by"]) == ("completed", "system")


def test_an_overdue_directive_alerts_the_unit_above_and_escalates(city, clock):
    ctx = city
    clock.set(local(9))
    issued = directives.issue(ctx, HQ, title="排查辖区全部发热人员", due_at=local(12).isoformat(), units=[DAZHI])
    recipient = issued["recipients"][0]["id"]
    street = Actor("dazhi", Role.UNIT_OFFICER, DAZHI)
    directives.acknowledge(ctx, street, recipient)
    clock.set(local(12) + timedelta(minutes=1))
    assert watch.watch(ctx)["directives_overdue"] == 1
    clock.set(local(13) + timedelta(minutes=2))
    watch.watch(ctx)
    alerts = [a for a in watch.inbox(ctx, HQ)["alerts"] if a["kind"] == "directive_overdue"]
    # one alert, raised to the district and gone up to the city an hour later (the same alert, not a copy)
    assert [(a["responsible_unit"], a["target_unit"], a["step"], a["official_id"]) for a in alerts] == [
        (JIANGAN, CITY, 1, ctx.leads[DAZHI]),
    ]
    with pytest.raises(InvalidInput):
        directives.complete(ctx, street, recipient, "")
    directives.complete(ctx, street, recipient, "已排查 312 户")
    clock.set(local(15))
    watch.watch(ctx)
    assert [a for a in watch.inbox(ctx, HQ)["alerts"] if a["kind"] == "directive_overdue"] == []  # answered
    closed = [a for a in watch.inbox(ctx, HQ, state="all")["alerts"] if a["kind"] == "directive_overdue"]
    assert [(a["state"], a["step"]) for a in closed] == [("resolved", 1)]  # and it went no further


def test_a_unit_without_a_lead_is_an_alert_to_its_parent_until_one_is_assigned(ctx, clock):
    load_small_city(ctx, leads=False)
    watch.watch(ctx)
    vacant = {a["unit_code"]: a["target_unit"] for a in watch.inbox(ctx, HQ)["alerts"] if a["kind"] == "no_lead"}
    assert vacant[DAZHI_1] == DAZHI and vacant[JIANGAN] == CITY and vacant[CITY] == CITY and len(vacant) == 10
    lead = officials.add_official(ctx, HQ, name="冯社", title="社区书记", home_unit=DAZHI_1)
    assert officials.assign_lead(ctx, HQ, DAZHI_1, lead["id"])["no_lead_alerts_resolved"] == 1
    assert officials.responsibility(ctx, HQ, DAZHI_1)["lead"]["official_name"] == "冯社"
    assert DAZHI_1 not in {u["code"] for u in officials.vacancies(ctx, HQ)["units"]}


def test_a_handover_keeps_the_history_and_every_unit_has_one_lead_at_a_time(city, clock):
    ctx = city
    clock.set(local(12))
    newcomer = officials.add_official(ctx, HQ, name="钱新", title="区委常委", home_unit=CITY)
    officials.assign_lead(ctx, HQ, JIANGAN, newcomer["id"], reason="市级干部下沉")
    history = officials.responsibility(ctx, HQ, JIANGAN)["history"]
    assert [(h["official_id"], h["ends_at"]) for h in history] == [
        (ctx.leads[JIANGAN], local(12).isoformat()),
        (newcomer["id"], None),
    ]
    with pytest.raises(InvalidInput) as e:
        officials.assign_lead(ctx, HQ, JIANGAN, newcomer["id"])
    assert e.value.code == "lead.already_lead"
    district_official = officials.add_official(ctx, HQ, name="褚区", title="干部", home_unit=WUCHANG)
    with pytest.raises(InvalidInput) as e:
        officials.assign_lead(ctx, HQ, DAZHI, district_official["id"])  # 武昌区's official cannot lead 江岸区's street
    assert e.value.code == "lead.outside_home_unit"


def test_who_may_see_and_order_what(day):
    community = Actor("community", Role.UNIT_OFFICER, DAZHI_1)
    street = Actor("dazhi", Role.UNIT_OFFICER, DAZHI)
    assert scorecard_views.unit_card(day, community, DAZHI_1, day=DAY)["subject"]["code"] == DAZHI_1
    with pytest.raises(NotFound):
        scorecard_views.unit_card(day, community, DAZHI_2, day=DAY)
    with pytest.raises(NotFound):
        scorecard_views.official_card(day, community, day.leads[DAZHI_2], day=DAY)
    assert scorecard_views.unit_card(day, HQ, WUCHANG, day=DAY)["subject"]["code"] == WUCHANG  # HQ sees all
    with pytest.raises(NotFound):
        directives.issue(day, street, title="支援", due_at=local(30).isoformat(), units=[YIYUAN])  # a sibling street
    with pytest.raises(NotFound):
        directives.issue(day, street, title="上报", due_at=local(30).isoformat(), units=[JIANGAN])  # upwards
    with pytest.raises(Forbidden) as e:
        directives.issue(day, street, title="自查", due_at=local(30).isoformat(), units=[DAZHI])  # itself
    assert e.value.code == "directive.not_below"
    for role in (Role.ANALYST, Role.DISPATCHER, Role.FACILITY_OFFICER, Role.ADMIN):
        with pytest.raises(Forbidden):
            directives.issue(day, Actor("x", role, CITY), title="x", due_at=local(30).isoformat(), units=[DAZHI])
    sent = directives.issue(day, street, title="入户排查", due_at=local(30).isoformat(), broadcast_level="community")
    assert {r["unit_code"] for r in sent["recipients"]} == {DAZHI_1, DAZHI_2}
    other = Actor("yiyuan", Role.UNIT_OFFICER, YIYUAN)
    with pytest.raises(NotFound):
        directives.acknowledge(day, other, sent["recipients"][0]["id"])
    with pytest.raises(Forbidden):
        officials.add_official(day, street, name="x", title="x", home_unit=DAZHI_1)


def test_verification_names_waits_changed_behind_the_systems_back(day):
    from sqlalchemy import text

    from admitall.services.verify import verify

    assert verify(day)["ok"]
    with day.engine.begin() as conn:
        conn.execute(
            text("UPDATE wait_segments SET priority_class = 'contact' WHERE person_id = :p"), {"p": day.critical}
        )
    problems = verify(day)["problems"]
    assert [(p["table"], p["person"]) for p in problems] == [("wait_segments", day.critical)]
