"""The `admitall` command: thin Typer commands over the same services as the API and the pages.

With `--json` a command prints exactly one JSON object on stdout and nothing else; errors then are
`{"error": {...}}` with exit code 2. Without it, messages are in ADMITALL_LANG (zh by default).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from admitall.cli_accountability import import_officials_command, officials_app, scorecards_app
from admitall.cli_common import context as _context
from admitall.cli_common import emit as _emit
from admitall.cli_common import errors as _errors
from admitall.cli_common import lang as _lang
from admitall.cli_demo import demo, say
from admitall.cli_linkage import link
from admitall.cli_sim import sim_app
from admitall.domain.access import Role
from admitall.keys import DEMO_MARK, key_file, serve_refusal
from admitall.services.context import Actor, cli_actor

app = typer.Typer(
    help="AdmitAll — 应收尽收: the outbreak admission command system.", no_args_is_help=True, add_completion=False
)
import_app = typer.Typer(
    help="Import units, people, facilities or officials from CSV/XLSX files, boundaries from GeoJSON.",
    no_args_is_help=True,
)
users_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(users_app, name="users")
app.add_typer(officials_app, name="officials")
app.add_typer(scorecards_app, name="scorecards")
app.add_typer(sim_app, name="sim")
import_app.command("officials")(import_officials_command)
app.command()(demo)
app.command()(link)


def cli_dispatcher() -> Actor:
    """The operator at the console planning admissions: a dispatcher over the whole registry."""
    return Actor(username="cli", role=Role.DISPATCHER, unit_code=None, display_name="cli")


@app.command()
def init(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Create or migrate the database."""
    from admitall.store.db import init_database

    with _errors(as_json):
        ctx = _context()
        revision = init_database(ctx.engine)
        url = ctx.engine.url.render_as_string(hide_password=True)
        keys = ctx.keys  # without ADMITALL_SECRET_KEY, a SQLite database gets its key file now (admitall.keys)
        where = key_file(ctx.engine.url.render_as_string(hide_password=False))
    lines = [say("ready", _lang(), url=url, revision=revision)]
    if keys.source != "environment":
        lines.append(say("key_file", _lang(), where=where) if keys.available else say("no_key", _lang()))
    _emit(as_json, {"database": url, "revision": revision, "key": keys.source}, lines)


def _progress_bar(enabled: bool) -> tuple[Callable[[str, int, int], None] | None, Callable[[], None]]:
    if not enabled:
        return None, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    )
    bar.start()
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total or None)
        bar.update(tasks[stage], completed=done, total=total or None)

    return update, bar.stop


