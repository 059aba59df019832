"""Fourteen days of observation: contacts put under observation from their last exposure, their team's due list,
checks twice a day (a second one in a slot refused), fever or a symptom moving the person to `fever` at once with
the event saying why, one missed-check alert per person and day through the watch, release only at the end and
only without symptoms, and the team's reach (others refused as not found)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select, text

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, NotFound, TransitionRefused
from admitall.services.context import Actor, cli_actor
from admitall.services.observation import due_list, person_observation, release
from admitall.services.observation_checks import MISSED_CHECK, CheckInput, observation_round, record_checks
from admitall.services.registration import register_batch
from admitall.services.tracing import ExposureInput, register_exposures
from admitall.services.verify import verify
from admitall.store.tables import alerts
from tests.factories import DAZHI, DAZHI_1, WUCHANG_1, id_number, load_small_city, person_row

TEAM = Actor("team", Role.UNIT_OFFICER, DAZHI_1)
ELSEWHERE = Actor("other", Role.UNIT_OFFICER, WUCHANG_1)
EXPOSED = date(2020, 2, 8)


def local(clock, day: int, hour: int, minute: int = 0) -> None:
    """Move the clock to Wuhan's local time on February `day`."""
    clock.set(datetime(2020, 2, day, hour - 8, minute, tzinfo=UTC) if hour >= 8 else
              datetime(2020, 2, day - 1, hour + 16, minute, tzinfo=UTC))  # fmt: skip


def people(ctx, categories: list[str]) -> list[int]:
    rows = [
        (i + 2, person_row(name=f"张{i}", id_number=id_number(seq=200 + i), phone=f"1381234{5600 + i}", category=c))
        for i, c in enumerate(categories)
    ]
    summary = register_batch(ctx, cli_actor(), rows, source="t")
    return [summary.person_ids[i + 2] for i in range(len(categories))]


@pytest.fixture
def world(ctx, clock):
    """A confirmed case in 幸福社区 and three of its contacts under observation since 10:00 on 10 February."""
    load_small_city(ctx)
    case, *contacts = people(ctx, ["confirmed", "contact", "contact", "contact"])
    summary = register_exposures(
        ctx, cli_actor(), [ExposureInput(c, case, EXPOSED, "household") for c in contacts], source="t"
    )
    assert summary.recorded == 3 and summary.observations_started == 3
    return case, contacts


def missed_alerts(ctx) -> list[tuple[int, datetime]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(alerts.c.subject_id, alerts.c.period_start).where(alerts.c.kind == MISSED_CHECK)
        ).all()
    return sorted((r[0], r[1]) for r in rows)


def round_now(ctx) -> dict:
    with ctx.uow(write=True) as uow:
        result = observation_round(ctx, uow, ctx.clock.now(), {})
        uow.commit()
    return result


def test_observation_runs_from_the_last_exposure_for_the_policys_days(ctx, world):
    _case, contacts = world
    seen = person_observation(ctx, TEAM, contacts[0])
    assert seen["state"] == "active" and seen["starts_on"] == "2020-02-08" and seen["ends_on"] == "2020-02-22"
    # a later exposure to another case moves the window on; it never starts a second observation
    other, *_ = people(ctx, ["confirmed"])
    register_exposures(ctx, cli_actor(), [ExposureInput(contacts[0], other, date(2020, 2, 9), "work")])
    assert person_observation(ctx, TEAM, contacts[0])["ends_on"] == "2020-02-23"
    with ctx.engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM observations WHERE person_id = :p"), {"p": contacts[0]}).scalar()
    assert n == 1


def test_the_due_list_shows_each_slot_and_a_morning_past_at_registration_is_not_due(ctx, clock, world):
    _case, _contacts = world
    local(clock, 10, 14)
    listed = due_list(ctx, TEAM)
    assert listed["total"] == 3 and listed["day"] == "2020-02-10"
    row = listed["people"][0]
    assert [s["state"] for s in row["slots"]] == ["not_due", "due"]
    assert row["place"] == "home" and row["team_unit"] == DAZHI_1 and row["phone"] is not None
    assert row["day_of"] == 3
    # a masked role sees the list without phones; a unit elsewhere sees nobody of it
    commander = Actor("cmd", Role.COMMANDER, DAZHI)
    assert all(p["phone"] is None for p in due_list(ctx, commander)["people"])
    assert due_list(ctx, ELSEWHERE)["total"] == 0
    with pytest.raises(NotFound):
        due_list(ctx, ELSEWHERE, unit=DAZHI_1)


