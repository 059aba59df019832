"""The operator's commands: `admitall backup FILE`, `admitall restore FILE --yes` (SQLite; PostgreSQL has pg_dump and
point-in-time recovery, docs/deploy.md) and `admitall purge --released-before DATE [--yes]` (personal data
retention: a dry run with counts unless --yes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from admitall.cli_common import context as _context
from admitall.cli_common import emit as _emit
from admitall.cli_common import errors as _errors
from admitall.cli_common import lang as _lang
from admitall.domain.errors import InvalidInput
from admitall.services.context import cli_actor

JSON = typer.Option(False, "--json", help="Print one JSON object.")


def backup_command(
    file: Path = typer.Argument(..., help="The copy to write (must not exist)."), as_json: bool = JSON
) -> None:
    """A consistent copy of the SQLite database, written while the server runs (VACUUM INTO)."""
    from admitall.services.backup import backup

    with _errors(as_json):
        result = backup(_context(), cli_actor(), file)
    zh = f"已备份到 {result['backup']}（{result['bytes']:,} 字节）"
    en = f"Backed up to {result['backup']} ({result['bytes']:,} bytes)"
    _emit(as_json, result, [en if _lang() == "en" else zh])


def restore_command(
    file: Path = typer.Argument(..., help="A backup written by `admitall backup`."),
    yes: bool = typer.Option(False, "--yes", help="Replace the database (stop the server and the watch first)."),
    as_json: bool = JSON,
) -> None:
    """Replace the SQLite database with a backup; then `admitall init` and `admitall verify`."""
    from admitall.services.backup import check_copy, restore

    with _errors(as_json):
        if not yes:
            revision = check_copy(file)
            raise InvalidInput(
                "restore.confirm",
                f"{file} 是完好的备份（迁移 {revision}）；停止服务后加 --yes 以替换数据库",
                f"{file} is a sound backup (migration {revision}); "
                "stop the server and add --yes to replace the database",
            )
        result = restore(_context(), cli_actor(), file)
    zh = f"已从 {result['restored_from']} 恢复（迁移 {result['revision']}）；请运行 admitall init 与 admitall verify"
    en = (
        f"Restored from {result['restored_from']} (migration {result['revision']}); "
        "now run admitall init and admitall verify"
    )
    _emit(as_json, result, [en if _lang() == "en" else zh])


def purge_command(
    released_before: str = typer.Option(..., "--released-before", help="YYYY-MM-DD: people released before this day."),
    yes: bool = typer.Option(False, "--yes", help="Apply (without it: a dry run with the counts)."),
    as_json: bool = JSON,
) -> None:
    """Remove the names, ID numbers, phones and addresses of people released before DATE (counts, events and
    chains stay verifiable)."""
    from admitall.services.purge import purge

    with _errors(as_json):
        try:
            day = date.fromisoformat(released_before)
        except ValueError:
            raise InvalidInput(
                "purge.date", f"日期无效：{released_before}（应为 YYYY-MM-DD）",
                f"Invalid date: {released_before} (expected YYYY-MM-DD)", field="released_before",
            ) from None  # fmt: skip
        result = purge(_context(), cli_actor(), day, apply=yes)
    skipped = len(result["people_skipped_tampered"])
    if yes:
        zh = f"已清除 {result['people']:,} 人的个人信息（{result['events_redacted']:,} 条事件）"
        en = f"Purged the personal data of {result['people']:,} people ({result['events_redacted']:,} events)"
        if skipped:
            zh += f"；{skipped} 人的记录校验不符，未清除（请运行 admitall verify）"
            en += f"; {skipped} not purged: their records fail verification (run admitall verify)"
    else:
        zh = f"试运行：{result['people']:,} 人将被清除个人信息；加 --yes 执行"
        en = f"Dry run: {result['people']:,} people would have their personal data purged; add --yes to apply"
    _emit(as_json, result, [en if _lang() == "en" else zh])


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
    app.command("purge")(purge_command)