@import_app.command("units")
def import_units_command(
    file: Path = typer.Argument(..., help="CSV or XLSX: code,name[,parent_code]"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import jurisdiction units; a bad or orphan code is rejected with its row."""
    from admitall.services.units import import_units_file

    with _errors(as_json):
        summary = import_units_file(_context(), cli_actor(), file).as_dict()
    lines = [
        f"rows {summary['rows']}: accepted {summary['accepted']}, unchanged {summary['unchanged']}, "
        f"renamed {summary['renamed']}, rejected {summary['rejected']}"
    ]
    lines += [
        f"  row {r['row']} [{r['field']}]: {r['reason_en' if _lang() == 'en' else 'reason']}"
        for r in summary["rejections"]
    ]
    _emit(as_json, summary, lines)


@import_app.command("boundaries")
def import_boundaries_command(
    file: Path = typer.Argument(..., help="GeoJSON: Polygon/MultiPolygon features with a code or name property"),
    within: str = typer.Option("", help="Match names below this unit only (default: the whole tree)."),
    source: str = typer.Option("", help="Where the boundaries come from (default: the file's name)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import units' boundaries for the map, matched by code or else by name; exit 1 when nothing matched."""
    from admitall.services.boundaries import import_boundaries_file

    with _errors(as_json):
        summary = import_boundaries_file(
            _context(), cli_actor(), file, source=source or None, within=within or None
        ).as_dict()
    lines = [
        f"features {summary['features']}: matched {summary['matched']} (replaced {summary['replaced']}), "
        f"unmatched {summary['unmatched']}"
    ]
    lines += [
        f"  feature {u['feature']} {u['name'] or u['code'] or ''}: {u['reason_en' if _lang() == 'en' else 'reason']}"
        for u in summary["unmatched_features"]
    ]
    _emit(as_json, summary, lines)
    if not summary["matched"]:
        raise typer.Exit(1)


@import_app.command("persons")
def import_persons_command(
    file: Path = typer.Argument(..., help="CSV (UTF-8, UTF-8 BOM, GB18030) or XLSX with the persons columns"),
    source: str = typer.Option("", help="Name of the source list (default: the file name)."),
    rejects: Path | None = typer.Option(None, help="Write rejected rows, with row, field and reason, here."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Import people: every row is accepted, merged into the same person, or rejected with a reason."""
    from admitall.domain.intake import HEADERS
    from admitall.services.registration import register_batch
    from admitall.services.tabular import Limits, read_table

    lang = _lang()
    update, stop = _progress_bar(sys.stderr.isatty())
    with _errors(as_json):
        ctx = _context()
        table = read_table(file, HEADERS, ("name", "category", "unit_code"), limits=Limits.of(ctx.settings))
        try:
            summary = register_batch(
                ctx,
                cli_actor(),
                table.rows,
                source=source or file.name,
                filename=file.name,
                sha256=table.sha256,
                progress=update,
            )
        finally:
            stop()
    if rejects is not None:
        _write_rejects(rejects, summary.rejections, lang)
    result = {
        **summary.as_dict(lang),
        "file": str(file),
        "encoding": table.encoding,
        "ignored_columns": table.ignored_columns,
        "rejects_file": str(rejects) if rejects else None,
    }
    lines = [
        f"rows {summary.rows}: accepted {summary.accepted}, merged {summary.merged}, referred {summary.referred}, "
        f"rejected {summary.rejected} (blank rows skipped: {summary.blank_rows})"
    ]
    lines += [f"  row {r.row} [{r.fields()}]: {r.reason(lang)}" for r in summary.rejections[:20]]
    if summary.rejected > 20:
        lines.append(f"  … {summary.rejected - 20} more" + (f", all in {rejects}" if rejects else ""))
    lines += [f"  warning row {row} [{w.field}]: {w.message(lang)}" for row, w in summary.warnings[:20]]
    _emit(as_json, result, lines)


def _write_rejects(path: Path, rejections: list[Any], lang: str) -> None:
    """The rejected rows as they came, with row, field and reason first: fix them and import this file again."""
    columns: list[str] = []
    for r in rejections:
        columns.extend(k for k in r.raw if k not in columns)
    from admitall.services.tabular import csv_row

    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(csv_row(["row", "field", "reason", *columns]))
        for r in rejections:
            writer.writerow(csv_row([r.row, r.fields(), r.reason(lang), *[r.raw.get(c) or "" for c in columns]]))


@import_app.command("facilities")
def import_facilities_command(
    file: Path = typer.Argument(..., help="CSV or XLSX with the facilities columns (bed columns are capacities)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import facilities and their bed capacities; bad rows are rejected with row, field and reason."""
    from admitall.services.facilities import import_facilities_file

    with _errors(as_json):
        summary = import_facilities_file(_context(), cli_actor(), file).as_dict()
    lines = [
        f"rows {summary['rows']}: accepted {summary['accepted']}, updated {summary['updated']}, "
        f"rejected {summary['rejected']}"
    ]
    lines += [
        f"  row {r['row']} [{r['field']}]: {r['reason_en' if _lang() == 'en' else 'reason']}"
        for r in summary["rejections"]
    ]
    _emit(as_json, summary, lines)


@app.command()
def allocate(
    commit: bool = typer.Option(False, "--commit", help="Reserve the planned beds (default: a dry run)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Plan admissions for everyone waiting; with --commit, reserve the beds of the plan."""
    from admitall.services.admission import allocate as allocate_service

    with _errors(as_json):
        result = allocate_service(_context(), cli_dispatcher(), commit=commit, lang=_lang())
    assignments = result["assignments"]
    lines = [
        f"{a['priority_class']:<15} {a['person']:>7} → {a['facility']} {a['bed_type']}: {a['reason']}"
        for a in assignments[:50]
    ]
    if len(assignments) > 50:
        lines.append(f"… {len(assignments) - 50} more assignments")
    done = (
        f"; reserved {result['confirmed']}, skipped {len(result['skipped'])}"
        if commit
        else " (dry run: nothing changed; --commit reserves the beds)"
    )
    lines.append(f"planned {len(assignments)}, unplaced {result['unplaced_total']}{done}")
    _emit(as_json, result, lines)


@app.command()
def backlog(
    unit: str = typer.Option("", help="Unit code (default: the whole registry)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Stock, inflow, change, admissions, SLA breaches and time to clear (减存量、控增量、防变量)."""
    from admitall.services.backlog import backlog as backlog_service

    with _errors(as_json):
        result = backlog_service(_context(), cli_actor(), unit or None)
    stock, inflow, admitted = result["stock"], result["inflow"], result["admissions"]
    clear = result["projected_hours_to_clear"] if result["clearing"] else "not clearing"
    lines = [
        f"waiting {stock['waiting']} (awaiting transfer {stock['awaiting_transfer']}, "
        f"assigned or in transit {stock['assigned_or_in_transit']})",
        f"by class: {stock['by_priority_class']}",
        f"inflow {inflow['last_hour']}/h (24 h average {inflow['per_hour_24h']}/h), "
        f"admissions incl. transfers {admitted['last_hour']}/h (24 h average {admitted['per_hour_24h']}/h), "
        f"change {result['change']['last_hour']}/h",
        f"SLA breaches {result['sla_breaches']['total']}; projected hours to clear: {clear}",
    ]
    _emit(as_json, result, lines)


@app.command("watch")
def watch_command(
    as_json: bool = typer.Option(False, "--json"),
    forever: bool = typer.Option(
        False, "--forever", help="A round at the start of every minute, one runner at a time, until SIGTERM/SIGINT."
    ),
) -> None:
    """One round of the watch: missing reports, overdue directives, units without a lead, escalations, scorecards
    (with --forever, one every minute: the watch's own process in production)."""
    from admitall.services.watch_runner import run_once

    if forever:
        _watch_forever(as_json)
        return
    with _errors(as_json):
        result = run_once(_context())
    _emit(as_json, result, _round_lines(result))


def _watch_forever(as_json: bool) -> None:
    import logging.config
    import threading

    from admitall.ops_logging import log_config
    from admitall.services.watch_runner import run_forever, stop_on_signals

    stop = threading.Event()
    stop_on_signals(stop)
    with _errors(as_json):
        ctx = _context()
        logging.config.dictConfig(log_config(ctx.settings.log_format))
        run_forever(ctx, stop, lambda result: _emit(as_json, result, _round_lines(result)))


def _round_lines(result: dict[str, Any]) -> list[str]:
    return [
        f"raised {result['raised']}, escalated {result['escalated']}, "
        f"problems escalated {result['problems_escalated']}, "
        f"units without a lead {result['units_without_lead']}, directives overdue {result['directives_overdue']}, "
        f"completed by the registry {result['directives_completed_by_registry']}"
        if result["ran"]
        else f"not run: {result['reason']}"
    ]


@app.command()
def verify(
    heads: Path | None = typer.Option(
        None, "--heads", help="Also check against chain heads copied from bulletins (their JSON, or the printed lines)."
    ),
    record: bool = typer.Option(False, "--record", help="If all is intact, keep every chain's head as of now."),
    full: bool = typer.Option(False, "--full", help="Read every chain, not only what changed since the last verify."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Walk the keyed chains of events and reports, check the audit, alerts and directives, and every family of
    records against the heads kept per day (and copied from bulletins), and every person against their history;
    exit 1 if anything was changed or removed behind the system's back. Without --full, only the chains that
    changed since the last verify that found all intact (docs/deploy.md says what that guarantees)."""
    from admitall.services import chain_heads
    from admitall.services.verify_incremental import verify_changed

    with _errors(as_json):
        ctx = _context()
        published = chain_heads.read_published(_read_text(heads)) if heads else None
        result = verify_changed(ctx, published, full=full)
        if record and result["ok"]:
            result["recorded"] = chain_heads.printed(chain_heads.record_now(ctx))
    lines = [
        ("full: " if result["mode"] == "full" else f"changed since {result['since']}: ")
        + f"checked {result['events_checked']} events, {result['reports_checked']} reports, "
        f"{result['audit_checked']} audit entries, {result['alerts_checked']} alerts, "
        f"{result['directives_checked']} directives and {result['heads_checked']} heads: "
        + ("all intact" if result["ok"] else f"{result['problems_total']} problems")
    ]
    lines += [f"  kept: {h['chain']} {h['day']} {h['seq']} {h['digest']}" for h in result.get("recorded", [])]
    lines += [f"  {p['table']} {p.get('id', p.get('person', ''))}: {p['problem']}" for p in result["problems"][:100]]
    _emit(as_json, result, lines)
    if not result["ok"]:
        raise typer.Exit(1)


@users_app.command("add")
def users_add(
    username: str,
    role: str = typer.Option(..., help="admin, commander, unit_officer, dispatcher, facility_officer or analyst"),
    unit: str = typer.Option(..., help="The user's home unit (12-digit code)."),
    name: str = typer.Option("", help="Display name."),
    facility: str = typer.Option("", help="For a facility officer: the code of their facility."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add a user with a role and a home unit."""
    from admitall.services.auth import add_user

    with _errors(as_json):
        if not password_stdin:
            from admitall.domain.errors import InvalidInput

            raise InvalidInput(
                "user.password_stdin",
                "请用 --password-stdin 从标准输入提供密码",
                "Give the password on standard input with --password-stdin",
            )
        password = sys.stdin.readline().rstrip("\r\n")
        result = add_user(
            _context(),
            cli_actor(),
            username=username,
            password=password,
            role=role,
            unit_code=unit,
            display_name=name or None,
            facility_code=facility or None,
        )
    _emit(as_json, result, [f"User {result['username']} added ({result['role']}, {result['unit_code']})"])


@app.command()
def stock(
    unit: str = typer.Option("", help="Unit code (default: the whole registry)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """People by category, severity and placement for a unit's subtree."""
    from admitall.services.people import stock as stock_service

    with _errors(as_json):
        result = stock_service(_context(), cli_actor(), unit or None)
    lines = [f"{k}: {v}" for k, v in result["by_category"].items()]
    lines.append(f"waiting: {result['waiting']} (oldest {result['oldest_wait_hours']} h)")
    _emit(as_json, result, lines)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    workers: int = typer.Option(
        1,
        help="Server processes, each with its own pool of database connections (ADMITALL_DB_POOL_SIZE); "
        "they share everything else through the database.",
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None, help="Proxies whose X-Forwarded-For/-Proto are believed (comma-separated; default 127.0.0.1)."
    ),
    root_path: str = typer.Option("", help="The path prefix the proxy serves AdmitAll under (e.g. /admitall)."),
    log_config: Path | None = typer.Option(
        None, help="A logging configuration file (INI, JSON or YAML) instead of ADMITALL_LOG_FORMAT's."
    ),
) -> None:
    """Run the web server (pages and API)."""
    import uvicorn

    from admitall.api.app import create_app
    from admitall.services.demo import DEMO_PASSWORD, DEMO_USERS
    from admitall.store.uow import UnitOfWork

    with _errors(False):
        ctx = _context()
        with UnitOfWork(ctx.engine) as uow:  # not ctx.uow(): that would read (or create) the key first
            demo_mark = uow.secrets.get(DEMO_MARK) is not None
        url = ctx.engine.url.render_as_string(hide_password=False)
        refusal = serve_refusal(ctx.settings.secret_key, url, demo_mark)
        if refusal is not None:
            raise refusal
        application = create_app(ctx)
        with ctx.uow() as uow:
            demo_users = [u for u in DEMO_USERS if uow.users.by_username(u.username) is not None]
    typer.echo(say("running", _lang(), host=host, port=port))
    if not ctx.settings.secret_key:
        typer.echo(say("demo_key", _lang(), where=key_file(url)))
    if demo_users:
        typer.echo(say("signins", _lang(), password=DEMO_PASSWORD))
        for u in demo_users:
            typer.echo(f"  {u.username:<11} {u.role:<17} {u.unit_code}  {u.display_name}")
    from admitall.ops_logging import log_config as default_log_config

    fmt = ctx.settings.log_format
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "forwarded_allow_ips": forwarded_allow_ips,
        "root_path": root_path,
        "log_config": str(log_config)
        if log_config
        else default_log_config(fmt, "INFO" if fmt == "json" else "WARNING"),
    }
    if workers > 1:
        uvicorn.run("admitall.api.app:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(application, **options)


def _read_text(path: Path) -> str:
    from admitall.domain.errors import InvalidInput

    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput(
            "verify.heads_unreadable", f"无法读取链头文件 {path}：{e}", f"Cannot read the heads file {path}: {e}"
        ) from None


from admitall.cli_ops import register as _register_ops  # noqa: E402  (backup, purge: cli_ops)

_register_ops(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
