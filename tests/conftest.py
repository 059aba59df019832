"""Shared fixtures: a manual clock, a fresh database (SQLite, and PostgreSQL where it can be started),
a service context over it, and a live HTTP server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from admitall.clock import ManualClock
from admitall.services.context import Context
from admitall.settings import Settings
from admitall.store.db import init_database, make_engine
from tests.postgres import PostgresServer, start_or_skip

# 10:00 in Wuhan on 10 February 2020
START = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = start_or_skip()
    yield server
    server.stop()


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'admitall.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite, and the same tests again on PostgreSQL."""
    if request.param == "sqlite":
        url = _sqlite_url(tmp_path)
        engine = make_engine(url)
        init_database(engine)
        engine.dispose()
        yield url
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.fresh_database()
    yield url
    server.drop(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = _sqlite_url(tmp_path)
    engine = make_engine(url)
    init_database(engine)
    engine.dispose()
    return url


def make_ctx(url: str, clock: ManualClock) -> Context:
    settings = Settings(database_url=url, secret_key="test-secret-" + "x" * 32, run_jobs=False)
    return Context(engine=make_engine(url), clock=clock, settings=settings)


@pytest.fixture
def ctx(database_url: str, clock: ManualClock) -> Iterator[Context]:
    context = make_ctx(database_url, clock)
    yield context
    context.engine.dispose()


@pytest.fixture
def sqlite_ctx(sqlite_url: str, clock: ManualClock) -> Iterator[Context]:
    context = make_ctx(sqlite_url, clock)
    yield context
    context.engine.dispose()


def pytest_report_header() -> list[str]:
    given = os.environ.get("ADMITALL_TEST_POSTGRES_URL")
    return [f"postgres: {'ADMITALL_TEST_POSTGRES_URL' if given else 'throwaway cluster (if it can be started)'}"]
