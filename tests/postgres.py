"""A PostgreSQL server for the tests: the one named by ADMITALL_TEST_POSTGRES_URL, or a throwaway cluster.

Each test gets a fresh database cloned from a migrated template, so tests never see each other's data.
Where no PostgreSQL can be started the PostgreSQL tests are skipped with the reason, unless
ADMITALL_REQUIRE_POSTGRES=1 (as in CI), which turns that into a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from admitall.store.db import init_database, make_engine

TEMPLATE = "admitall_test_template"


class PostgresUnavailable(Exception):
    pass


def _bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    found = candidates[-1] if candidates else shutil.which("initdb")
    if not found:
        raise PostgresUnavailable("no PostgreSQL server binaries (initdb) found; install Debian's postgresql")
    return Path(found).parent


def _run_as(user: str | None, args: list[str]) -> None:
    command = ["runuser", "-u", user, "--", *args] if user else args
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise PostgresUnavailable(f"{' '.join(args[:2])} failed: {result.stderr.strip()[:300]}")


class ThrowawayCluster:
    """initdb + pg_ctl in a temporary directory, on a Unix socket only (nothing listens on the network)."""

    def __init__(self) -> None:
        bindir = _bindir()
        self.user: str | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no 'postgres' user to run the server") from None
            self.user = "postgres"
        self.dir = Path(tempfile.mkdtemp(prefix="admitall-pg-"))
        self.data, self.socket = self.dir / "data", self.dir / "sock"
        self.socket.mkdir()
        if self.user:
            shutil.chown(self.dir, self.user)
            shutil.chown(self.socket, self.user)
        self.pg_ctl = str(bindir / "pg_ctl")
        _run_as(
            self.user,
            [
                str(bindir / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "admitall",
                "-E",
                "UTF8",
                "--no-locale",
            ],
        )
        options = f"-k {self.socket} -c listen_addresses='' -c fsync=off -c full_page_writes=off -p 5432"
        _run_as(
            self.user, [self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start"]
        )
        self.url = f"postgresql+psycopg://admitall@/postgres?host={self.socket}"

    def stop(self) -> None:
        try:
            _run_as(self.user, [self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer:
    def __init__(self) -> None:
        self.cluster: ThrowawayCluster | None = None
        given = os.environ.get("ADMITALL_TEST_POSTGRES_URL")
        if given:
            self.admin_url = given.replace("postgresql://", "postgresql+psycopg://", 1)
        else:
            self.cluster = ThrowawayCluster()
            self.admin_url = self.cluster.url
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text("SELECT 1"))
        self._make_template()

    def _url_for(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def _make_template(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE}"))
            conn.execute(text(f"CREATE DATABASE {TEMPLATE}"))
        engine = make_engine(self._url_for(TEMPLATE))
        init_database(engine)
        engine.dispose()

    def fresh_database(self, ctype: str | None = None) -> str:
        """A migrated, empty database; with `ctype`, one made from nothing with that character type (LC_CTYPE)."""
        name = f"admitall_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            if ctype is None:
                conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
            else:
                conn.execute(
                    text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE '{ctype}'")
                )
        if ctype is not None:
            engine = make_engine(self._url_for(name))
            init_database(engine)
            engine.dispose()
        return self._url_for(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def stop(self) -> None:
        self.admin.dispose()
        if self.cluster is not None:
            self.cluster.stop()


def start_or_skip() -> PostgresServer:
    try:
        return PostgresServer()
    except Exception as e:  # any failure to start is a reason to skip, said out loud
        reason = f"PostgreSQL unavailable: {e}"
        if os.environ.get("ADMITALL_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (ADMITALL_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(reason)
