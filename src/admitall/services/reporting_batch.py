"""Submitting reports: one (`submit`), or an hour's reports of many units in one transaction (`submit_many`), by
the same rules, refusals, idempotency, versions, chains and audit.

A batch is what a district sends when it collects its streets' reports on paper, and what the twin sends every
simulated hour. Each report in it is stored or refused on its own, with its unit, field and reason; one bad
report does not sink the others. The store is asked once for the whole batch (units and their chain heads, the
idempotency keys, the periods' latest versions, the open missing-report alerts), the registry's figures are
counted in one pass for every unit (services.reporting_figures), and the reports, their problems, discrepancies
and audit entries are written by one statement per table.

No lock is taken on a unit: two writers that read the same chain head both chain to it, and the unique index
on (unit, prev_hash) (migration 0012) refuses the second, which reads again and retries (PostgreSQL; SQLite's
writers are serialised already).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import union_all
from sqlalchemy.exc import IntegrityError

from admitall.domain.access import Permission
from admitall.domain.chain import GENESIS, audit_record, seal
from admitall.domain.errors import AdmitAllError, InvalidInput
from admitall.domain.identity import nfkc
from admitall.domain.reporting import (
    FIELD_FIGURES,
    PROBLEM_DUE,
    Period,
    ProblemSeverity,
    Schedule,
    admissible,
    on_time,
    reconcile,
)
from admitall.domain.units import UnitLevel, level_of, parent_of
from admitall.services.context import Actor, Context, not_found
from admitall.services.reporting_figures import FIGURE_LETTERS, PARTS, Tally, figures_for, parameters
from admitall.services.reporting_rules import (
    ReportInput,
    check_figures,
    check_problems,
    period_of,
    report_hash,
    report_view,
    schedules_of,
    version_of,
    whole,
)
from admitall.store.bulk import bulk_insert
from admitall.store.repositories.reports import HEAD_PARTS, NEXT_ID_PART, head_of
from admitall.store.tables import audit_log
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork

# how often a writer that lost a race for a unit's chain head (or a version, or a key) reads again and retries
ATTEMPTS = 5


@dataclass
class _Item:
    """One report of a batch, as checked on its own before the store is asked."""

    index: int
    report: ReportInput
    code: str
    reported: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    field_figures: dict[str, int] = field(default_factory=dict)
    period: Period | None = None
    refused: AdmitAllError | None = None  # refused before anything is looked up
    # refused after the idempotency key is checked (a unit outside the jurisdiction or not a code), and after the
    # unit's existence too (a level that does not report, a bad period), as one submission always ordered them
    scope: AdmitAllError | None = None
    later: AdmitAllError | None = None
    stored_as: int | None = None  # the index of the item stored with the same key in this batch


@dataclass
class _State:
    """What the store holds for the batch's units, kept current as the batch's own reports are decided."""

    exists: set[str]
    heads: dict[str, str]
    by_key: dict[str, dict[str, Any]]
    latest: dict[tuple[str, datetime], dict[str, Any]]
    open_alerts: set[str]  # units with a running miss the reports may answer
    running: dict[str, list[dict[str, Any]]] | None = None  # those misses, when read already
    keys_here: dict[str, int] = field(default_factory=dict)


def _attest(report: ReportInput) -> None:
    if not report.attest or not nfkc(report.attested_by):
        raise InvalidInput(
            "report.attestation",
            "报告必须由报告人签名确认属实",
            "A report must be attested as true by the reporter, with their name",
            field="attested_by",
        )


def _prepare(
    ctx: Context,
    actor: Actor,
    schedules: Mapping[UnitLevel, Schedule],
    index: int,
    r: ReportInput,
    periods: dict[tuple[UnitLevel, Any], Period | AdmitAllError] | None = None,
) -> _Item:
    """The report checked on its own; `periods` keeps the periods already worked out in this batch."""
    item = _Item(index, r, str(r.unit_code).strip())
    try:
        _attest(r)
        texts = {"attested_by": r.attested_by, "correction_reason": r.correction_reason}
        check_row("reports", {**texts, "idempotency_key": r.idempotency_key}, multiline=("correction_reason",))
        if r.as_drafted and r.reported:
            raise InvalidInput(
                "report.drafted_and_stated",
                "按草稿确认的报告不能另填数字",
                "A report attested as drafted states no figures of its own",
                field="reported",
            )
        item.reported, item.problems = check_figures(r.reported), check_problems(r.problems)
        item.field_figures = {k: whole(r.field[k], k) for k in FIELD_FIGURES if r.field.get(k) is not None}
    except AdmitAllError as e:
        item.refused = e
        return item
    try:
        item.code = actor.scoped(item.code)
    except AdmitAllError as e:
        item.scope = e
        return item
    try:
        level = level_of(item.code)
        schedule = schedules.get(level)
        if schedule is None:
            raise InvalidInput(
                "report.level_does_not_report",
                f"{level.zh}级单位不报送每小时报告",
                f"A {level.en} does not send hourly reports",
                field="unit_code",
            )
        key = (level, r.period_start)
        known = periods.get(key) if periods is not None else None
        if known is None:
            try:
                known = period_of(ctx, schedule, r.period_start)
            except AdmitAllError as e:
                known = e
            if periods is not None:
                periods[key] = known
        if isinstance(known, AdmitAllError):
            raise known
        item.period = known
    except AdmitAllError as e:
        item.later = e
    return item


def _lookup_many(uow: UnitOfWork, items: Sequence[_Item]) -> _State:
    """The store's state for every unit, key and period of the batch: four statements whatever its size."""
    codes = sorted({i.code for i in items if i.refused is None and i.scope is None})
    keys = sorted({i.report.idempotency_key for i in items if i.refused is None and i.report.idempotency_key})
    starts = sorted({i.period.start for i in items if i.period is not None})
    heads = uow.reports.heads(codes)
    units = sorted(heads)
    running = uow.reports.running_misses(units)
    return _State(
        exists=set(heads),
        heads=heads,
        by_key=uow.reports.by_idempotency_keys(keys),
        latest=uow.reports.latest_versions(units, starts),
        open_alerts=set(running),
        running=running,
    )


