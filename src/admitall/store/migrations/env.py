"""Alembic environment: uses the connection AdmitAll hands over, or opens one from the configured URL."""

from __future__ import annotations

from alembic import context

from admitall.store.db import make_engine
from admitall.store.tables import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("AdmitAll migrations run online only: use `admitall init`")
run_migrations_online()