def test_a_check_fills_its_slot_once_and_the_team_alone_may_record_it(ctx, clock, world):
    _case, contacts = world
    local(clock, 10, 15)
    done = record_checks(ctx, TEAM, [CheckInput(contacts[0], 36.6), CheckInput(contacts[0], 36.7)])
    assert done.recorded == 1 and [code for _, code, _ in done.refused] == ["check.already_recorded"]
    refused = record_checks(ctx, ELSEWHERE, [CheckInput(contacts[1], 36.5)])
    assert [code for _, code, _ in refused.refused] == ["person.not_found"]
    bad = record_checks(ctx, TEAM, [CheckInput(contacts[1], 31.0), CheckInput(contacts[1], 36.5, ("头疼x",))])
    assert [code for _, code, _ in bad.refused] == ["check.temperature_invalid", "check.symptom_invalid"]
    with pytest.raises(Forbidden):
        record_checks(ctx, Actor("analyst", Role.ANALYST, DAZHI), [CheckInput(contacts[1], 36.5)])
    assert [s["state"] for s in due_list(ctx, TEAM)["people"][0]["slots"]][1] == "done"


def test_fever_or_a_symptom_moves_the_person_to_fever_at_once_with_the_reason(ctx, clock, world):
    _case, contacts = world
    local(clock, 10, 15)
    summary = record_checks(
        ctx,
        TEAM,
        [CheckInput(contacts[0], 37.8), CheckInput(contacts[1], 36.8, ("cough",)), CheckInput(contacts[2], 37.2)],
    )
    assert summary.converted == sorted(contacts[:2])
    with ctx.engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT id, status FROM persons WHERE id IN (:a, :b, :c)"), dict(
            zip("abc", contacts, strict=True))).all())  # fmt: skip
        reason = conn.execute(
            text("SELECT reason FROM person_events WHERE person_id = :p AND kind = 'reclassified'"),
            {"p": contacts[0]},
        ).scalar()
        waiting = conn.execute(text("SELECT placement FROM persons WHERE id = :p"), {"p": contacts[0]}).scalar()
    assert statuses == {contacts[0]: "fever", contacts[1]: "fever", contacts[2]: "contact"}
    assert "37.8" in reason and "37.3" in reason
    assert waiting == "waiting"  # in the admission engine's queue, now as febrile
    assert person_observation(ctx, TEAM, contacts[0])["state"] == "converted"
    assert due_list(ctx, TEAM)["total"] == 1
    assert verify(ctx)["ok"] is True


def test_a_missed_check_is_one_alert_per_person_and_day_through_the_watch(ctx, clock, world):
    _case, contacts = world
    local(clock, 10, 15)
    record_checks(ctx, TEAM, [CheckInput(contacts[0], 36.5)])
    local(clock, 10, 20, 5)
    first = round_now(ctx)
    assert first["missed_checks_raised"] == 2
    assert round_now(ctx)["missed_checks_raised"] == 0  # the next round raises nothing again
    local(clock, 11, 20, 30)  # both of the next day's checks missed by all three: one alert each for the day
    assert round_now(ctx)["missed_checks_raised"] == 3
    found = missed_alerts(ctx)
    assert len(found) == 5 and len(set(found)) == 5
    assert verify(ctx)["ok"] is True


def test_the_watch_round_raises_missed_checks_and_ends_observations_of_former_contacts(ctx, clock, world):
    from admitall.services import watch
    from admitall.services.person_steps import Step, apply_steps

    _case, contacts = world
    steps = apply_steps(ctx, TEAM, [Step(contacts[2], "reclassify", to="confirmed", severity="mild")], source="t")
    assert not steps.refused
    local(clock, 10, 21)
    result = watch.watch(ctx)
    assert (result["missed_checks_raised"], result["observations_ended"]) == (2, 1), result
    assert person_observation(ctx, TEAM, contacts[2])["state"] == "ended"


