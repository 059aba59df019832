"""Each process's pool of PostgreSQL connections is a setting (ADMITALL_DB_POOL_SIZE, ADMITALL_DB_MAX_OVERFLOW) that
reaches the engine every process builds (`make_context`: the web workers, the watch, the commands); SQLite keeps
its own pool. Building an engine connects to nothing, so no server is needed here."""

from __future__ import annotations

import pytest

from admitall.services.context import make_context
from admitall.settings import Settings
from admitall.store.db import make_engine

URL = "postgresql://admitall@/admitall?host=/nonexistent"


def test_the_pool_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ADMITALL_DB_POOL_SIZE", "3")
    monkeypatch.setenv("ADMITALL_DB_MAX_OVERFLOW", "7")
    settings = Settings()
    assert (settings.db_pool_size, settings.db_max_overflow) == (3, 7)
    assert (Settings.model_fields["db_pool_size"].default, Settings.model_fields["db_max_overflow"].default) == (5, 10)


def test_every_process_context_sizes_its_postgresql_pool_by_the_settings():
    settings = Settings(database_url=URL, db_pool_size=3, db_max_overflow=7)
    ctx = make_context(settings)
    try:
        assert ctx.engine.pool.size() == 3
        assert ctx.engine.pool._max_overflow == 7  # type: ignore[attr-defined]
    finally:
        ctx.engine.dispose()


def test_sqlite_ignores_the_postgresql_pool_settings():
    engine = make_engine("sqlite:///:memory:", 3, 7)
    try:
        assert engine.dialect.name == "sqlite"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "name, value",
    [("DB_POOL_SIZE", "0"), ("DB_MAX_OVERFLOW", "-1"), ("WATCH_EVERY_SECONDS", "0"), ("WATCH_RETRY_SECONDS", "0")],
)
def test_a_pool_or_watch_setting_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str):
    from pydantic import ValidationError

    monkeypatch.setenv(f"ADMITALL_{name}", value)
    with pytest.raises(ValidationError):
        Settings()
