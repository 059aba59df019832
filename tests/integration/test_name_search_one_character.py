"""A one-character name over a wide scope (issue 15): where the scope holds more people than
store.name_search.BROAD_SCOPE, a single character finds nobody and says, in words, to type a second character or
choose a narrower unit; two characters, or a narrower unit, still find them. (The threshold is lowered here so
that a small city counts as wide.)"""

from __future__ import annotations

import httpx
import pytest

from admitall.domain.access import Role
from admitall.services import people
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.store import name_search
from tests.factories import CITY, DAZHI_1, DAZHI_2, PASSWORD, id_number, load_small_city, make_user, person_row
from tests.live_server import serving

OFFICER = Actor("officer", Role.UNIT_OFFICER, CITY)


@pytest.fixture
def wide(ctx, monkeypatch):
    load_small_city(ctx)
    rows = [
        (i + 2, person_row(name=f"王{'芳伟'[i % 2]}", id_number=id_number(seq=i + 1), phone=f"139{i + 1:08d}",
                           unit_code=DAZHI_1 if i < 3 else DAZHI_2))
        for i in range(6)
    ]  # fmt: skip
    register_batch(ctx, cli_actor(), rows, source="test")
    monkeypatch.setattr(name_search, "BROAD_SCOPE", 4)  # the city's 6 people are "many"; a community's 3 are not
    return ctx


def test_one_character_over_a_wide_scope_finds_nobody_and_says_why(wide):
    result = people.search_people(wide, OFFICER, q="王")
    assert (result["total"], result["people"], result["note"]["code"]) == (0, [], "search.one_character")
    assert "两个字" in result["note"]["zh"] and "two characters" in result["note"]["en"]
    assert people.search_people(wide, cli_actor(), q="王")["note"]["code"] == "search.one_character"  # everyone


def test_two_characters_or_a_narrower_unit_still_find_them(wide):
    two = people.search_people(wide, OFFICER, q="王芳")
    assert two["total"] == 3 and two["note"] is None
    narrow = people.search_people(wide, OFFICER, q="王", unit=DAZHI_1)
    assert narrow["total"] == 3 and narrow["note"] is None
    assert people.search_people(wide, Actor("o", Role.UNIT_OFFICER, DAZHI_2), q="王")["total"] == 3


def test_a_document_or_phone_is_not_a_name_and_is_not_refused(wide):
    found = people.search_people(wide, OFFICER, q="13900000001")
    assert found["total"] == 1 and found["note"] is None


def test_the_people_page_and_its_twin_say_it_in_both_languages(wide):
    make_user(wide, "officer", "unit_officer", CITY)
    with serving(wide) as url, httpx.Client(base_url=url, timeout=30) as browser:
        token = browser.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
        browser.post("/login", data={"username": "officer", "password": PASSWORD, "login_csrf": token})
        page = browser.get("/people", params={"q": "王"}).text
        assert "至少输入两个字" in page and "王芳" not in page
        twin = browser.get("/people.json", params={"q": "王"}).json()
        assert twin["note"]["code"] == "search.one_character" and twin["total"] == 0
        assert "王芳" in browser.get("/people", params={"q": "王", "unit": DAZHI_1}).text
        browser.get("/lang/en", params={"next": "/people"})
        english = browser.get("/people", params={"q": "王"}).text
        assert "at least two characters" in english
