"""Backup and restore, end to end through the commands an operator types: `admitall backup FILE` while the database
is in use, the database broken, `admitall restore FILE --yes`, then `admitall verify` clean and the people back.
PostgreSQL is refused with what to use instead; a file that is not a backup is refused before anything is
replaced; a backup never overwrites a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from tests.conftest import make_ctx
from tests.factories import id_number, load_small_city, person_row

SECRET = "test-secret-" + "x" * 32


def admitall(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ADMITALL_DATABASE_URL": url, "ADMITALL_SECRET_KEY": SECRET, "ADMITALL_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "admitall.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def people(url: str, clock) -> int:
    ctx = make_ctx(url, clock)
    try:
        with ctx.engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM persons").scalar_one())
    finally:
        ctx.engine.dispose()


def test_backup_break_restore_verify(sqlite_url: str, tmp_path: Path, clock):
    ctx = make_ctx(sqlite_url, clock)
    load_small_city(ctx, leads=False)
    rows = [person_row(name=f"人{i}", id_number=id_number(seq=600 + i), phone=f"1390000{i:04d}") for i in range(3)]
    register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="t")
    ctx.engine.dispose()
    copy = tmp_path / "backup.db"

    made = admitall(sqlite_url, "backup", str(copy), "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["bytes"] == copy.stat().st_size > 0
    again = admitall(sqlite_url, "backup", str(copy))
    assert again.returncode == 2 and "exists already" in again.stderr

    database = Path(sqlite_url.removeprefix("sqlite:///"))
    with database.open("r+b") as f:  # break it: the pages after the header overwritten
        f.seek(4096)
        f.write(b"\0" * 65536)
    assert admitall(sqlite_url, "verify").returncode != 0

    asked = admitall(sqlite_url, "restore", str(copy))
    assert asked.returncode == 2 and "--yes" in asked.stderr  # nothing replaced without --yes
    restored = admitall(sqlite_url, "restore", str(copy), "--yes", "--json")
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["revision"]
    assert admitall(sqlite_url, "init").returncode == 0
    verified = admitall(sqlite_url, "verify", "--json")
    assert verified.returncode == 0, verified.stdout
    assert json.loads(verified.stdout)["ok"] is True
    assert people(sqlite_url, clock) == 3


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_url: str, tmp_path: Path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all")
    answer = admitall(sqlite_url, "restore", str(junk), "--yes")
    assert answer.returncode == 2 and "not a sound AdmitAll database backup" in answer.stderr
    missing = admitall(sqlite_url, "restore", str(tmp_path / "none.db"), "--yes")
    assert missing.returncode == 2


@pytest.mark.postgres
def test_postgresql_is_told_to_use_pg_dump(postgres, tmp_path: Path):
    url = postgres.fresh_database()
    try:
        assert admitall(url, "init").returncode == 0
        answer = admitall(url, "backup", str(tmp_path / "x.db"))
        assert answer.returncode == 2 and "pg_dump" in answer.stderr
        assert not (tmp_path / "x.db").exists()
    finally:
        postgres.drop(url)
