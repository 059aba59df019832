"""One person, one name, decided in one place (services.auth.shown_name): the official an account signs in as,
by name and title; else the account's display name; else the name as recorded (the system, the console). The same
on SQLite and PostgreSQL, for one user signing in and for a list of names read together."""

from __future__ import annotations

from sqlalchemy import update

from admitall.services.auth import actor_from_token, authenticate, issue_token, shown_name, shown_names
from admitall.services.context import cli_actor
from admitall.services.officials import add_official
from admitall.store.tables_accountability import officials
from tests.factories import CITY, PASSWORD, load_small_city, make_user


def test_the_name_rule():
    assert shown_name("commander", "市指挥部 王指挥", "王忠", "市指挥部副指挥长") == "王忠 市指挥部副指挥长"
    assert shown_name("dispatcher", "市调度中心 刘洋") == "市调度中心 刘洋"
    assert shown_name("someone", "") == "someone"


def test_an_account_is_shown_by_its_officials_name_and_title_and_no_longer_once_the_official_is_inactive(ctx):
    load_small_city(ctx)  # the commander's account signs in as 王忠, the city's lead
    make_user(ctx, "commander", "commander", CITY)
    make_user(ctx, "dispatcher", "dispatcher", CITY)
    with ctx.uow() as uow:
        shown = shown_names(uow, ["commander", "dispatcher", "system", "nobody", ""])
    assert shown == {
        "commander": "王忠 市指挥部副指挥长",
        "dispatcher": "dispatcher",
        "system": "system",
        "nobody": "nobody",
    }
    assert authenticate(ctx, "commander", PASSWORD).display_name == "王忠 市指挥部副指挥长"

    with ctx.uow(write=True) as uow:
        uow.conn.execute(update(officials).where(officials.c.username == "commander").values(active=False))
        uow.commit()
    with ctx.uow() as uow:
        assert shown_names(uow, ["commander"]) == {"commander": "commander"}
    assert authenticate(ctx, "commander", PASSWORD).display_name == "commander"


def test_linking_an_official_to_an_account_renames_it_at_its_next_request(ctx):
    load_small_city(ctx, leads=False)
    make_user(ctx, "analyst", "analyst", CITY)
    token = issue_token(ctx, authenticate(ctx, "analyst", PASSWORD))["access_token"]
    assert actor_from_token(ctx, token).display_name == "analyst"  # read, and kept a few seconds
    add_official(ctx, cli_actor(), name="孙涛", title="数据组组长", home_unit=CITY, username="analyst")
    assert actor_from_token(ctx, token).display_name == "孙涛 数据组组长"
