"""Sign-in throttling and the password policy on every path that sets a password, over real HTTP and the real
command, on SQLite and PostgreSQL.

The lockout is counted in the database: two separate app instances (two "workers", each with its own engine and
clock) on one database share it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from admitall.clock import ManualClock
from admitall.domain.errors import InvalidInput
from admitall.services.auth import add_user
from admitall.services.context import Context, cli_actor
from admitall.services.demo import DEMO_PASSWORD, DEMO_USERS
from admitall.store.tables import audit_log
from tests.conftest import START, make_ctx
from tests.factories import CITY, DAZHI, PASSWORD, load_small_city, make_user
from tests.live_server import serving

WRONG = "not the password at all"


class Worker:
    """One app instance of its own (engine, clock, server) over the shared database."""

    def __init__(self, url: str) -> None:
        self.clock = ManualClock(START)
        self.ctx = make_ctx(url, self.clock)

    def token(self, base: str, username: str, password: str, **headers: str) -> httpx.Response:
        return httpx.post(
            f"{base}/api/auth/token", data={"username": username, "password": password}, headers=headers, timeout=30
        )


@pytest.fixture
def two_workers(database_url: str, ctx: Context) -> Iterator[tuple[Worker, str, Worker, str]]:
    load_small_city(ctx, leads=False)
    for username in ("dazhi", "commander", "analyst"):
        make_user(ctx, username, "unit_officer", DAZHI)
    one, two = Worker(database_url), Worker(database_url)
    with serving(one.ctx) as first, serving(two.ctx) as second:
        yield one, first, two, second
    one.ctx.engine.dispose()
    two.ctx.engine.dispose()


def _actions(ctx: Context) -> list[tuple[str, str]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.action, audit_log.c.actor).order_by(audit_log.c.id)).all()
    return [(r.action, r.actor) for r in rows if r.action.startswith("sign_in")]


def test_five_wrong_passwords_across_two_workers_lock_the_account_even_against_the_right_one(two_workers):
    one, first, two, second = two_workers
    answers = [one.token(first, "dazhi", WRONG).status_code for _ in range(2)]
    answers += [two.token(second, "dazhi", WRONG).status_code for _ in range(2)]
    assert answers == [401, 401, 401, 401]
    fifth = one.token(first, "dazhi", WRONG)  # the failure that reaches the limit says so at once
    assert fifth.status_code == 429 and fifth.json()["error"]["code"] == "auth.locked_out"
    right = two.token(second, "dazhi", PASSWORD)  # the other worker counts the same failures: locked there too
    assert right.status_code == 429 and int(right.headers["Retry-After"]) == 15 * 60
    assert "登录失败次数过多" in right.json()["error"]["message"]
    english = one.token(first, "dazhi", PASSWORD, **{"Accept-Language": "en"})
    assert english.status_code == 429 and "Too many failed sign-ins" in english.json()["error"]["message"]
    assert one.token(first, "commander", PASSWORD).status_code == 200  # another account is not affected
    actions = _actions(one.ctx)
    assert actions.count(("sign_in_failed", "dazhi")) == 5
    assert ("sign_in_locked_out", "dazhi") in actions and actions.count(("sign_in_refused_locked", "dazhi")) == 2


def test_the_lockout_ends_after_its_period_and_the_count_starts_afresh(two_workers):
    one, first, two, second = two_workers
    for _ in range(5):
        one.token(first, "dazhi", WRONG)
    one.clock.advance(timedelta(minutes=14))
    two.clock.advance(timedelta(minutes=14))
    locked = two.token(second, "dazhi", PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) == 60
    one.clock.advance(timedelta(minutes=1, seconds=1))
    assert one.token(first, "dazhi", WRONG).status_code == 401  # failures before the lockout no longer count
    assert one.token(first, "dazhi", PASSWORD).status_code == 200


def test_a_right_password_clears_the_accounts_earlier_failures(two_workers):
    one, first, _two, _second = two_workers
    for _ in range(4):
        assert one.token(first, "dazhi", WRONG).status_code == 401
    assert one.token(first, "dazhi", PASSWORD).status_code == 200
    assert [one.token(first, "dazhi", WRONG).status_code for _ in range(4)] == [401] * 4


def test_a_name_that_does_not_exist_is_locked_out_the_same_way_so_the_answer_tells_nothing(two_workers):
    one, first, _two, _second = two_workers
    real = [one.token(first, "dazhi", WRONG).status_code for _ in range(6)]
    made_up = [one.token(first, "nobody-here", WRONG).status_code for _ in range(6)]
    assert real == made_up == [401, 401, 401, 401, 429, 429]


def test_twenty_failures_from_one_address_lock_that_address_out_for_every_account(two_workers):
    one, first, two, second = two_workers
    for i in range(19):  # spread over many names, none of which reaches its own limit
        worker, base = (one, first) if i % 2 else (two, second)
        assert worker.token(base, f"guess{i % 10}", WRONG).status_code == 401
    assert two.token(second, "guess-last", WRONG).status_code == 429
    refused = one.token(first, "commander", PASSWORD)  # the right password of an untouched account, same address
    assert refused.status_code == 429 and refused.headers["Retry-After"] == str(15 * 60)
    with one.ctx.engine.connect() as conn:
        detail = conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "sign_in_locked_out")).scalar_one()
    assert detail["locked"] == "address" and detail["key"] == "127.0.0.1" and detail["failures"] == 20


def test_the_sign_in_page_is_locked_out_too_and_says_when_to_come_back(two_workers):
    one, first, _two, _second = two_workers
    with httpx.Client(base_url=first, timeout=30) as browser:

        def attempt(password: str) -> httpx.Response:
            token = re.search(r'name="login_csrf" value="([^"]+)"', browser.get("/login").text)
            assert token is not None
            form = {"username": "dazhi", "password": password, "login_csrf": token.group(1), "next": "/"}
            return browser.post("/login", data=form, follow_redirects=False)

        assert [attempt(WRONG).status_code for _ in range(4)] == [401] * 4
        assert attempt(WRONG).status_code == 429
        locked = attempt(PASSWORD)
        assert locked.status_code == 429 and locked.headers["Retry-After"] == str(15 * 60)
        assert "登录失败次数过多" in locked.text and "admitall_session" not in locked.cookies
    # the API shares the count with the page
    assert one.token(first, "dazhi", PASSWORD).status_code == 429


# --- the password policy on every path that sets one ------------------------------------------------------------

WEAK = ["12345678", " " * 8, "password", "Password2020!", "p@ssw0rd1234", "qwertyuiop[]", "aaaaaaaaaaaaaaaa"]


@pytest.mark.parametrize("weak", WEAK)
def test_the_api_refuses_a_weak_password_for_a_new_user(two_workers, weak):
    one, first, _two, _second = two_workers
    make_user(one.ctx, "chief", "admin", CITY)
    token = one.token(first, "chief", PASSWORD).json()["access_token"]
    body = {"username": "newadmin", "password": weak, "role": "admin", "unit_code": CITY}
    refused = httpx.post(f"{first}/api/users", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert refused.status_code == 422 and refused.json()["error"]["code"].startswith("password.")
    assert refused.json()["error"]["field"] == "password"
    assert one.token(first, "newadmin", weak).status_code == 401  # nobody was created


def test_the_api_refuses_a_password_that_contains_the_username(two_workers):
    one, first, _two, _second = two_workers
    make_user(one.ctx, "chief", "admin", CITY)
    token = one.token(first, "chief", PASSWORD).json()["access_token"]
    body = {"username": "zhangwei", "password": "Zhangwei-of-Jiangan", "role": "analyst", "unit_code": CITY}
    refused = httpx.post(
        f"{first}/api/users", json=body, headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "password.has_username"
    assert refused.json()["error"]["message"] == "A password cannot be or contain the username"


def _cli(ctx: Context, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ADMITALL_DATABASE_URL": ctx.settings.database_url,
        "ADMITALL_SECRET_KEY": ctx.settings.secret_key or "",
        "ADMITALL_LANG": "en",
    }
    command = [sys.executable, "-m", "admitall.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, input=stdin, timeout=120)


def test_users_add_refuses_the_weak_passwords_the_review_used_for_an_admin(ctx):
    load_small_city(ctx, leads=False)
    for weak, said in (("12345678", "at least 12"), (" " * 8, "only spaces"), ("password", "at least 12")):
        done = _cli(ctx, "users", "add", "boss", "--role", "admin", "--unit", CITY, "--password-stdin",
                    stdin=weak + "\n")  # fmt: skip
        assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr
    common = _cli(ctx, "users", "add", "boss", "--role", "admin", "--unit", CITY, "--password-stdin",
                  stdin="Password123456\n")  # fmt: skip
    assert common.returncode == 2 and "common password" in common.stderr
    good = _cli(ctx, "users", "add", "boss", "--role", "admin", "--unit", CITY, "--password-stdin",
                stdin="lanterns over the yangtze\n")  # fmt: skip
    assert good.returncode == 0, good.stderr


def test_the_demo_password_fits_the_policy_for_every_demo_user_and_the_old_one_is_refused(ctx):
    load_small_city(ctx, leads=False)
    for user in DEMO_USERS:
        add_user(ctx, cli_actor(), username=user.username, password=DEMO_PASSWORD, role="analyst", unit_code=CITY)
    with pytest.raises(InvalidInput) as refused:
        add_user(ctx, cli_actor(), username="another", password="demo-2020", role="analyst", unit_code=CITY)
    assert refused.value.code == "password.too_short"
