"""The allocation snapshot: brief rows, kept between plans and brought up to date by what changed — every plan sees
exactly who waits now, reads again only who changed (on SQLite), and lists what the page shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from admitall.domain.access import Role
from admitall.services import admission, people
from admitall.services.allocation_snapshot import waiting_people
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from tests.factories import JIANGAN, WUCHANG_STREET, id_number, load_small_city, load_small_facilities, person_row

DISPATCHER = Actor("dispatcher", Role.DISPATCHER, None)
OFFICER = Actor("officer", Role.UNIT_OFFICER, None)


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    load_small_facilities(ctx)
    return ctx


def register(ctx, n: int, **fields) -> int:
    row = person_row(name=f"病人{n}", id_number=id_number(seq=n), phone=f"139{n:08d}", **fields)
    return register_batch(ctx, cli_actor(), [(2, row)], source="test").person_ids[2]


def desk_of(code: str) -> Actor:
    return Actor(f"desk-{code}", Role.FACILITY_OFFICER, None, facility_code=code)


def as_registry_says(ctx, root: str | None) -> dict[int, tuple[str | None, int, bool]]:
    """Who needs a bed, read whole the old way (full people): class, version, waiting for a transfer."""
    with ctx.uow() as uow:
        found = uow.persons.needing_beds(root)
    return {
        p.id: (c.value if (c := ctx.policy.classify(p)) else None, p.version, p.awaiting_transfer)
        for p in found
        if p.id is not None
    }


def as_planned(ctx, root: str | None) -> dict[int, tuple[str | None, int, bool]]:
    with ctx.uow() as uow:
        kept = waiting_people(ctx, uow, root)
    return {
        w.person_id: (w.priority_class.value if w.priority_class else None, w.version, w.transfer_from is not None)
        for w in kept.values()
    }


def test_each_plan_sees_exactly_who_waits_after_every_kind_of_change(city, clock):
    mild = register(city, 1, category="confirmed", severity="mild")
    suspected = register(city, 2, category="suspected")
    contact = register(city, 3, category="contact", unit_code=WUCHANG_STREET[:9] + "001")
    admission.allocate(city, DISPATCHER, commit=True)  # the list is kept from here on
    assert as_planned(city, None) == as_registry_says(city, None)

    clock.advance(timedelta(hours=1))
    admission.desk_step(city, desk_of("S1"), mild, "admit")
    people.change_person_severity(city, desk_of("S1"), mild, "severe")  # admitted, now waits for a transfer
    people.reclassify_person(city, OFFICER, suspected, "excluded", reason="核酸阴性")  # leaves the four categories
    newcomer = register(city, 4, category="fever")
    after = as_planned(city, None)
    assert after == as_registry_says(city, None)
    assert after[mild] == ("severe", after[mild][1], True) and suspected not in after and newcomer in after
    assert (contact in after) is (contact in as_registry_says(city, None))
    assert as_planned(city, JIANGAN) == as_registry_says(city, JIANGAN)


def test_after_the_first_plan_only_the_people_who_changed_are_read_again(city):
    for n in range(1, 6):
        register(city, n, category="contact")
    admission.plan_admissions(city, DISPATCHER)
    changed = register(city, 9, category="suspected")
    statements: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "persons.risks" in statement:  # a read of brief rows
            statements.append((statement, parameters))

    event.listen(city.engine, "before_cursor_execute", seen)
    try:
        plan = admission.plan_admissions(city, DISPATCHER)
    finally:
        event.remove(city.engine, "before_cursor_execute", seen)
    assert plan["waiting_by_class"] == {"contact": 5, "suspected": 1}
    if city.engine.dialect.name == "sqlite":
        ((statement, parameters),) = statements
        assert "IN (" in statement and changed in list(parameters)
    else:  # PostgreSQL reads the list whole each time (see services/allocation_snapshot.py)
        assert len(statements) == 1


def test_the_plan_lists_every_assignment_and_counts_the_unplaced_beyond_its_first_page(city, monkeypatch):
    monkeypatch.setattr(admission, "UNPLACED_SHOWN", 2)
    ids = [register(city, n, category="suspected") for n in range(1, 6)]  # two single rooms in the city
    plan = admission.plan_admissions(city, DISPATCHER, lang="en")
    assert len(plan["assignments"]) == 2 and all(a["name"].startswith("病人") for a in plan["assignments"])
    assert plan["unplaced_total"] == 3 and plan["unplaced_by_class"] == {"suspected": 3}
    listed = plan["unplaced"]
    assert len(listed) == 2 and all(u["name"] and u["reason"] for u in listed)
    assert {a["person"] for a in plan["assignments"]} | {u["person"] for u in listed} < set(ids)
    versions = {a["person"]: a["version"] for a in plan["assignments"]}
    assert (
        admission.confirm(
            city, DISPATCHER, [admission.Confirmation(p, "I1", "single_room", v) for p, v in versions.items()]
        )["skipped"]
        == []
    )


def test_a_person_added_by_hand_without_an_event_is_still_seen_by_the_next_plan(city):
    from sqlalchemy import text

    pid = register(city, 1, category="suspected")
    assert admission.plan_admissions(city, DISPATCHER)["waiting_by_class"] == {"suspected": 1}
    columns = (
        "name, unit_code, status, severity, risks, placement, identified_at, status_since, waiting_since, version, "
        "created_at, updated_at"
    )
    with city.engine.begin() as conn:  # a change no service made: no event says so
        copy = f"INSERT INTO persons (id, {columns}) SELECT id + 100, {columns} FROM persons WHERE id = :pid"
        conn.execute(text(copy), {"pid": pid})
    assert admission.plan_admissions(city, DISPATCHER)["waiting_by_class"] == {"suspected": 2}


def test_a_change_by_hand_to_someone_waiting_is_seen_once_the_kept_list_is_read_again(city, monkeypatch):
    from sqlalchemy import text

    from admitall.services import allocation_snapshot

    pid = register(city, 1, category="confirmed", severity="mild")
    assert admission.plan_admissions(city, DISPATCHER)["waiting_by_class"] == {"confirmed": 1}
    with city.engine.begin() as conn:  # no event, nobody came or went: only reading the list again can tell
        conn.execute(text("UPDATE persons SET severity = 'critical' WHERE id = :pid"), {"pid": pid})
    monkeypatch.setattr(allocation_snapshot, "REREAD_SECONDS", 0.0)
    assert admission.plan_admissions(city, DISPATCHER)["waiting_by_class"] == {"critical": 1}


def test_what_a_plan_reads_is_found_by_index_and_never_scans_everyone_ever_registered(city):
    """The cost of a plan must not grow with people who no longer wait, nor with the events of the past."""
    from datetime import UTC, datetime

    from admitall.store.repositories import waiting_list as w

    if city.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's EXPLAIN QUERY PLAN is what is read here")
    hour = {"start": datetime(2020, 2, 10, tzinfo=UTC), "end": datetime(2020, 2, 10, 1, tzinfo=UTC)}
    statements = [
        (w._BRIEF, {"low": "0", "high": "9"}),
        (w._BRIEF_OF, {"ids": [1, 2]}),
        (w._COUNT, {"low": "0", "high": "9"}),
        (w._CHANGED_AFTER, {"after": 5}),
        (w._ON_THEIR_WAY, {"codes": ["H1"]}),
        (w._ADMITTED_BETWEEN, hour),
    ]
    with city.engine.connect() as conn:
        for statement, params in statements:
            sql = statement.params(**params).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
            assert not any(step.startswith("SCAN") and step != "SCAN CONSTANT ROW" for step in plan), (str(sql), plan)
            if statement is w._BRIEF_OF:  # the people who changed, by key: never the whole waiting index
                assert plan == ["SEARCH persons USING INTEGER PRIMARY KEY (rowid=?)"], plan
            if statement is w._COUNT:  # two index ranges counted: no set of the row id of everyone waiting
                assert "MULTI-INDEX OR" not in plan, plan


def test_a_unit_added_with_its_place_after_a_plan_is_where_its_people_wait_from(city):
    from admitall.services.facilities import import_facilities, set_beds
    from admitall.services.units import import_units
    from tests.factories import DAZHI

    admission.plan_admissions(city, DISPATCHER)  # the units' places are kept from here on
    new = DAZHI[:9] + "009"
    import_units(city, cli_actor(), [(2, {"code": new, "name": "新社区", "lat": "30.60", "lon": "114.30"})])
    point = {"code": "I2", "name": "I2 机构", "type": "isolation_point", "unit_code": DAZHI, "single_room": "1"}
    import_facilities(city, cli_actor(), [(2, {**point, "lat": "30.61", "lon": "114.30"})])
    set_beds(city, cli_actor(), "I1", "single_room", capacity=0, out_of_service=0)  # I2 is the only one left
    pid = register(city, 1, category="suspected", unit_code=new)
    plan = admission.plan_admissions(city, DISPATCHER)
    (placed,) = [a for a in plan["assignments"] if a["person"] == pid]
    assert placed["distance_km"] == pytest.approx(1.1, abs=0.05)
