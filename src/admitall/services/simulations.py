"""Recorded runs of the digital twin: keep a run's results, list them, read one back whole (and as CSV), and
set two side by side (what-if: the difference in deaths while waiting and in time to clear the backlog).

Results are aggregates of a simulated city — no person's data — so whoever may read counts may read them;
recording one is a planner's act (those who manage schedules, or the server's console)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.errors import InvalidInput, NotFound
from admitall.domain.text import check_day
from admitall.services.context import Actor, Context, not_found
from admitall.sim.compare import compare
from admitall.sim.results import Results
from admitall.store.paged import DEFAULT_SIZE, bounded, page_fields
from admitall.store.text_limits import check_row

CSV_KINDS = ("daily", "hourly")


def _bad(what: str) -> InvalidInput:
    return InvalidInput(
        "sim.bad_results",
        f"模拟结果格式不正确：{what}",
        f"The simulation results are not in the expected form: {what}",
        field=what,
    )


def results_from(data: Results | Mapping[str, Any]) -> Results:
    """Results as the run gave them, or rebuilt (and checked) from their JSON form (`Results.as_dict()`)."""
    if isinstance(data, Results):
        return data
    if not isinstance(data, Mapping):
        raise _bad("results")
    scenario, summary = data.get("scenario"), data.get("summary")
    daily, hourly, refused = data.get("daily"), data.get("hourly"), data.get("refused", {})
    if not isinstance(scenario, Mapping):
        raise _bad("scenario")
    if not isinstance(summary, Mapping):
        raise _bad("summary")
    if not isinstance(refused, Mapping):
        raise _bad("refused")
    if not isinstance(daily, list) or not all(isinstance(r, Mapping) and "day" in r for r in daily):
        raise _bad("daily")
    if not isinstance(hourly, list) or not all(isinstance(r, Mapping) and "hour" in r for r in hourly):
        raise _bad("hourly")
    return Results(
        scenario=dict(scenario),
        summary=dict(summary),
        daily=[dict(r) for r in daily],
        hourly=[dict(r) for r in hourly],
        refused=dict(refused),
    )


def _columns(results: Results) -> dict[str, Any]:
    """The listed columns of a run, checked: what the table needs must be there and of the right kind."""
    s = results.scenario
    for key in ("name", "title_zh", "title_en"):
        if not isinstance(s.get(key), str) or not s[key].strip():
            raise _bad(f"scenario.{key}")
    check_row("sim_runs", {"scenario_name": s["name"], "title_zh": s["title_zh"], "title_en": s["title_en"]})
    for key, lowest, highest in (("days", 1, 100_000), ("seed", -(2**63), 2**63 - 1)):
        if not isinstance(s.get(key), int) or isinstance(s[key], bool) or not lowest <= s[key] <= highest:
            raise _bad(f"scenario.{key}")
    settings = s.get("settings", [])
    if not isinstance(settings, list) or not all(isinstance(x, str) for x in settings):
        raise _bad("scenario.settings")
    try:
        start = check_day("scenario.start", date.fromisoformat(str(s.get("start"))))
    except ValueError:
        raise _bad("scenario.start") from None
    wall = s.get("wall_seconds")
    if wall is not None and (not isinstance(wall, int | float) or isinstance(wall, bool) or not math.isfinite(wall)):
        raise _bad("scenario.wall_seconds")
    return {
        "scenario_name": s["name"],
        "title_zh": s["title_zh"],
        "title_en": s["title_en"],
        "start": start,
        "days": s["days"],
        "seed": s["seed"],
        "settings": list(settings),
        "wall_seconds": None if wall is None else float(wall),
        "scenario": dict(s),
        "summary": results.summary,
        "refused": results.refused,
        "daily": results.daily,
        "hourly": results.hourly,
    }


def record_run(ctx: Context, actor: Actor, results: Results | Mapping[str, Any]) -> int:
    """Keep a run's results; returns the run's id. Audited."""
    actor.require(Permission.MANAGE_SCHEDULES)
    row = _columns(results_from(results))
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        run_id = uow.sim_runs.add(row, now, actor.username)
        uow.audit.record(
            now,
            actor.username,
            "record_sim_run",
            "sim_run",
            run_id,
            unit=actor.unit_code,
            scenario=row["scenario_name"],
            seed=row["seed"],
            settings=row["settings"],
        )
        uow.commit()
    return run_id


def _meta(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "scenario": row["scenario_name"],
        "title_zh": row["title_zh"],
        "title_en": row["title_en"],
        "start": row["start"].isoformat(),
        "days": row["days"],
        "seed": row["seed"],
        "settings": row["settings"],
        "wall_seconds": row["wall_seconds"],
        "recorded_at": row["recorded_at"].isoformat(),
        "recorded_by": row["recorded_by"],
    }


def list_runs(
    ctx: Context, actor: Actor, *, page: int = 1, size: int = DEFAULT_SIZE, also: tuple[int, ...] = ()
) -> dict[str, Any]:
    """A page of the recorded runs, newest first, each with its summary (not its rows), with how many there are;
    `also` adds runs not on the page (the two a comparison shows, for its pickers) after the page's."""
    actor.require(Permission.VIEW_COUNTS)
    page, size = bounded(page, size)
    with ctx.uow() as uow:
        rows, total = uow.sim_runs.listing(page, size)
        shown = {row["id"] for row in rows}
        rows += uow.sim_runs.listed(sorted(set(also) - shown))
    return {"runs": [{**_meta(row), "summary": row["summary"]} for row in rows], **page_fields(page, size, total)}