# one round trip for one report: what it needs to know (store.repositories.reports.HEAD_PARTS) and its figures
# (services.reporting_figures.PARTS); on PostgreSQL its id as well
_ONE = union_all(*PARTS, *HEAD_PARTS)
_ONE_WITH_ID = union_all(*PARTS, *HEAD_PARTS, NEXT_ID_PART)


def _lookup_one(ctx: Context, uow: UnitOfWork, item: _Item, now: datetime) -> tuple[_State, Tally, int | None]:
    """The same for one report, with its figures (when its period is known), in one statement; on PostgreSQL
    also the id it will be stored under."""
    key = item.report.idempotency_key or None
    period = item.period or Period(now, now, now)
    params = {
        **parameters(item.code if item.scope is None else None, ctx.policy, now, period),
        "unit": item.code,
        "period_start": period.start,
        "key": key,
    }
    if item.scope is not None:  # not a code of the jurisdiction: nothing of the registry is counted for it
        params.update(low="", high="")
    statement = _ONE_WITH_ID if uow.conn.dialect.name == "postgresql" else _ONE
    tally, heads = Tally(), []
    for row in uow.conn.execute(statement, params):
        if row[0] in FIGURE_LETTERS:
            tally.add(*row, period=period)
        else:
            heads.append(row)
    found = head_of(heads)
    state = _State(exists=set(), heads={}, by_key={}, latest={}, open_alerts=set())
    if found["earlier"] is not None and key:
        earlier = uow.reports.get(int(found["earlier"]))
        if earlier is not None:
            state.by_key[key] = earlier
    if found["unit_exists"]:
        state.exists.add(item.code)
        state.heads[item.code] = found["head"]
    if item.period is not None and found["latest"] is not None:
        state.latest[(item.code, period.start)] = found["latest"]
    if item.period is not None and found["open_alerts"]:
        state.open_alerts.add(item.code)
    return state, tally, found["next_id"]


