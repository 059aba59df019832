"""The registry's services: scope, masking, audit, reclassification and the stock, on a real database."""

import pytest

from admitall.domain.access import Role
from admitall.domain.errors import Conflict, Forbidden, NotFound, TransitionRefused
from admitall.services import people
from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from tests.factories import (
    CITY,
    DAZHI,
    JIANGAN,
    WUCHANG,
    WUCHANG_1,
    YIYUAN,
    id_number,
    load_small_city,
    officer,
    person_row,
)
from tests.query_plans import plan, sqlite_only, statements_sent


@pytest.fixture
def registry(ctx):
    load_small_city(ctx)
    rows = [
        person_row(),
        person_row(
            name="李四", id_number=id_number(seq=2), phone="13900000002", category="confirmed", severity="severe"
        ),
        person_row(
            name="王五", id_number=id_number(seq=4), phone="13900000004", unit_code=WUCHANG_1, category="contact"
        ),
    ]
    summary = register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="seed")
    ctx.ids = summary.person_ids
    return ctx


def test_a_street_officer_asking_for_a_person_in_another_street_gets_not_found(registry):
    wuchang_person = registry.ids[4]
    with pytest.raises(NotFound):
        people.get_person(registry, officer(YIYUAN), registry.ids[2])
    with pytest.raises(NotFound):
        people.person_history(registry, officer(DAZHI), wuchang_person)
    assert people.get_person(registry, officer(JIANGAN), registry.ids[2])["name"] == "张三"


def test_search_stays_inside_the_jurisdiction(registry):
    found = people.search_people(registry, officer(DAZHI), q="王五")
    assert found["total"] == 0
    assert people.search_people(registry, officer(DAZHI), q="13900000002")["people"][0]["name"] == "李四"
    assert people.search_people(registry, officer(DAZHI), q=id_number(seq=2))["total"] == 1
    assert people.search_people(registry, cli_actor(), q="王")["total"] == 1
    with pytest.raises(NotFound):
        people.search_people(registry, officer(DAZHI), unit=WUCHANG_1)


def test_a_search_by_id_number_seeks_the_document_index_not_the_whole_subtree(registry):
    sqlite_only(registry.engine)
    with statements_sent(registry.engine) as sent:
        assert people.search_people(registry, officer(DAZHI), q=id_number(seq=2))["total"] == 1
    (sql, params), *_ = [(q, p) for q, p in sent if "WHERE" in q and "persons.document_number" in q.split("WHERE")[1]]
    steps = " ".join(plan(registry.engine, sql, params))
    assert "(document_type=? AND document_number=?)" in steps, steps


def test_personal_data_is_masked_for_the_commander_and_the_analyst_sees_no_one(registry):
    commander = officer(JIANGAN, Role.COMMANDER, "commander")
    shown = people.get_person(registry, commander, registry.ids[2])
    assert shown["document"] == id_number()[:6] + "********" + id_number()[-4:]
    assert shown["phone"] == "138****5678"
    history = people.person_history(registry, commander, registry.ids[2])
    assert history["events"][0]["data"]["document_number"] == "***"
    with pytest.raises(Forbidden):
        people.search_people(registry, officer(JIANGAN, Role.ANALYST, "analyst"))
    assert people.stock(registry, officer(JIANGAN, Role.ANALYST, "analyst"))["four_categories_total"] == 2


def test_reads_of_unmasked_personal_data_are_audited_and_masked_reads_are_not(registry):
    people.get_person(registry, officer(DAZHI, username="field"), registry.ids[2])
    people.get_person(registry, officer(JIANGAN, Role.COMMANDER, "boss"), registry.ids[2])
    with registry.uow() as uow:
        assert [e["action"] for e in uow.audit.entries(actor="field")] == ["read_person"]
        assert uow.audit.entries(actor="boss") == []


def test_reclassification_is_an_event_with_actor_and_reason(registry):
    pid = registry.ids[2]
    after = people.reclassify_person(registry, officer(), pid, "confirmed", severity="moderate", reason="PCR positive")
    assert (after["status"], after["severity"], after["version"]) == ("confirmed", "moderate", 2)
    events = people.person_history(registry, officer(), pid)["events"]
    assert events[-1]["kind"] == "reclassified" and events[-1]["actor"] == "officer"
    assert events[-1]["reason"] == "PCR positive"


def test_an_impossible_transition_is_refused_and_names_its_rule(registry):
    confirmed = registry.ids[3]
    with pytest.raises(TransitionRefused) as e:
        people.reclassify_person(registry, officer(), confirmed, "suspected", reason="oops")
    assert e.value.rule == "confirmed_stays_confirmed"
    assert people.get_person(registry, officer(), confirmed)["version"] == 1


def test_a_change_based_on_a_stale_version_is_refused(registry):
    pid = registry.ids[3]
    people.change_person_severity(registry, officer(), pid, "critical", expected_version=1)
    with pytest.raises(Conflict):
        people.change_person_severity(registry, officer(), pid, "moderate", expected_version=1)


