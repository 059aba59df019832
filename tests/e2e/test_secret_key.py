"""The key the database does not hold: nothing read from (or written to) the database signs a token or opens a
session, and `admitall serve` does not start without ADMITALL_SECRET_KEY — except on the demo database."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
from sqlalchemy import text

from tests.live_server import free_port

ADMITALL = [sys.executable, "-m", "admitall.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ADMITALL_SECRET_KEY"}
    return {**env, "ADMITALL_DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}", **extra}


def _run(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ADMITALL, *args], capture_output=True, text=True, env=_env(tmp_path, **extra), timeout=120, cwd=tmp_path
    )


def _serves(tmp_path: Path, **extra: str) -> bool:
    """Start `admitall serve`; True if it answers, False if it exits first (it is stopped either way)."""
    port = free_port()
    server = subprocess.Popen(
        [*ADMITALL, "serve", "--port", str(port)],
        env=_env(tmp_path, ADMITALL_RUN_JOBS="false", **extra),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                time.sleep(0.2)
        return False
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_serve_refuses_to_start_without_the_secret_key_outside_the_demo(tmp_path):
    assert _run(tmp_path, "init").returncode == 0
    refused = _run(tmp_path, "serve", ADMITALL_LANG="en")
    assert refused.returncode == 2
    assert "ADMITALL_SECRET_KEY is not set" in refused.stderr and "Traceback" not in refused.stderr
    assert "site.db.key" in refused.stderr  # where the key the CLI wrote is, to be moved into the environment
    in_chinese = _run(tmp_path, "serve")
    assert in_chinese.returncode == 2 and "未设置 ADMITALL_SECRET_KEY" in in_chinese.stderr
    short = _run(tmp_path, "serve", ADMITALL_SECRET_KEY="too-short-a-key", ADMITALL_LANG="en")
    assert short.returncode == 2 and "too short: at least 32 characters" in short.stderr


def test_serve_starts_with_the_secret_key_and_the_demo_database_with_its_key_file(tmp_path):
    assert _run(tmp_path, "init").returncode == 0
    key = (tmp_path / "site.db.key").read_text().strip()
    assert oct((tmp_path / "site.db.key").stat().st_mode & 0o777) == "0o600"
    assert _serves(tmp_path, ADMITALL_SECRET_KEY=key)
    assert not _serves(tmp_path)
    # what `admitall demo` leaves in its database (playing a whole demo here would take minutes)
    _run(tmp_path, "verify")
    with _sqlite(tmp_path) as conn:
        conn.execute("INSERT INTO instance_secrets (name, value) VALUES ('demo_database', 'yes')")
    assert _serves(tmp_path)


def test_another_key_is_refused_in_words(tmp_path):
    assert _run(tmp_path, "init").returncode == 0
    assert _run(tmp_path, "verify").returncode == 0  # the key file's key is now this database's
    other = _run(tmp_path, "verify", ADMITALL_SECRET_KEY="x" * 40, ADMITALL_LANG="en")
    assert other.returncode == 2 and "not the key this database's chains were written with" in other.stderr


def _sqlite(tmp_path: Path):
    import sqlite3
    from contextlib import closing, contextmanager

    @contextmanager
    def connection():
        with closing(sqlite3.connect(tmp_path / "site.db")) as conn:
            yield conn
            conn.commit()

    return connection()


def test_a_token_minted_from_the_database_alone_is_refused(world):
    with world.ctx.engine.connect() as conn:
        admin = conn.execute(text("SELECT id FROM users WHERE username = 'admin'")).scalar_one()
        stored = [str(v) for v in conn.execute(text("SELECT value FROM instance_secrets")).scalars()]
    now = world.clock.now()
    claims = {
        "sub": "admin",
        "uid": admin,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    # every value the database holds, and the secret it used to keep (a fresh one: nothing in the database signs)
    for candidate in [*stored, secrets.token_urlsafe(48)]:
        forged = jwt.encode(claims, candidate, algorithm="HS256")
        response = httpx.get(f"{world.url}/api/me", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401 and response.json()["error"]["code"] == "auth.bad_token"
    assert (
        httpx.get(f"{world.url}/api/me", headers={"Authorization": f"Bearer {world.token('admin')}"}).status_code == 200
    )


def test_a_session_written_into_the_database_opens_nothing(world):
    """With write access one could add a session row; its stored hash is keyed, so no cookie matches it."""
    cookie = secrets.token_urlsafe(32)
    now = world.clock.now()
    with world.ctx.engine.begin() as conn:
        admin = conn.execute(text("SELECT id FROM users WHERE username = 'admin'")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at, expires_at) "
                "VALUES (:h, :u, 'x', :c, :e)"
            ),
            {
                "h": hashlib.sha256(cookie.encode()).hexdigest(),
                "u": admin,
                "c": now.replace(tzinfo=None),
                "e": (now + timedelta(hours=1)).replace(tzinfo=None),
            },
        )
    response = httpx.get(f"{world.url}/api/me", cookies={"admitall_session": cookie})
    assert response.status_code == 401


def test_the_bulletin_prints_the_days_heads_and_verify_checks_the_database_against_a_copy(world, tmp_path):
    """Runs last in this module: it removes an audit entry from the world's database."""
    before = world.clock.now()
    world.clock.set(datetime(2020, 2, 11, 2, 0, tzinfo=UTC))  # 10:00 on 11 February in Wuhan: the 10th is closed
    try:
        page = httpx.get(f"{world.url}/bulletin/2020-02-10?lang=en")
        copy = httpx.get(f"{world.url}/bulletin/2020-02-10.json").json()
    finally:
        world.clock.set(before)
    assert page.status_code == 200 and 'id="bulletin-heads"' in page.text
    printed = [f"{h['chain']} {h['day']} {h['seq']} {h['digest']}" for h in copy["chain_heads"]]
    assert {line.split()[0] for line in printed} == {"person_events", "reports", "audit_log", "alerts", "directives"}
    assert all(line in page.text for line in printed)
    lines = tmp_path / "copied.txt"
    lines.write_text("\n".join(printed) + "\n", encoding="utf-8")
    env = {
        **os.environ,
        "ADMITALL_DATABASE_URL": world.ctx.engine.url.render_as_string(hide_password=False),
        "ADMITALL_SECRET_KEY": world.ctx.settings.secret_key or "",
        "ADMITALL_LANG": "en",
    }

    def verify(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ADMITALL, "verify", "--heads", str(path)], capture_output=True, text=True, env=env, timeout=120
        )

    assert verify(lines).returncode == 0
    with world.ctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log)"))
    (tmp_path / "bulletin.json").write_text(json.dumps(copy), encoding="utf-8")
    caught = verify(tmp_path / "bulletin.json")
    assert caught.returncode == 1
    assert "audit_log bulletin 2020-02-10: the published head" in caught.stdout
