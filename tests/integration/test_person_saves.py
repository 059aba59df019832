"""A person's change of state sets the row's state columns only (SQLite keeps every index on a column an UPDATE
sets, changed or not: the phone, ID number, name and birth date indexes are left be); a change of who the person
is — a registration again with corrected details — sets them all, and the row holds the new details."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from admitall.services.people import reclassify_person
from admitall.services.registration import register_batch
from tests.factories import DAZHI, DAZHI_1, load_small_city, officer, person_row


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    return ctx


def _person_updates(ctx, act):
    seen: list[str] = []

    def keep(_conn, _cursor, statement, *_):
        if statement.startswith("UPDATE persons SET"):
            seen.append(statement.split(" WHERE ")[0])

    event.listen(ctx.engine, "before_cursor_execute", keep)
    try:
        act()
    finally:
        event.remove(ctx.engine, "before_cursor_execute", keep)
    return seen


def test_a_change_of_state_sets_the_state_and_a_correction_of_details_sets_the_details(city):
    (pid,) = register_batch(
        city, officer(unit=DAZHI), [(2, person_row(unit_code=DAZHI_1))], source="t"
    ).person_ids.values()
    updates = _person_updates(city, lambda: reclassify_person(city, officer(), pid, "excluded", reason="核酸阴性"))
    assert updates and all("status" in u and "phone" not in u and "name =" not in u for u in updates), updates

    again = person_row(unit_code=DAZHI_1, category="contact", address="武汉市江岸区某路1号")  # the address was missing
    updates = _person_updates(city, lambda: register_batch(city, officer(unit=DAZHI), [(2, again)], source="t2"))
    assert any("address" in u for u in updates), updates
    with city.uow() as uow:
        person = uow.persons.get(pid)
    assert person is not None
    assert person.details.address == "武汉市江岸区某路1号"