def _decide(actor: Actor, item: _Item, state: _State, now: datetime) -> str:
    """'duplicate' or 'store' for a report that passed its own checks; raises its refusal otherwise. A report
    to be stored takes its version and key in `state`, so the batch's later reports see it."""
    key = item.report.idempotency_key or None
    if key:
        earlier = state.by_key.get(key)
        if earlier is not None:
            if not actor.covers(earlier["unit_code"]):  # someone else's report: as if the unit did not exist
                raise not_found("unit", item.code)
            return "duplicate"
        if key in state.keys_here:
            item.stored_as = state.keys_here[key]
            return "duplicate"
    if item.scope is not None:
        raise item.scope
    if item.code not in state.exists:
        raise not_found("unit", item.code)
    if item.later is not None:
        raise item.later
    assert item.period is not None
    admissible(item.period, now)
    latest = state.latest.get((item.code, item.period.start))
    version, supersedes = version_of(latest, item.report)
    state.latest[(item.code, item.period.start)] = {
        "id": None,  # stored in this batch: it cannot be named as corrected before it has an id
        "version": version,
        "supersedes": supersedes,
        "on_time": on_time(item.period, now) if latest is None else latest["on_time"],
    }
    if key:
        state.keys_here[key] = item.index
    return "store"


_STATED = ("found", "waiting", "waiting_confirmed_by_severity", "admitted", "sla_breaches")


def _drafted(item: _Item, figures: Mapping[str, Any]) -> _Item:
    """A report attested as drafted states the registry's figures (the ones a reporter states: check_figures),
    counted once for both."""
    if item.report.as_drafted:
        item.reported = {
            k: dict(figures[k]) if isinstance(figures[k], Mapping) else figures[k] for k in _STATED if k in figures
        }
    return item


def _row(ctx: Context, actor: Actor, item: _Item, state: _State, figures: Mapping[str, Any], now: datetime) -> _Stored:
    """The report's row, chained to its unit's head (which it becomes), with its problems and discrepancies."""
    assert item.period is not None
    period, code = item.period, item.code
    decided = state.latest[(code, period.start)]
    supersedes = decided["supersedes"]
    row: dict[str, Any] = {
        "unit_code": code,
        "period_start": period.start,
        "period_end": period.end,
        "deadline": period.deadline,
        "version": decided["version"],
        "supersedes_id": supersedes,
        "correction_reason": item.report.correction_reason if supersedes else None,
        "received_at": now,
        "on_time": decided["on_time"],
        "reporter": actor.username,
        "attested_by": nfkc(item.report.attested_by)[:100],
        "idempotency_key": item.report.idempotency_key or None,
        "reported": item.reported,
        "registry": dict(figures),
        "field": item.field_figures,
    }
    found = (
        []  # it states the registry's own figures: nothing to reconcile
        if item.report.as_drafted
        else reconcile(
            item.reported,
            row["registry"],
            absolute=ctx.settings.discrepancy_absolute,
            relative=ctx.settings.discrepancy_relative,
        )
    )
    row["prev_hash"] = state.heads.get(code, "")
    row["hash"] = report_hash(ctx.keys.chain, row["prev_hash"], row, item.problems, [vars(d) for d in found])
    state.heads[code] = row["hash"]
    parent = parent_of(code) if item.problems else None
    problems = [
        {
            **p,
            "unit_code": code,
            "raised_at": now,
            "escalations": 0,
            "status": "open" if p["needs_help"] else "noted",
            "owner_unit": parent if p["needs_help"] else None,
            "due_at": now + PROBLEM_DUE[ProblemSeverity(p["severity"])] if p["needs_help"] else None,
        }
        for p in item.problems
    ]
    discrepancies = [
        {
            "unit_code": code,
            "period_start": period.start,
            "figure": d.figure,
            "reported": d.reported,
            "registry": d.registry,
        }
        for d in found
    ]
    return _Stored(item, row, problems, discrepancies)


