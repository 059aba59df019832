"""The user behind a token is kept a few seconds per server process (services.auth): a change made through the
process takes effect at once, one made elsewhere within USER_CACHE_SECONDS."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from admitall.domain.errors import Unauthenticated
from admitall.services import auth
from admitall.store.tables import users
from tests.factories import DAZHI, load_small_city, make_user


@pytest.fixture
def token(ctx):
    load_small_city(ctx, leads=False)
    make_user(ctx, "dazhi", "unit_officer", DAZHI)
    with ctx.uow() as uow:
        user = uow.users.by_username("dazhi")
    assert user is not None
    return auth.issue_token(ctx, auth._actor(user))["access_token"]


def disable(ctx, role: str | None = None) -> None:
    values = {"active": False} if role is None else {"role": role}
    with ctx.uow(write=True) as uow:
        uow.conn.execute(update(users).where(users.c.username == "dazhi").values(**values))
        uow.commit()


def test_a_user_disabled_through_this_process_is_refused_at_once(ctx, token):
    assert auth.actor_from_token(ctx, token).username == "dazhi"
    disable(ctx)
    auth.users_changed(ctx)  # what every change of a user made by this process does
    with pytest.raises(Unauthenticated):
        auth.actor_from_token(ctx, token)


def test_a_role_changed_elsewhere_takes_effect_once_the_cache_time_has_passed(ctx, token, monkeypatch):
    assert auth.actor_from_token(ctx, token).role.value == "unit_officer"
    disable(ctx, role="analyst")  # by hand, or through another worker
    assert auth.actor_from_token(ctx, token).role.value == "unit_officer"
    later = time.monotonic() + auth.USER_CACHE_SECONDS + 0.1
    monkeypatch.setattr(auth, "time", SimpleNamespace(monotonic=lambda: later))
    assert auth.actor_from_token(ctx, token).role.value == "analyst"
