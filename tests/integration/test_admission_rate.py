"""A facility's admissions per hour: set by import or by whoever may change its beds, kept by the database, and
respected by every plan the engine makes (counting what the facility already took in that clock hour)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, InvalidInput
from admitall.services import admission
from admitall.services.context import Actor, cli_actor
from admitall.services.facilities import get_facility, import_facilities, set_admission_rate
from admitall.services.registration import register_batch
from tests.factories import DAZHI, id_number, load_small_city, load_small_facilities, person_row

ADMIN = cli_actor()


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    load_small_facilities(ctx)
    return ctx


def shelter_row(**extra: str) -> dict[str, str | None]:
    return {"code": "S1", "name": "S1 机构", "type": "shelter_hospital", "unit_code": DAZHI, "shelter": "3", **extra}


def rate_of(ctx, code: str) -> int | None:
    return get_facility(ctx, ADMIN, code)["admissions_per_hour"]


def test_the_facilities_file_sets_the_rate_and_a_blank_lifts_it(city):
    summary = import_facilities(city, ADMIN, [(2, shelter_row(admissions_per_hour="40"))])
    assert summary.updated == 1 and rate_of(city, "S1") == 40
    import_facilities(city, ADMIN, [(2, shelter_row())])  # a file without the column leaves the rate as it was
    assert rate_of(city, "S1") == 40
    import_facilities(city, ADMIN, [(2, shelter_row(admissions_per_hour=""))])
    assert rate_of(city, "S1") is None


@pytest.mark.parametrize("bad", ["0", "-3", "2.5", "many", "1e9"])
def test_a_rate_that_is_not_a_whole_number_from_one_is_rejected_with_its_row(city, bad):
    summary = import_facilities(city, ADMIN, [(7, shelter_row(admissions_per_hour=bad))])
    assert summary.rejected == 1
    rejection = summary.rejections[0]
    assert rejection["row"] == 7 and rejection["field"] == "admissions_per_hour"
    assert "每小时收治上限" in rejection["reason"] and "Admissions per hour" in rejection["reason_en"]
    assert rate_of(city, "S1") is None


def test_whoever_may_change_the_beds_may_set_the_rate_and_no_one_else(city):
    desk = Actor("desk-S1", Role.FACILITY_OFFICER, None, facility_code="S1")
    assert set_admission_rate(city, desk, "S1", 12)["admissions_per_hour"] == 12
    assert set_admission_rate(city, ADMIN, "S1", None)["admissions_per_hour"] is None
    with pytest.raises(InvalidInput):
        set_admission_rate(city, ADMIN, "S1", 0)
    with pytest.raises(Forbidden):
        set_admission_rate(city, Actor("analyst", Role.ANALYST, None), "S1", 5)
    with pytest.raises(Forbidden):
        set_admission_rate(city, Actor("desk-I1", Role.FACILITY_OFFICER, DAZHI, facility_code="I1"), "S1", 5)
    assert rate_of(city, "S1") is None


def test_the_database_refuses_a_rate_below_one(city):
    with pytest.raises(IntegrityError), city.engine.begin() as conn:
        conn.execute(text("UPDATE facilities SET admissions_per_hour = 0 WHERE code = 'S1'"))


# --- the engine's plans respect the rate -------------------------------------------------------------------------

DISPATCHER = Actor("dispatcher", Role.DISPATCHER, None)


def register(ctx, n: int, **fields) -> int:
    row = person_row(name=f"病人{n}", id_number=id_number(seq=n), phone=f"139{n:08d}", **fields)
    return register_batch(ctx, ADMIN, [(2, row)], source="test").person_ids[2]


def desk_of(code: str) -> Actor:
    return Actor(f"desk-{code}", Role.FACILITY_OFFICER, None, facility_code=code)


def test_facility_admits_no_more_than_its_hourly_rate(city, clock):
    set_admission_rate(city, ADMIN, "Q1", 2)
    ids = [register(city, n, category="contact") for n in range(1, 4)]
    result = admission.allocate(city, DISPATCHER, commit=True, lang="en")
    assert result["confirmed"] == 2 and result["admission_slots"] == {"Q1": 2}
    (left,) = result["unplaced"]
    assert left["person"] == ids[2] and "facility admission rate reached" in left["reason"]
    # an hour later the two are still on their way: they are what the desk takes in now
    clock.advance(timedelta(hours=1))
    assert admission.allocate(city, DISPATCHER, commit=True)["confirmed"] == 0
    for pid in ids[:2]:
        admission.desk_step(city, desk_of("Q1"), pid, "admit")
    assert admission.allocate(city, DISPATCHER, commit=True)["confirmed"] == 0  # admitted in this hour
    clock.advance(timedelta(hours=1))
    assert admission.allocate(city, DISPATCHER, commit=True)["confirmed_people"] == [
        {"person": ids[2], "facility": "Q1", "bed_type": "quarantine_room"}
    ]


def test_a_confirmation_beyond_the_hours_rate_is_skipped_with_the_reason(city, clock):
    """A plan confirmed late, or a second dispatcher's, cannot send a facility more than its rate this hour."""
    set_admission_rate(city, ADMIN, "Q1", 1)
    first, second, third = (register(city, n, category="contact") for n in range(1, 4))
    bound = [admission.Confirmation(pid, "Q1", "quarantine_room") for pid in (first, second)]
    outcome = admission.confirm(city, DISPATCHER, bound, lang="en")
    assert [c["person"] for c in outcome["confirmed"]] == [first]
    (skipped,) = outcome["skipped"]
    assert skipped["person"] == second and skipped["code"] == "admission.rate_reached"
    assert "hourly rate" in skipped["reason"]
    late = admission.confirm(city, DISPATCHER, [admission.Confirmation(third, "Q1", "quarantine_room")])
    assert late["confirmed"] == [] and late["skipped"][0]["code"] == "admission.rate_reached"
    assert "上限" in late["skipped"][0]["reason"]
    admission.desk_step(city, desk_of("Q1"), first, "admit")
    clock.advance(timedelta(hours=1))  # a new clock hour, and the first one is in: a slot again
    again = admission.confirm(city, DISPATCHER, [admission.Confirmation(second, "Q1", "quarantine_room")])
    assert [c["person"] for c in again["confirmed"]] == [second]