def test_a_round_looks_at_the_deadlines_and_the_changes_since_the_last_and_the_days_first_at_everyone(
    ctx, clock, world
):
    """Hourly rounds cost what happened since the last one: a slot is looked at once, by the first round after its
    deadline; a change of category, by the next round; a change made behind the system's back (no event), by the
    first round of the next local day, which looks at every active observation."""
    from admitall.services import watch
    from admitall.services.person_steps import Step, apply_steps

    _case, contacts = world
    local(clock, 10, 20, 5)
    assert watch.watch(ctx)["missed_checks_raised"] == 3  # the evening's check, by all three
    local(clock, 10, 20, 30)
    steps = [Step(contacts[2], "reclassify", to="confirmed", severity="mild")]
    assert not apply_steps(ctx, TEAM, steps, source="t").refused
    with ctx.engine.begin() as conn:  # by hand: no event says it
        conn.execute(text("UPDATE persons SET status = 'fever' WHERE id = :p"), {"p": contacts[1]})
    seen: list[str] = []
    event.listen(ctx.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    local(clock, 10, 21, 5)
    result = watch.watch(ctx)
    assert (result["missed_checks_raised"], result["observations_ended"]) == (0, 1), result
    assert not [sql for sql in seen if "observation_checks.slot" in sql]  # no deadline passed since the last round
    assert person_observation(ctx, TEAM, contacts[2])["state"] == "ended"
    assert person_observation(ctx, TEAM, contacts[1])["state"] == "active"
    local(clock, 11, 0, 5)
    assert watch.watch(ctx)["observations_ended"] == 1
    assert person_observation(ctx, TEAM, contacts[1])["state"] == "converted"


def test_release_only_at_the_end_and_without_symptoms(ctx, clock, world):
    _case, contacts = world
    local(clock, 12, 10)
    with pytest.raises(TransitionRefused) as early:
        release(ctx, TEAM, contacts[0])
    assert early.value.code.endswith("observation_not_over")
    with pytest.raises(NotFound):
        release(ctx, ELSEWHERE, contacts[0])
    local(clock, 22, 9)
    done = release(ctx, TEAM, contacts[0])
    assert done["status"] == "released"
    assert person_observation(ctx, TEAM, contacts[0])["state"] == "released"
    from admitall.services.backlog import backlog

    assert backlog(ctx, cli_actor())["outflow"]["released"]["last_hour"] == 1


def test_the_twin_records_exposures_and_checks_from_the_agents_timelines(ctx, clock):
    from admitall.sim.epidemic import CASE, CONTACT, Agent
    from admitall.sim.observation import ObservationTwin
    from admitall.sim.runner import FIELD

    load_small_city(ctx)
    case = Agent(0, DAZHI_1, CASE, 0.0, "confirmed", 50, True, False)
    ill = Agent(1, DAZHI_1, CONTACT, 8.0, "contact", 30, False, False, steps=[(40.0, "reclassify", "fever", None)],
                source=0)  # fmt: skip
    well = Agent(2, DAZHI_1, CONTACT, 8.0, "contact", 31, True, False, source=0)
    ids = people(ctx, ["confirmed", "contact", "contact"])
    start = datetime(2020, 2, 9, 16, 0, tzinfo=UTC)  # local midnight on 10 February
    twin = ObservationTwin(ctx, FIELD, start.astimezone(ctx.settings.tz), miss_share=0.0)
    assert twin.registered([case], {0: ids[0]}) is None
    traced = twin.registered([ill, well], {1: ids[1], 2: ids[2]})
    assert traced.recorded == 2 and traced.observations_started == 2
    assert twin.hour(32) is None  # 08:00 is no check hour
    local(clock, 11, 9)
    summary = twin.hour(33)
    assert summary.recorded == 2 and summary.converted == [ids[1]]
    assert list(twin.watched) == [ids[2]]
    with ctx.engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM persons WHERE id = :p"), {"p": ids[1]}).scalar()
    assert status == "fever"


def test_the_twin_plays_observation_when_its_scenario_asks_and_follows_every_conversion():
    from collections import Counter

    from admitall.sim.run import run_scenario
    from admitall.sim.runner import Run
    from admitall.sim.scenario import load_scenario

    def by_category(run: Run, hour: float) -> None:
        """The run's people by category are the registry's: a contact a check found febrile was read back."""
        kept: Counter[str] = Counter()
        for (_, status, _), n in run.recorder.stock.items():
            kept[status] += n
        with run.ctx.engine.connect() as conn:
            stored = Counter(dict(conn.execute(text("SELECT status, count(*) FROM persons GROUP BY status")).all()))
        assert +kept == +stored, f"hour {hour}"

    scenario = load_scenario("small", ["operations.observation=true"])
    finished = run_scenario(scenario, days=8, on_hour=by_category)  # long enough for infected contacts to fall ill
    with finished.context.engine.connect() as conn:
        exposures, observed, checks, alerts_, converted = (
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in (
                "exposures",
                "observations",
                "observation_checks",
                "alerts WHERE kind = 'missed_check'",
                "observations WHERE state = 'converted'",
            )
        )
    assert exposures > 0 and observed > 0 and checks > 0 and alerts_ > 0
    assert converted > 0  # a check found a fever: the person moved, and the run followed (by_category, every hour)
    assert verify(finished.context)["ok"] is True
    assert load_scenario("small").operations.observation is False


def test_a_contact_in_a_quarantine_room_is_the_quarantine_points_to_check(ctx, clock, world):
    from admitall.services.admission import Confirmation, confirm
    from admitall.services.person_steps import Step, apply_steps
    from tests.factories import YIYUAN, load_small_facilities

    _case, contacts = world
    load_small_facilities(ctx)
    moved = contacts[0]
    assert confirm(ctx, Actor("disp", Role.DISPATCHER, None), [Confirmation(moved, "Q1", "quarantine_room")])
    steps = [Step(moved, "depart"), Step(moved, "admit")]
    assert not apply_steps(ctx, Actor("desk", Role.FACILITY_OFFICER, None), steps, source="t").refused
    local(clock, 10, 15)
    point = Actor("point", Role.UNIT_OFFICER, YIYUAN)
    desk = Actor("q1", Role.FACILITY_OFFICER, YIYUAN, facility_code="Q1")
    other_desk = Actor("f1", Role.FACILITY_OFFICER, DAZHI, facility_code="F1")
    row = next(p for p in due_list(ctx, point)["people"] if p["person_id"] == moved)
    assert (row["place"], row["facility_code"], row["team_unit"]) == ("quarantine_room", "Q1", YIYUAN)
    assert moved not in {p["person_id"] for p in due_list(ctx, TEAM)["people"]}
    assert [p["person_id"] for p in due_list(ctx, desk)["people"]] == [moved]
    assert due_list(ctx, other_desk)["total"] == 0
    refused = record_checks(ctx, TEAM, [CheckInput(moved, 36.5)])
    assert [code for _, code, _ in refused.refused] == ["person.not_found"]
    assert record_checks(ctx, other_desk, [CheckInput(moved, 36.5)]).recorded == 0
    assert record_checks(ctx, desk, [CheckInput(moved, 36.5)]).recorded == 1


def test_the_policy_can_send_fever_to_suspected_and_ask_a_negative_test_before_release(ctx, clock, world):
    from dataclasses import replace

    from admitall.domain.observation import ObservationRules
    from admitall.domain.people import Status

    _case, contacts = world
    ctx.policy = replace(
        ctx.policy, observation=ObservationRules(fever_moves_to=Status.SUSPECTED, release_needs_negative_test=True)
    )
    local(clock, 10, 15)
    assert record_checks(ctx, TEAM, [CheckInput(contacts[0], 38.0)]).converted == [contacts[0]]
    with ctx.engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM persons WHERE id = :p"), {"p": contacts[0]}).scalar()
    assert status == "suspected"
    local(clock, 22, 9)
    with pytest.raises(TransitionRefused) as untested:
        release(ctx, TEAM, contacts[1])
    assert untested.value.code.endswith("release_needs_negative_test")
    assert release(ctx, TEAM, contacts[1], test="negative")["status"] == "released"
