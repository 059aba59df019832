"""Public help requests (issue 16 §1) on SQLite and PostgreSQL: asking, following, folding, throttling, linking
to the registry, deadlines and escalation, the community's actions and who may take them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, InvalidInput, NotFound, TooMany
from admitall.services import help_request_lists as lists
from admitall.services import help_requests as hr
from admitall.services.command import command_screen
from admitall.services.context import Actor
from admitall.services.people import person_history
from admitall.services.registration import register_batch
from admitall.services.watch import watch
from admitall.store.tables import alerts, persons
from tests.factories import CITY, DAZHI, DAZHI_1, DAZHI_2, JIANGAN, id_number, load_small_city, officer, person_row

CLIENT = "10.0.0.1"
COMMUNITY = officer(DAZHI_1, username="community")
OTHER_COMMUNITY = officer(DAZHI_2, username="other")
COMMANDER = Actor("commander", Role.COMMANDER, CITY)
ANALYST = Actor("analyst", Role.ANALYST, CITY)


def ask(ctx, client: str = CLIENT, **fields):
    row = {"name": "李四", "phone": "13900000001", "unit_code": DAZHI_1, "address": "1栋2单元301", **fields}
    return hr.submit(ctx, row, client)


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    return ctx


def test_a_request_answers_a_number_and_a_code_that_show_only_the_trail(city):
    answer = ask(city, breathless="1", symptoms="咳嗽两天")
    assert answer["folded"] is False and answer["urgency"] == "critical"
    assert len(answer["number"]) == 10 and len(answer["code"]) == 8
    shown = hr.status(city, answer["number"], answer["code"].lower(), CLIENT)  # case does not matter
    assert [s["kind"] for s in shown["trail"]] == ["received", "assigned"]
    assert shown["trail"][1]["unit_name"] == "幸福社区"
    text = str(shown)
    for secret in ("李四", "13900000001", "咳嗽", "1栋"):
        assert secret not in text


def test_a_wrong_code_answers_exactly_as_a_wrong_number_and_is_throttled(city):
    city.settings.help_status_failures = 3
    answer = ask(city)
    with pytest.raises(NotFound) as wrong_code:
        hr.status(city, answer["number"], "AAAAAAAA", CLIENT)
    with pytest.raises(NotFound) as wrong_number:
        hr.status(city, "1234567890", answer["code"], CLIENT)
    assert wrong_code.value.as_dict() == wrong_number.value.as_dict()
    with pytest.raises(NotFound):
        hr.status(city, answer["number"], "22222222", CLIENT)
    with pytest.raises(InvalidInput):  # nothing given is a form to complete, not a guess
        hr.status(city, answer["number"], " ", CLIENT)
    with pytest.raises(TooMany):  # the right code too, once the address has failed too often
        hr.status(city, answer["number"], answer["code"], CLIENT)
    assert hr.status(city, answer["number"], answer["code"], "10.0.0.2")["number"] == answer["number"]


def test_every_field_at_fault_is_named_in_both_languages(city):
    with pytest.raises(hr.HelpInvalid) as caught:
        hr.submit(
            city, {"name": "张\u202e三", "phone": "12", "id_number": "420102", "unit_code": "", "age": "300"}, CLIENT
        )
    fields = caught.value.as_dict("en")["fields"]
    assert set(fields) == {"name", "phone", "id_number", "unit_code", "address", "age"}
    zh = caught.value.as_dict("zh")["fields"]
    assert zh["unit_code"] == "请搜索并选择所在社区" and fields["unit_code"].startswith("Search for your community")


def test_a_street_or_an_unknown_code_is_no_community(city):
    for code in (DAZHI, "420102002099"):
        with pytest.raises(hr.HelpInvalid) as caught:
            ask(city, unit_code=code)
        assert caught.value.field == "unit_code"


def test_the_same_person_asking_again_while_open_is_folded_and_made_more_urgent(city):
    first = ask(city)
    again = ask(city, breathless="on")
    assert again == {"number": first["number"], "code": None, "folded": True, "urgency": "critical", "hours": 1}
    listed = lists.list_requests(city, COMMUNITY)
    assert listed["total"] == 1 and listed["requests"][0]["repeats"] == 1
    assert listed["requests"][0]["deadline_at"] == (city.clock.now() + timedelta(hours=1)).isoformat()
    assert ask(city, name="王五")["folded"] is False  # another person at the same phone is another request
    lists.act(city, COMMUNITY, listed["requests"][0]["id"], "closed", "helped")
    city.clock.advance(timedelta(minutes=11))  # a fold counts against the phone's limit too
    assert ask(city)["number"] != first["number"]  # closed: a new request


def test_submissions_are_throttled_per_phone_and_capped_per_day(city):
    city.settings.help_phone_per_window = 2
    city.settings.help_phone_per_day = 3
    ask(city, name="甲")
    ask(city, name="乙")
    with pytest.raises(TooMany):
        ask(city, name="丙")
    city.clock.advance(timedelta(minutes=11))
    ask(city, name="丁")
    city.clock.advance(timedelta(minutes=11))
    with pytest.raises(TooMany) as daily:
        ask(city, name="戊")
    assert daily.value.retry_after == 24 * 3600
    city.clock.advance(timedelta(days=1))
    ask(city, name="戊")


def test_submissions_are_throttled_per_client_address(city):
    city.settings.help_address_per_window = 2
    ask(city, name="甲", phone="13900000101")
    ask(city, name="乙", phone="13900000102")
    with pytest.raises(TooMany):
        ask(city, name="丙", phone="13900000103")
    ask(city, name="丙", phone="13900000103", client="10.9.9.9")


def _person_ids(ctx):
    with ctx.engine.connect() as conn:
        return list(conn.execute(select(persons.c.id).order_by(persons.c.id)).scalars())


def test_a_known_person_gets_the_request_on_their_record_and_no_new_record(city):
    register_batch(city, officer(), [(2, person_row())], source="t")
    known = _person_ids(city)
    ask(city, name="张三", phone="13700000000", id_number=id_number(), breathless="1")
    assert hr.link_pending(city) == {"linked_known": 1, "registered": 0}
    assert _person_ids(city) == known
    history = person_history(city, officer(), known[0])
    last = history["events"][-1]
    assert last["kind"] == "help_requested" and last["data"]["urgency"] == "critical"
    row = lists.list_requests(city, COMMUNITY)["requests"][0]
    assert row["person_id"] == known[0]


def test_a_known_person_is_found_by_name_and_phone_without_an_id_number(city):
    register_batch(city, officer(), [(2, person_row(id_number=None))], source="t")
    ask(city, name="张三", phone="13812345678")
    assert hr.link_pending(city)["linked_known"] == 1


@pytest.mark.parametrize(
    ("said", "status"),
    [
        ({"fever_days": "3"}, "fever"),
        ({"tested_positive": "1"}, "suspected"),  # never confirmed on a resident's word
        ({"told_contact": "1"}, "contact"),
        ({"told_contact": "1", "symptoms": "发热"}, "fever"),
    ],
)
def test_an_unknown_resident_is_registered_in_the_right_category_once(city, said, status):
    ask(city, age="70", chronic="1", **said)
    assert hr.link_pending(city) == {"linked_known": 0, "registered": 1}
    assert hr.link_pending(city) == {"linked_known": 0, "registered": 0}  # nothing left to link
    history = person_history(city, officer(), _person_ids(city)[0])
    person = history["person"]
    assert person["status"] == status and person["unit_code"] == DAZHI_1 and person["placement"] == "waiting"
    request = history["events"][-1]  # the request on the new record too, with what is to be checked
    assert request["kind"] == "help_requested"
    assert request["data"].get("to_check") == ("tested_positive" if said.get("tested_positive") else None)
    assert set(person["risks"]) == {"elderly", "comorbidity"}
    assert len(_person_ids(city)) == 1


def _help_alerts(ctx):
    with ctx.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(alerts).where(alerts.c.kind == "help_overdue"))]


def test_a_request_nobody_acts_on_goes_up_the_chain_until_someone_acts(ctx):
    city_leads = load_small_city(ctx)
    city = ctx
    ask(city, breathless="1")
    normal = ask(city, name="王五")
    city.clock.advance(timedelta(minutes=59))
    watch(city)
    assert _help_alerts(city) == []
    city.clock.advance(timedelta(minutes=2))
    watch(city)
    [alert] = _help_alerts(city)
    assert alert["unit_code"] == DAZHI_1 and alert["target_unit"] == DAZHI and alert["escalated_to"] is None
    assert alert["official_id"] == city_leads[DAZHI_1]  # the community's lead is told as well
    counts = lists.list_requests(city, COMMUNITY)["counts"]
    assert (counts["open"], counts["critical"], counts["overdue"]) == (2, 1, 1)
    city.clock.advance(timedelta(hours=1))
    watch(city)
    [alert] = _help_alerts(city)
    assert alert["escalated_to"] == JIANGAN and alert["escalations"] == 1
    lists.act(city, COMMUNITY, alert["subject_id"], "called")
    [alert] = _help_alerts(city)
    assert alert["resolved_at"] is not None
    city.clock.advance(timedelta(hours=5))  # the normal one: 6 hours
    watch(city)
    later = [a for a in _help_alerts(city) if a["resolved_at"] is None]
    assert [a["detail"]["number"] for a in later] == [normal["number"]]


def test_the_list_puts_critical_first_then_the_oldest_and_counts_for_the_screen(city):
    ask(city, name="甲")
    city.clock.advance(timedelta(minutes=5))
    ask(city, name="乙", phone="13900000002")
    city.clock.advance(timedelta(minutes=5))
    ask(city, name="丙", phone="13900000003", breathless="1")
    ask(city, name="丁", phone="13900000004", unit_code=DAZHI_2)
    names = [r["name"] for r in lists.list_requests(city, COMMUNITY)["requests"]]
    assert names == ["丙", "甲", "乙"]  # 丁 is another community's
    assert lists.list_requests(city, officer(DAZHI))["total"] == 4
    screen = command_screen(city, COMMANDER)["help_requests"]
    assert (screen["open"], screen["critical"]) == (4, 1)
    assert screen["items"][0]["urgency"] == "critical" and "name" not in screen["items"][0]


def test_only_the_owning_community_and_units_above_act_and_the_buttons_say_so(city):
    ask(city)
    request_id = lists.list_requests(city, COMMUNITY)["requests"][0]["id"]
    with pytest.raises(NotFound):
        lists.act(city, OTHER_COMMUNITY, request_id, "called")
    with pytest.raises(NotFound):
        lists.get_request(city, OTHER_COMMUNITY, request_id)
    seen = lists.list_requests(city, COMMANDER)["requests"][0]
    assert seen["may_act"] is False
    with pytest.raises(Forbidden):
        lists.act(city, COMMANDER, request_id, "called")
    with pytest.raises(Forbidden):
        lists.list_requests(city, ANALYST)
    assert lists.list_requests(city, officer(DAZHI))["requests"][0]["may_act"] is True
    with pytest.raises(InvalidInput):
        lists.act(city, COMMUNITY, request_id, "closed")  # closing needs a reason
    done = lists.act(city, COMMUNITY, request_id, "visited")
    assert done["trail"][-1]["kind"] == "visited" and done["may_act"] is True
    done = lists.act(city, COMMUNITY, request_id, "closed", "not_needed")
    assert done["state"] == "closed" and done["may_act"] is False
    with pytest.raises(InvalidInput):
        lists.act(city, COMMUNITY, request_id, "called")


def test_masked_roles_see_no_phone_id_or_words_and_unmasked_reads_are_audited(city):
    ask(city, id_number=id_number(), symptoms="发热咳嗽")
    masked = lists.list_requests(city, COMMANDER)["requests"][0]
    assert masked["phone"] != "13900000001" and masked["symptoms"] is None and masked["address"] == "***"
    assert id_number() not in str(masked)
    shown = lists.list_requests(city, COMMUNITY)["requests"][0]
    assert shown["phone"] == "13900000001" and shown["symptoms"] == "发热咳嗽"
    lists.get_request(city, COMMUNITY, shown["id"])
    with city.uow() as uow:
        actions = [e["action"] for e in uow.audit.entries(actor="community")]
        public = [e["action"] for e in uow.audit.entries(actor="public")]
    assert "read_help_requests" in actions and "read_help_request" in actions
    with city.uow() as uow:  # a masked read is on record too
        assert [e["action"] for e in uow.audit.entries(actor="commander")] == ["read_help_requests"]
    assert "help_request_received" in public


def test_registered_links_at_once_and_the_public_trail_says_so(city):
    answer = ask(city, fever_days="2")
    request_id = lists.list_requests(city, COMMUNITY)["requests"][0]["id"]
    done = lists.act(city, COMMUNITY, request_id, "registered")
    assert done["person_id"] is not None
    kinds = [s["kind"] for s in hr.status(city, answer["number"], answer["code"], CLIENT)["trail"]]
    assert kinds == ["received", "assigned", "registered"]  # the action and the registration it made: one step


def test_submissions_at_the_same_moment_are_each_stored_once_and_the_throttle_holds_across_them(city):
    from concurrent.futures import ThreadPoolExecutor

    city.settings.help_phone_per_window = 3

    def one(i: int) -> str:
        try:
            return ask(city, name=f"居民{i}", phone="13900000999" if i < 6 else f"139000010{i:02d}")["number"]
        except TooMany:
            return "refused"

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(one, range(30)))
    assert answers.count("refused") == 3  # six for one phone, three allowed
    numbers = [a for a in answers if a != "refused"]
    assert len(set(numbers)) == 27 == lists.list_requests(city, COMMUNITY)["total"]


def test_the_resident_sees_the_facility_that_admitted_the_patient(city):
    from admitall.services.admission import allocate, desk_step
    from tests.factories import load_small_facilities

    load_small_facilities(city)
    answer = ask(city, fever_days="3")
    hr.link_pending(city)
    person_id = lists.list_requests(city, COMMUNITY)["requests"][0]["person_id"]
    city.clock.advance(timedelta(minutes=10))
    planned = allocate(city, Actor("dispatcher", Role.DISPATCHER, CITY), commit=True)
    [placed] = [a for a in planned["assignments"] if a["person"] == person_id]
    desk = Actor("desk", Role.FACILITY_OFFICER, CITY, facility_code=placed["facility"])
    desk_step(city, desk, person_id, "admit")
    trail = hr.status(city, answer["number"], answer["code"], CLIENT)["trail"]
    assert trail[-1]["kind"] == "admitted" and trail[-1]["facility_name"] == f"{placed['facility']} 机构"