@dataclass
class _Stored:
    item: _Item
    row: dict[str, Any]
    problems: list[dict[str, Any]]
    discrepancies: list[dict[str, Any]]


def _audit_entry(uow: UnitOfWork, actor: Actor, row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The audit entry of a stored report, exactly as AuditRepository.record makes it."""
    action = "submit_report" if row["version"] == 1 else "correct_report"
    detail = {"period_start": row["period_start"].isoformat(), "version": row["version"]}
    target = str(row["id"])
    record = audit_record(now, actor.username, action, "report", target, row["unit_code"], detail)
    return {
        "at": now,
        "actor": actor.username,
        "action": action,
        "target_type": "report",
        "target_id": target,
        "unit_code": row["unit_code"],
        "detail": detail,
        "hash": seal(uow.keys.chain, GENESIS, record),
    }


def _write(
    uow: UnitOfWork, actor: Actor, stored: Sequence[_Stored], state: _State, now: datetime, new_id: int | None = None
) -> None:
    """The reports, their problems, discrepancies and audit entries: one statement per table (one report whose id
    was taken already: it and its audit entry in one); the missing-report alerts they answer are resolved."""
    if new_id is not None and len(stored) == 1:
        stored[0].row["id"] = new_id
        uow.reports.add_with_audit(stored[0].row, _audit_entry(uow, actor, stored[0].row, now))
        ids = [new_id]
    elif len(stored) == 1:
        ids = [uow.reports.add(stored[0].row)]
    else:
        ids = uow.reports.add_many([s.row for s in stored])
    for s, report_id in zip(stored, ids, strict=True):
        s.row["id"] = report_id
        for p in s.problems:
            p["report_id"] = report_id
        for d in s.discrepancies:
            d["report_id"] = report_id
    uow.reports.add_problems([p for s in stored for p in s.problems])
    uow.reports.add_discrepancies([d for s in stored for d in s.discrepancies])
    answered = [
        (s.row["unit_code"], s.row["period_start"], s.row["id"])
        for s in stored
        if s.row["unit_code"] in state.open_alerts
    ]
    uow.reports.settle_missing(answered, now, state.running)
    if new_id is None or len(stored) != 1:
        bulk_insert(uow.conn, audit_log, [_audit_entry(uow, actor, s.row, now) for s in stored])


def _retrying(attempt: Any) -> Any:
    """Run `attempt` again when a concurrent writer took the chain head, version or key it had read."""
    for n in range(ATTEMPTS):
        try:
            return attempt()
        except IntegrityError:
            if n == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def submit(ctx: Context, actor: Actor, report: ReportInput) -> dict[str, Any]:
    """Store a report (or a correction). The same idempotency key twice stores one report and returns it.

    Round trips on PostgreSQL: one statement reads what the report needs to know with its figures and its id, one
    stores it with its audit entry; with the pool's check of the connection, BEGIN and COMMIT, five (and one
    more for its problems, its discrepancies, and the missing-report alert it answers, each if it has any)."""
    actor.require(Permission.SUBMIT_REPORTS)

    def attempt() -> dict[str, Any]:
        with ctx.uow(write=True) as uow:
            item = _prepare(ctx, actor, schedules_of(uow), 0, report)
            if item.refused is not None:
                raise item.refused
            now = ctx.clock.now()
            state, tally, new_id = _lookup_one(ctx, uow, item, now)
            if _decide(actor, item, state, now) == "duplicate":
                return {"outcome": "duplicate", **report_view(uow, state.by_key[str(item.report.idempotency_key)])}
            assert item.period is not None
            figures = tally.figures(item.code, item.period, now)
            stored = _row(ctx, actor, _drafted(item, figures), state, figures, now)
            _write(uow, actor, [stored], state, now, new_id)
            view = report_view(uow, stored.row, stored.problems, stored.discrepancies)
            uow.commit()
        return {"outcome": "stored", **view}

    result: dict[str, Any] = _retrying(attempt)
    return result


def figures_many(
    ctx: Context, actor: Actor, unit_codes: Sequence[str], period_start: datetime | str | None = None
) -> dict[str, dict[str, Any]]:
    """The registry's figures for many units' reports of one period (as each one's draft shows them), counted in
    one pass: unit → figures. Units outside the jurisdiction, absent, or of a level that does not report are left
    out (their reports would be refused)."""
    actor.require(Permission.SUBMIT_REPORTS)
    with ctx.uow() as uow:
        schedules = schedules_of(uow)
        items = [
            _prepare(ctx, actor, schedules, i, ReportInput(c, period_start, {}, "-", True))
            for i, c in enumerate(unit_codes)
        ]
        usable = [i for i in items if i.scope is None and i.later is None and i.period is not None]
        exists = uow.units.existing_codes([i.code for i in usable])
        wanted = [(i.code, i.period) for i in usable if i.code in exists and i.period is not None]
        found = figures_for(uow.conn, ctx.policy, wanted, ctx.clock.now())
    return {code: found[(code, period.start)] for code, period in wanted}


def _refusal(item: _Item, error: AdmitAllError) -> dict[str, Any]:
    return {"index": item.index, "unit_code": item.code, "outcome": "refused", "error": error.as_dict()}


def _brief(row: Mapping[str, Any], outcome: str, index: int) -> dict[str, Any]:
    return {
        "index": index,
        "unit_code": row["unit_code"],
        "outcome": outcome,
        "id": row["id"],
        "period_start": row["period_start"].isoformat(),
        "version": row["version"],
        "on_time": row["on_time"],
        "received_at": row["received_at"].isoformat(),
        "hash": row["hash"],
    }


def submit_many(ctx: Context, actor: Actor, reports: Sequence[ReportInput]) -> dict[str, Any]:
    """Store many reports in one transaction, each by the rules of `submit`: each is stored, found a duplicate
    of one stored before (by its idempotency key), or refused with its unit, field and reason; the others go on.
    The actor needs jurisdiction over every unit: one outside it is refused exactly like one that does not exist.
    """
    actor.require(Permission.SUBMIT_REPORTS)

    def attempt() -> dict[str, Any]:
        results: list[dict[str, Any]] = []
        with ctx.uow(write=True) as uow:
            schedules = schedules_of(uow)
            periods: dict[tuple[UnitLevel, Any], Period | AdmitAllError] = {}
            items = [_prepare(ctx, actor, schedules, i, r, periods) for i, r in enumerate(reports)]
            state = _lookup_many(uow, items)
            now = ctx.clock.now()
            outcome: dict[int, str] = {}
            for item in items:
                try:
                    if item.refused is not None:
                        raise item.refused
                    outcome[item.index] = _decide(actor, item, state, now)
                except AdmitAllError as e:
                    results.append(_refusal(item, e))
            keep = [i for i in items if outcome.get(i.index) == "store"]
            wanted = [(i.code, i.period) for i in keep if i.period is not None]
            figures = figures_for(uow.conn, ctx.policy, wanted, now)
            stored = [
                _row(
                    ctx,
                    actor,
                    _drafted(i, figures[(i.code, i.period.start)]),
                    state,
                    figures[(i.code, i.period.start)],
                    now,
                )
                for i in keep
                if i.period
            ]
            _write(uow, actor, stored, state, now)
            rows = {s.item.index: s.row for s in stored}
            for item in items:
                if outcome.get(item.index) == "store":
                    results.append(_brief(rows[item.index], "stored", item.index))
                elif outcome.get(item.index) == "duplicate":
                    earlier = (
                        rows[item.stored_as]
                        if item.stored_as is not None
                        else state.by_key[str(item.report.idempotency_key)]
                    )
                    results.append(_brief(earlier, "duplicate", item.index))
            uow.commit()
        results.sort(key=lambda r: int(r["index"]))
        counts = {k: sum(1 for r in results if r["outcome"] == k) for k in ("stored", "duplicate", "refused")}
        return {**counts, "results": results}

    result: dict[str, Any] = _retrying(attempt)
    return result