def _load(ctx: Context, run_id: int) -> dict[str, Any]:
    with ctx.uow() as uow:
        row = uow.sim_runs.get(run_id)
    if row is None:
        raise not_found("sim_run", run_id)
    return row


def _scenario(row: Mapping[str, Any]) -> dict[str, Any]:
    """The run's scenario as recorded, with every listed field there from its checked column — a run recorded
    without one (the demo's has no wall time: it is played, not timed) reads back with it as none."""
    return {
        **row["scenario"],
        "name": row["scenario_name"],
        "title_zh": row["title_zh"],
        "title_en": row["title_en"],
        "start": row["start"].isoformat(),
        "days": row["days"],
        "seed": row["seed"],
        "settings": row["settings"],
        "wall_seconds": row["wall_seconds"],
    }


def _results(row: Mapping[str, Any]) -> Results:
    return Results(
        scenario=_scenario(row),
        summary=row["summary"],
        daily=row["daily"],
        hourly=row["hourly"],
        refused=row["refused"],
    )


def get_run(ctx: Context, actor: Actor, run_id: int) -> dict[str, Any]:
    """A run's results whole, as the run gave them, with when and by whom it was recorded."""
    actor.require(Permission.VIEW_COUNTS)
    row = _load(ctx, run_id)
    return {
        "id": row["id"],
        "recorded_at": row["recorded_at"].isoformat(),
        "recorded_by": row["recorded_by"],
        **_results(row).as_dict(),
    }


def run_csv(ctx: Context, actor: Actor, run_id: int, which: str) -> str:
    """A run's daily or hourly rows as CSV (nested figures flattened: `beds.icu.occupied`)."""
    actor.require(Permission.VIEW_COUNTS)
    if which not in CSV_KINDS:
        raise NotFound(
            "sim.no_such_table", f"没有 {which} 表：只有每日和逐小时两种", f"No {which} table: daily or hourly"
        )
    return _results(_load(ctx, run_id)).csv(which)


def _warnings(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, str]]:
    """Where two runs differ in more than their settings: a what-if compares like with like."""
    checks = (
        ("scenario_name", "sim.different_scenario", "两次运行的情景不同", "The two runs are of different scenarios"),
        ("seed", "sim.different_seed", "两次运行的随机种子不同", "The two runs have different seeds"),
        ("start", "sim.different_start", "两次运行的起始日期不同", "The two runs start on different days"),
        ("days", "sim.different_days", "两次运行的天数不同", "The two runs last different numbers of days"),
    )
    return [{"code": code, "zh": zh, "en": en} for key, code, zh, en in checks if a[key] != b[key]]


def compare_runs(ctx: Context, actor: Actor, a: int, b: int) -> dict[str, Any]:
    """Run `a` (the base) and run `b` (the variant) side by side: each headline figure of both and the
    difference (b − a), the daily deaths while waiting and people past their SLA of both, and the hourly
    people past their SLA of both."""
    actor.require(Permission.VIEW_COUNTS)
    if a == b:
        raise InvalidInput("sim.same_run", "请选择两次不同的运行", "Pick two different runs", field="b")
    base, variant = _load(ctx, a), _load(ctx, b)
    result = compare(_results(base), _results(variant))
    hourly = [
        {"hour": x["hour"], "past_sla": [x.get("past_sla"), y.get("past_sla")]}
        for x, y in zip(base["hourly"], variant["hourly"], strict=False)
    ]
    only_a = [s for s in base["settings"] if s not in variant["settings"]]
    only_b = [s for s in variant["settings"] if s not in base["settings"]]
    return {
        "a": {**_meta(base), "summary": base["summary"]},
        "b": {**_meta(variant), "summary": variant["summary"]},
        **result,
        "settings_only_in_a": only_a,
        "settings_only_in_b": only_b,
        "hourly": hourly,
        "warnings": _warnings(base, variant),
    }
