"""The rules one report is held to, shared by one submission (services.reporting) and a batch of them
(services.reporting_batch): what a reporter sends and how it is checked, which period it is for, which version
it becomes, the keyed hash it carries, and how it is shown back."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from admitall.domain.chain import report_record, seal
from admitall.domain.errors import Conflict, InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.reporting import (
    DEFAULT_SCHEDULES,
    Period,
    ProblemSeverity,
    ProblemType,
    Schedule,
    check_period_start,
    period_containing,
)
from admitall.domain.text import check_day, check_text
from admitall.domain.units import UnitLevel
from admitall.services.context import Context
from admitall.store.uow import UnitOfWork

# schedules change seldom and are read by every report: each server keeps them for a short while
SCHEDULE_CACHE_SECONDS = 30.0
_schedule_cache: dict[int, tuple[float, dict[UnitLevel, Schedule]]] = {}


def schedules_of(uow: UnitOfWork) -> dict[UnitLevel, Schedule]:
    key = id(uow.engine)
    cached = _schedule_cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    found = uow.reports.schedules() or dict(DEFAULT_SCHEDULES)
    _schedule_cache[key] = (time.monotonic() + SCHEDULE_CACHE_SECONDS, found)
    return found


def forget_schedules(uow: UnitOfWork) -> None:
    _schedule_cache.pop(id(uow.engine), None)


def period_of(ctx: Context, schedule: Schedule, period_start: datetime | str | None) -> Period:
    if period_start is None:
        return period_containing(ctx.clock.now(), schedule, ctx.settings.tz)
    if isinstance(period_start, str):
        try:
            period_start = datetime.fromisoformat(period_start)
        except ValueError:
            raise InvalidInput(
                "report.bad_period",
                f"周期开始时间无法识别：{period_start}",
                f"Not a period start time: {period_start}",
                field="period_start",
            ) from None
        check_day("period_start", period_start.date())
        if period_start.tzinfo is None:
            period_start = period_start.replace(tzinfo=ctx.settings.tz)
    # stored, hashed and compared in UTC whatever offset it came with (the hash must match once read back)
    return check_period_start(period_start.astimezone(UTC), schedule, ctx.settings.tz)


def period_view(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "deadline": period.deadline.isoformat()}


def brief(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "version": row["version"],
        "received_at": row["received_at"].isoformat(),
        "on_time": row["on_time"],
    }


@dataclass
class ReportInput:
    """What a reporter sends. `reported` holds the figures they state (prefilled from the draft); `as_drafted`:
    the reporter attests the registry's figures as the draft prefills them, so they are counted once, at
    submission, for both what is reported and what the registry holds (`reported` stays empty)."""

    unit_code: str
    period_start: datetime | str | None
    reported: Mapping[str, Any]
    attested_by: str
    attest: bool
    field: Mapping[str, Any] = field(default_factory=dict)
    problems: Sequence[Mapping[str, Any]] = ()
    idempotency_key: str | None = None
    supersedes: int | None = None
    correction_reason: str | None = None
    as_drafted: bool = False


MAX_FIGURE = 10_000_000  # more people than a province holds: a typo, and beyond what the database stores


def whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FIGURE:
        raise InvalidInput(
            "report.bad_figure",
            f"{name} 必须是 0 到 {MAX_FIGURE} 之间的整数",
            f"{name} must be a whole number from 0 to {MAX_FIGURE}",
            field=name,
        )
    return value


def check_figures(reported: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key in ("found", "waiting", "waiting_confirmed_by_severity"):
        value = reported.get(key) or {}
        if not isinstance(value, Mapping):
            raise InvalidInput(
                "report.bad_figure", f"{key} 应为按类别的数字", f"{key} must be counts by category", field=key
            )
        clean[key] = {str(k): whole(v, f"{key}.{k}") for k, v in value.items()}
    for key in ("admitted", "sla_breaches"):
        if reported.get(key) is not None:
            clean[key] = whole(reported[key], key)
    return clean


def check_problems(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    clean = []
    for i, item in enumerate(items, start=1):
        ptype, severity = (
            ProblemType.parse(str(item.get("type") or "")),
            ProblemSeverity.parse(str(item.get("severity") or "")),
        )
        text = check_text(f"problems.{i}.description", nfkc(str(item.get("description") or "")), multiline=True)
        if ptype is None or severity is None or not text:
            raise InvalidInput(
                "report.bad_problem",
                f"第 {i} 个问题须有类型、严重程度和说明",
                f"Problem {i} needs a type, a severity and a description",
                field="problems",
            )
        clean.append(
            {
                "type": ptype.value,
                "severity": severity.value,
                "description": text[:2000],
                "needs_help": bool(item.get("needs_help")),
            }
        )
    return clean


def report_hash(
    key: bytes,
    prev: str,
    row: Mapping[str, Any],
    problems: Sequence[Mapping[str, Any]],
    discrepancies: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The keyed hash a report carries (domain.chain): its own fields, its problems as sent, the discrepancies
    found in it, and the unit's previous report's hash."""
    return seal(key, prev, report_record(row, problems, discrepancies))


def version_of(latest: Mapping[str, Any] | None, report: ReportInput) -> tuple[int, int | None]:
    if latest is None:
        if report.supersedes is not None:
            raise InvalidInput(
                "report.nothing_to_correct",
                "此周期还没有报告可更正",
                "There is no report for this period to correct",
                field="supersedes",
            )
        return 1, None
    if report.supersedes is None:
        raise Conflict(
            "report.already_sent",
            f"此周期已报告（第 {latest['version']} 版）；如需更正，请注明被更正的报告和原因",
            f"This period has been reported (version {latest['version']}); to correct it, say which report and why",
            field="supersedes",
        )
    if report.supersedes != latest["id"]:
        raise Conflict(
            "report.stale_correction",
            "只能更正此周期的最新一版报告",
            "Only the latest version of this period's report can be corrected",
            field="supersedes",
        )
    if not nfkc(report.correction_reason or ""):
        raise InvalidInput(
            "report.correction_needs_reason",
            "更正必须说明原因",
            "A correction needs a reason",
            field="correction_reason",
        )
    return int(latest["version"]) + 1, int(latest["id"])


def report_view(
    uow: UnitOfWork,
    row: Mapping[str, Any],
    problems: Sequence[Mapping[str, Any]] | None = None,
    found_rows: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A report with its problems and discrepancies (read back unless the caller has them at hand)."""
    if found_rows is None:
        found_rows = uow.reports.discrepancies_of(row["id"])
    if problems is None:
        problems = uow.reports.problems_of(row["id"])
    found = [
        {
            "figure": d["figure"],
            "reported": d["reported"],
            "registry": d["registry"],
            "difference": d["reported"] - d["registry"],
        }
        for d in found_rows
    ]
    return {
        "id": row["id"],
        "unit_code": row["unit_code"],
        "period_start": row["period_start"].isoformat(),
        "version": row["version"],
        "supersedes": row["supersedes_id"],
        "correction_reason": row["correction_reason"],
        "received_at": row["received_at"].isoformat(),
        "on_time": row["on_time"],
        "reporter": row["reporter"],
        "attested_by": row["attested_by"],
        "reported": row["reported"],
        "registry": row["registry"],
        "field": row["field"],
        "discrepancies": found,
        "problems": [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in p.items()} for p in problems],
        "hash": row["hash"],
    }