def test_roles_without_the_permission_cannot_change_people(registry):
    with pytest.raises(Forbidden):
        people.reclassify_person(registry, officer(JIANGAN, Role.COMMANDER), registry.ids[2], "confirmed")
    with pytest.raises(Forbidden):
        people.register_person(registry, officer(JIANGAN, Role.DISPATCHER), person_row(name="新人"))


def test_the_stock_counts_by_category_severity_and_placement(registry, clock):
    from datetime import timedelta

    clock.advance(timedelta(hours=3))
    whole = people.stock(registry, cli_actor())
    assert whole["by_category"]["confirmed"] == 1 and whole["four_categories_total"] == 3
    assert whole["confirmed_by_severity"] == {"severe": 1}
    assert whole["waiting"] == 3
    assert whole["oldest_wait_hours"] == 5.0  # identified at 08:00 Wuhan time, now 13:00
    assert people.stock(registry, officer(DAZHI))["four_categories_total"] == 2


def test_registering_the_same_person_twice_merges(registry):
    first = people.register_person(
        registry, officer(), person_row(name="赵六", id_number=id_number(seq=6), phone="13900000006", category="fever")
    )
    again = people.register_person(
        registry,
        officer(),
        person_row(name="赵六", id_number=id_number(seq=6), phone="13900000006", category="suspected"),
    )
    assert (first["outcome"], again["outcome"]) == ("accepted", "merged")
    assert again["person"]["id"] == first["person"]["id"] and again["person"]["status"] == "suspected"


def test_a_registration_with_bad_fields_stores_nothing_and_names_them(registry):
    from admitall.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as e:
        people.register_person(registry, officer(), person_row(name="", phone="12", id_number=""))
    assert "name" in e.value.en and "phone" in e.value.en
    assert people.stock(registry, cli_actor())["four_categories_total"] == 3


def test_the_audit_log_shows_an_auditor_only_their_jurisdiction(registry):
    from admitall.services.audit import audit_trail

    people.get_person(registry, officer(DAZHI, username="dazhi-officer"), registry.ids[2])
    people.get_person(registry, officer(WUCHANG, username="wuchang-officer"), registry.ids[4])
    city = audit_trail(registry, officer(CITY, Role.COMMANDER, "boss"))["entries"]
    jiangan = audit_trail(registry, officer(JIANGAN, Role.COMMANDER, "district-boss"))["entries"]
    assert {"dazhi-officer", "wuchang-officer", "cli"} <= {e["actor"] for e in city}
    reads = [e for e in jiangan if e["action"] == "read_person"]
    assert [e["actor"] for e in reads] == ["dazhi-officer"] and reads[0]["target_id"] == str(registry.ids[2])
    assert all(e["unit_code"] is None or e["unit_code"].startswith("420102") for e in jiangan)
    with pytest.raises(Forbidden):
        audit_trail(registry, officer(DAZHI))


def test_concurrent_imports_each_land_whole_and_once(registry):
    import threading
    from datetime import date

    errors: list[BaseException] = []

    def import_list(k: int) -> None:
        rows = [
            (
                i + 2,
                person_row(
                    name=f"并发{k}", id_number=id_number(date(1970 + k, 1, 1), seq=i), phone=f"137{k:02d}{i:06d}"
                ),
            )
            for i in range(30)
        ]
        try:
            register_batch(registry, officer(JIANGAN, username=f"t{k}"), rows, source=f"list-{k}")
        except BaseException as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=import_list, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert people.stock(registry, cli_actor())["four_categories_total"] == 3 + 4 * 30
    with registry.uow() as uow:
        events = uow.conn.exec_driver_sql("SELECT count(*), count(DISTINCT person_id) FROM person_events").one()
    assert tuple(events) == (123, 123)


def test_a_unit_code_that_is_not_a_code_is_a_clear_error(registry):
    from admitall.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="12 digits"):
        people.search_people(registry, officer(DAZHI), unit="abc")


def test_the_same_new_person_registered_by_two_batches_at_once_is_never_stored_twice(registry):
    import threading
    import time

    from admitall.domain.errors import Conflict as ConflictError

    first_is_writing, second_started = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}
    row = person_row(name="同时", id_number=id_number(seq=77), phone="13600000077")

    def hold(stage, done, total):
        if stage == "saving":  # inside the first batch's transaction, its person inserted, not committed
            first_is_writing.set()
            second_started.wait(5)
            time.sleep(1)  # time for the second to look the person up, find no one, and try to insert

    def first():
        outcome["first"] = register_batch(registry, officer(), [(2, row)], source="a", progress=hold).accepted

    def second():
        first_is_writing.wait(5)
        second_started.set()
        try:
            summary = register_batch(registry, officer(), [(2, row)], source="b")
            outcome["second"] = "merged" if summary.merged else "accepted"
        except ConflictError:
            outcome["second"] = "conflict"

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcome["first"] == 1
    # SQLite queues the second writer until the first commits, so it merges; PostgreSQL lets it run into the
    # unique index, and it is refused as a conflict with nothing stored
    assert outcome["second"] == ("merged" if registry.engine.dialect.name == "sqlite" else "conflict")
    assert people.search_people(registry, officer(), q=id_number(seq=77))["total"] == 1
