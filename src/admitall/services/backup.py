"""Backups and restores of a SQLite database; PostgreSQL is backed up by its own tools (pg_dump, or base backups
with WAL archiving for point-in-time recovery: docs/deploy.md), which this refuses to stand in for.

`backup` writes a consistent copy while the server runs (SQLite's VACUUM INTO: one read transaction, the writers
go on). `restore` puts a copy back while the server is stopped: it checks the copy first (an SQLite database, whole,
at a known migration) and replaces the database file, its WAL and shared-memory files removed. Both are audited in
the database they leave behind."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from admitall.domain.errors import InvalidInput
from admitall.services.context import Actor, Context

PG_ADVICE_ZH = (
    "PostgreSQL 数据库请用 pg_dump（如 pg_dump -Fc -f admitall.dump 库名）或基础备份加 WAL 归档（时间点恢复）备份，"
    "见 docs/deploy.md"
)
PG_ADVICE_EN = (
    "Back up a PostgreSQL database with pg_dump (e.g. pg_dump -Fc -f admitall.dump DBNAME) or base backups with WAL "
    "archiving (point-in-time recovery): see docs/deploy.md"
)


def sqlite_path(ctx: Context) -> Path:
    """The database file, or a refusal saying what to use instead on PostgreSQL."""
    url = ctx.engine.url
    if url.get_backend_name() != "sqlite":
        raise InvalidInput("backup.postgresql", PG_ADVICE_ZH, PG_ADVICE_EN)
    if not url.database or url.database == ":memory:":
        raise InvalidInput("backup.memory", "内存数据库无法备份", "An in-memory database cannot be backed up")
    return Path(url.database)


def backup(ctx: Context, actor: Actor, target: Path) -> dict[str, Any]:
    """A consistent copy of the SQLite database in `target` (which must not exist yet)."""
    source = sqlite_path(ctx)
    if target.exists():
        raise InvalidInput(
            "backup.exists", f"备份文件已存在：{target}", f"The backup file exists already: {target}", field="file"
        )
    with ctx.engine.connect() as conn:
        # outside a transaction (VACUUM cannot run in one): the connection's own BEGIN is not issued for this
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("VACUUM INTO ?", (str(target),))
    with ctx.uow(write=True) as uow:
        uow.audit.record(ctx.clock.now(), actor.username, "database_backup", "database", None, file=str(target))
        uow.commit()
    return {"source": str(source), "backup": str(target), "bytes": target.stat().st_size}


def check_copy(path: Path) -> str:
    """The migration a copy is at, after checking that it is a whole SQLite database of AdmitAll."""
    refusal = InvalidInput(
        "restore.not_a_backup",
        f"{path} 不是完好的 AdmitAll 数据库备份",
        f"{path} is not a sound AdmitAll database backup",
        field="file",
    )
    if not path.is_file():
        raise refusal
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise refusal
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        raise refusal from None
    if row is None:
        raise refusal
    return str(row[0])


def restore(ctx: Context, actor: Actor, copy: Path) -> dict[str, Any]:
    """Replace the SQLite database with a backup (the server stopped). The database's own file is replaced whole;
    `admitall init` then brings an older copy up to the newest migration, and `admitall verify` checks it."""
    target = sqlite_path(ctx)
    revision = check_copy(copy)
    ctx.engine.dispose()
    staging = target.with_name(target.name + ".restoring")
    shutil.copyfile(copy, staging)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    staging.replace(target)
    ctx.engine.dispose()
    with ctx.uow(write=True) as uow:
        uow.audit.record(ctx.clock.now(), actor.username, "database_restore", "database", None, file=str(copy))
        uow.commit()
    return {"database": str(target), "restored_from": str(copy), "revision": revision}