def test_critical_patient_takes_the_last_slot_of_the_hour(city, clock):
    set_admission_rate(city, ADMIN, "H1", 1)
    severe = register(city, 1, category="confirmed", severity="severe")
    clock.advance(timedelta(hours=3))
    critical = register(city, 2, category="confirmed", severity="critical", identified_at="2020-02-10 13:00")
    result = admission.allocate(city, DISPATCHER, commit=True, lang="en")
    assert result["confirmed_people"] == [{"person": critical, "facility": "H1", "bed_type": "icu"}]
    assert [u["person"] for u in result["unplaced"]] == [severe]


def test_a_facility_without_a_rate_takes_as_many_as_it_has_beds(city):
    ids = [register(city, n, category="confirmed", severity="mild") for n in range(1, 4)]
    result = admission.allocate(city, DISPATCHER, commit=True)
    assert sorted(p["person"] for p in result["confirmed_people"]) == ids and result["admission_slots"] == {}


def test_the_rate_is_set_and_shown_over_http_and_a_bad_one_refused(city):
    import httpx

    from tests.factories import CITY, PASSWORD, make_user
    from tests.live_server import serving

    make_user(city, "boss", "admin", CITY)
    make_user(city, "viewer", "analyst", CITY)
    with serving(city) as url, httpx.Client(base_url=url, timeout=30) as client:

        def auth(username: str) -> dict[str, str]:
            token = client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
            return {"Authorization": f"Bearer {token.json()['access_token']}"}

        boss = auth("boss")
        answer = client.put("/api/facilities/H1/admission-rate", json={"admissions_per_hour": 30}, headers=boss)
        assert answer.status_code == 200 and answer.json()["admissions_per_hour"] == 30
        listed = {f["code"]: f for f in client.get("/api/facilities", headers=boss).json()["facilities"]}
        assert listed["H1"]["admissions_per_hour"] == 30 and listed["S1"]["admissions_per_hour"] is None
        bad = client.put("/api/facilities/H1/admission-rate", json={"admissions_per_hour": 0}, headers=boss)
        assert bad.status_code == 422
        other = client.put("/api/facilities/H1/admission-rate", json={"admissions_per_hour": 5}, headers=auth("viewer"))
        assert other.status_code == 403
        assert client.get("/api/facilities/H1", headers=boss).json()["admissions_per_hour"] == 30


def test_the_desk_page_shows_the_rate_and_its_form_sets_it(city):
    import re

    import httpx

    from tests.factories import CITY, PASSWORD, make_user
    from tests.live_server import serving

    make_user(city, "boss", "admin", CITY)
    with serving(city) as url, httpx.Client(base_url=url, timeout=30) as client:
        login = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
        assert login is not None
        form = {"username": "boss", "password": PASSWORD, "login_csrf": login.group(1)}
        assert client.post("/login", data=form).status_code == 303
        page = client.get("/facilities/Q1?lang=en").text
        assert "no limit (blank)" in page and 'action="/facilities/Q1/admission-rate"' in page
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf is not None
        sent = client.post(
            "/facilities/Q1/admission-rate", data={"csrf_token": csrf.group(1), "admissions_per_hour": "12"}
        )
        assert sent.status_code == 303
        shown = client.get("/facilities/Q1").text
        assert re.search(r'data-figure="admissions_per_hour">12<', shown)
        refused = client.post(
            "/facilities/Q1/admission-rate", data={"csrf_token": csrf.group(1), "admissions_per_hour": "0"}
        )
        assert refused.status_code == 422 and rate_of(city, "Q1") == 12
