"""Engines for SQLite (WAL, foreign keys on) and PostgreSQL, and `init_database` (Alembic upgrade to head)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent / "migrations"


def to_json(value: Any) -> str:
    """JSON as stored: Chinese text kept as it is, not escaped."""
    return orjson.dumps(value).decode()


def make_engine(url: str, pool_size: int | None = None, max_overflow: int | None = None, **kwargs: Any) -> Engine:
    """An engine for `url`. SQLite gets WAL, foreign keys, a busy timeout and explicit BEGINs; PostgreSQL a pool of
    `pool_size` connections kept open and `max_overflow` more at a busy moment (SQLAlchemy's 5 and 10 if not given).

    pysqlite's own transaction handling begins lazily and cannot take the write lock up front; we switch it
    off and issue BEGIN ourselves, BEGIN IMMEDIATE for a unit of work that will write, so that two writers
    queue on the busy timeout instead of failing half-way.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=to_json, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: big imports touch many index pages
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    # psycopg prepares statements it sees often; PostgreSQL then may settle on one generic plan, blind to the
    # bound values (a unit's code range), and scan a whole hour of events for one community. Plan each time.
    connect_args = {"options": "-c plan_cache_mode=force_custom_plan"}
    if pool_size is not None:
        kwargs["pool_size"] = pool_size
    if max_overflow is not None:
        kwargs["max_overflow"] = max_overflow
    return create_engine(url, pool_pre_ping=True, json_serializer=to_json, connect_args=connect_args, **kwargs)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def init_database(engine: Engine) -> str:
    """Create or migrate the schema to the newest revision; returns the revision now in place."""
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return current_revision(engine)


def current_revision(engine: Engine) -> str:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return ""
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else ""
