"""`admitall sim …`: run a scenario of the digital twin, or two of them side by side (what-if)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from admitall.cli_common import emit, errors

sim_app = typer.Typer(help="The digital twin: outbreak scenarios played through the real system.", no_args_is_help=True)


def _progress(quiet: bool) -> Any:
    if quiet:
        return None

    def show(k: int, n: int) -> None:
        if k % max(1, n // 20) == 0 or k == n:
            typer.echo(f"  {100 * k // n:3d}%", err=True)

    return show


def _write(out: Path | None, name: str, payload: dict[str, Any], csvs: dict[str, str]) -> list[str]:
    if out is None:
        return []
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    for which, text in csvs.items():
        (out / f"{name}-{which}.csv").write_text(text, encoding="utf-8")
    return [str(out / f"{name}.json"), *(str(out / f"{name}-{w}.csv") for w in csvs)]


def _record(results: Any) -> int:
    """Keep a run in the configured database (not the run's own), as the console operator."""
    from admitall.cli_common import context
    from admitall.services.context import cli_actor
    from admitall.services.simulations import record_run
    from admitall.store.db import init_database

    ctx = context()
    init_database(ctx.engine)
    return record_run(ctx, cli_actor(), results)


@sim_app.command("list")
def sim_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """The scenarios that come with AdmitAll."""
    from admitall.sim.scenario import library, load_scenario

    with errors(as_json):
        found = [load_scenario(name) for name in library()]
    rows = [{"name": s.name, "title_zh": s.title_zh, "title_en": s.title_en, "days": s.days} for s in found]
    emit(as_json, {"scenarios": rows}, [f"{r['name']:12} {r['days']:3d} d  {r['title_zh']}" for r in rows])


@sim_app.command("run")
def sim_run(
    scenario: str = typer.Argument(..., help="a scenario name (admitall sim list) or a TOML file"),
    days: int | None = typer.Option(None, "--days", help="run only this many days"),
    seed: int | None = typer.Option(None, "--seed"),
    setting: list[str] = typer.Option([], "--set", help="change one value: path=value (repeatable)"),
    out: Path | None = typer.Option(None, "--out", help="write results JSON and daily/hourly CSV here"),
    record: bool = typer.Option(False, "--record", help="keep the results in AdmitAll's database (/sim)"),
    as_json: bool = typer.Option(False, "--json", help="print the whole results as JSON"),
) -> None:
    """Run a scenario on a fresh database of its own; print the summary (or everything, with --json)."""
    from admitall.sim.run import run_scenario
    from admitall.sim.scenario import load_scenario

    with errors(as_json):
        finished = run_scenario(load_scenario(scenario, setting), days=days, seed=seed, progress=_progress(as_json))
        results = finished.results
        if record:
            results.scenario["run_id"] = _record(results)
    written = _write(out, results.scenario["name"], results.as_dict(), {w: results.csv(w) for w in ("daily", "hourly")})
    s = results.summary
    emit(
        as_json,
        results.as_dict(),
        [
            f"{results.scenario['title_zh']} — {s['days']} days, seed {results.scenario['seed']}, "
            f"{finished.seconds:.0f} s, peak memory {finished.peak_memory_mb:.0f} MB",
            f"found {s['identified']:,} ({', '.join(f'{k} {v:,}' for k, v in s['found'].items())}); "
            f"confirmed {s['confirmed']:,}; admissions incl. transfers {s['admitted']:,}",
            f"deaths {s['deaths']:,} (while waiting {s['deaths_waiting']:,}); past SLA at peak "
            f"{s['peak_past_sla']:,} ({s['peak_past_sla_at'] or '-'}); "
            f"backlog cleared {s['backlog_cleared_at'] or '-'}",
            *(f"wrote {path}" for path in written),
            *(
                [f"recorded as run {results.scenario['run_id']} (/sim/runs/{results.scenario['run_id']})"]
                if record
                else []
            ),
        ],
    )


@sim_app.command("compare")
def sim_compare(
    scenario: str = typer.Argument(...),
    setting: list[str] = typer.Option(..., "--set", help="the change to compare: path=value (repeatable)"),
    base_setting: list[str] = typer.Option(
        [], "--base", help="a setting of both runs, applied before the change: path=value (repeatable)"
    ),
    days: int | None = typer.Option(None, "--days"),
    seed: int | None = typer.Option(None, "--seed"),
    out: Path | None = typer.Option(None, "--out"),
    record: bool = typer.Option(False, "--record", help="keep both runs in AdmitAll's database (/sim/compare)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """What-if: the scenario as it is and with the change, same seed; the difference in deaths while waiting
    and in time to clear the backlog."""
    from admitall.sim.compare import compare
    from admitall.sim.run import run_scenario
    from admitall.sim.scenario import load_scenario

    with errors(as_json):
        base = run_scenario(load_scenario(scenario, base_setting), days=days, seed=seed, progress=_progress(as_json))
        changed = load_scenario(scenario, [*base_setting, *setting])
        variant = run_scenario(changed, days=days, seed=seed, progress=_progress(as_json))
        result = compare(base.results, variant.results)
        result["change"], result["base"] = list(setting), list(base_setting)
        if record:
            result["runs"] = [_record(base.results), _record(variant.results)]
    written = _write(out, f"{result['scenario']}-compare", result, {})
    both = "".join(f" {b}" for b in result["base"])
    lines = [f"{result['scenario']}{both}: base vs {' '.join(result['change'])}"]
    for key, row in result["figures"].items():
        label = "admissions incl. transfers" if key == "admitted" else key  # a transfer is admitted again
        lines.append(f"  {label:26} {row['base']!s:>10} {row['variant']!s:>10} {row['difference']!s:>10}")
    if record:
        lines.append(f"recorded as runs {result['runs'][0]} and {result['runs'][1]} (/sim/compare)")
    emit(as_json, result, [*lines, *(f"wrote {p}" for p in written)])
