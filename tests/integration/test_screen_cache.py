"""The command screens' shared cache (issue 15 §5) on a real database: a kept screen is served while nothing
changed, the next screen after a change is right, figures that move with the clock alone are recomputed within
FRESH_SECONDS, an unchanged screen answers 304 over HTTP, and one audience's screen is never another's."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from admitall.domain.access import Role
from admitall.domain.errors import NotFound
from admitall.services.command import command_screen
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.screen_cache import FRESH_SECONDS, cache_key, cached_command_screen, matches
from admitall.store.tables_screens import screen_cache
from tests.factories import (
    CITY,
    DAZHI_1,
    JIANGAN,
    PASSWORD,
    WUCHANG,
    id_number,
    load_small_city,
    load_small_facilities,
    make_user,
    person_row,
)
from tests.live_server import serving

COMMANDER = Actor("commander", Role.COMMANDER, CITY)
JIANGAN_OFFICER = Actor("jiangan", Role.UNIT_OFFICER, JIANGAN)


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    load_small_facilities(ctx)
    return ctx


def register(ctx, seq: int, unit: str = DAZHI_1) -> None:
    row = person_row(
        name=f"病人{seq}", id_number=id_number(seq=seq), phone=f"139{seq:08d}", unit_code=unit, category="contact"
    )
    register_batch(ctx, cli_actor(), [(2, row)], source="test")


def kept(ctx) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(screen_cache)).scalar_one())


def test_a_kept_screen_is_served_until_the_data_change_and_the_next_one_is_right(city):
    first = cached_command_screen(city, COMMANDER)
    again = cached_command_screen(city, COMMANDER)
    assert not first.hit and again.hit
    assert again.etag == first.etag and again.data == first.data
    contacts = first.data["categories"]["now"]["contact"]
    register(city, 1)
    after = cached_command_screen(city, COMMANDER)
    assert not after.hit and after.etag != first.etag
    assert after.data["categories"]["now"]["contact"] == contacts + 1
    # what the cache serves is what the service computes now
    assert after.data["categories"] == command_screen(city, COMMANDER)["categories"]


def test_the_clock_alone_recomputes_after_the_fresh_interval_keeping_the_etag_of_unchanged_figures(city, clock):
    first = cached_command_screen(city, COMMANDER)
    clock.advance(timedelta(seconds=FRESH_SECONDS - 1))
    assert cached_command_screen(city, COMMANDER).hit
    clock.advance(timedelta(seconds=2))
    later = cached_command_screen(city, COMMANDER)
    assert not later.hit
    assert later.data["as_of"] != first.data["as_of"]  # the screen says when it was computed
    assert later.etag == first.etag  # the same figures: a client holding the old ETag gets 304


def test_one_audience_is_never_served_another_audiences_screen(city):
    cached_command_screen(city, COMMANDER, WUCHANG)
    cached_command_screen(city, COMMANDER, JIANGAN)
    # the district officer asks for a unit whose screen the commander's request left in the cache: 404 all the same
    for code in (CITY, WUCHANG):
        with pytest.raises(NotFound):
            cached_command_screen(city, JIANGAN_OFFICER, code)
    own = cached_command_screen(city, JIANGAN_OFFICER)
    assert not own.hit and own.data["unit"]["code"] == JIANGAN
    # the same unit for another role and unit is another entry
    assert cache_key("command", JIANGAN, COMMANDER) != cache_key("command", JIANGAN, JIANGAN_OFFICER)
    assert kept(city) == 3


def test_if_none_match_recognises_its_etag_weak_strong_or_listed():
    assert matches('"abc"', '"abc"') and matches('W/"abc"', '"abc"') and matches('"x", "abc"', '"abc"')
    assert matches("*", '"abc"')
    assert not matches(None, '"abc"') and not matches('"abd"', '"abc"')


def test_over_http_an_unchanged_screen_answers_304_and_a_changed_one_200(city):
    make_user(city, "commander", "commander", CITY)
    make_user(city, "jiangan", "unit_officer", JIANGAN)
    with serving(city) as url:
        token = httpx.post(f"{url}/api/auth/token", data={"username": "commander", "password": PASSWORD})
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        first = api.get(f"/api/command/{CITY}")
        etag = first.headers["etag"]
        # no browser or proxy keeps a screen (security_headers): a client sends its ETag back itself
        assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
        same = api.get(f"/api/command/{CITY}", headers={"If-None-Match": etag})
        assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
        register(city, 2)
        changed = api.get(f"/api/command/{CITY}", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        assert changed.json()["categories"]["now"]["contact"] == first.json()["categories"]["now"]["contact"] + 1
        # the page and its JSON twin, with a session: their own ETags, 304 on the same
        with httpx.Client(base_url=url, timeout=30) as browser:
            login = browser.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
            browser.post("/login", data={"username": "jiangan", "password": PASSWORD, "login_csrf": login})
            for path in (f"/command/{JIANGAN}", f"/command/{JIANGAN}.json"):
                page = browser.get(path)
                assert page.status_code == 200, path
                assert browser.get(path, headers={"If-None-Match": page.headers["etag"]}).status_code == 304
            # a district officer holding the city's ETag still gets 404 for the city
            assert browser.get(f"/command/{CITY}.json", headers={"If-None-Match": etag}).status_code == 404
        api.close()
