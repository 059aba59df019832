"""A facility's desk read by a unit's officer shows only the patients of that officer's jurisdiction."""

from __future__ import annotations

from datetime import timedelta

from admitall.domain.access import Role
from admitall.services.admission import Confirmation, confirm, desk
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from tests.factories import WUCHANG, id_number, load_small_city, load_small_facilities, person_row


def test_an_officer_reading_a_hospital_in_their_district_does_not_see_patients_from_elsewhere_by_name(ctx, clock):
    load_small_city(ctx)
    load_small_facilities(ctx)
    rows = [
        (2, person_row(id_number=id_number(seq=301), category="confirmed", severity="moderate"))
    ]  # of Dazhi, Jiang'an
    pid = register_batch(ctx, cli_actor(), rows, source="t").person_ids[2]
    clock.advance(timedelta(hours=1))
    assert confirm(ctx, Actor("dispatcher", Role.DISPATCHER, None), [Confirmation(pid, "H1", "general")])["confirmed"]

    own_desk = desk(ctx, Actor("desk", Role.FACILITY_OFFICER, WUCHANG, facility_code="H1"), "H1")
    assert [p["id"] for p in own_desk["expected"]] == [pid]
    assert own_desk["outside_jurisdiction"] == 0

    wuchang = desk(ctx, Actor("wuchang", Role.UNIT_OFFICER, WUCHANG), "H1")
    assert wuchang["expected"] == wuchang["admitted"] == wuchang["leaving"] == []
    assert wuchang["outside_jurisdiction"] == 1

    city = desk(ctx, Actor("dispatcher", Role.DISPATCHER, None), "H1")
    assert [p["id"] for p in city["expected"]] == [pid] and city["outside_jurisdiction"] == 0
