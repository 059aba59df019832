"""Reports, their problems and discrepancies, alerts, reporting schedules, and the lease that lets one scheduled
job run at a time.

An alert carries a keyed HMAC of itself as raised (`hash`) and of its state now (`seal`: resolved, acknowledged,
by whom, with what note), written again by every change made here (domain.chain)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from admitall.domain.chain import ALERT_FIELDS, ALERT_LIFE, ALERT_STATE, fields, seal
from admitall.domain.reporting import Schedule
from admitall.domain.units import UnitLevel, subtree_bounds
from admitall.keys import Keys
from admitall.store.bulk import bulk_insert
from admitall.store.paged import DEFAULT_SIZE, fetch_page
from admitall.store.repositories.alert_states import OPEN, UNSETTLED, listed
from admitall.store.tables import (
    UTCDateTime,
    alerts,
    audit_log,
    discrepancies,
    job_locks,
    report_problems,
    reporting_schedules,
    reports,
    units,
)


def _in_subtree(column: Any, root: str | None) -> Any:
    return column.between(*subtree_bounds(root)) if root is not None else column.is_not(None)


MISSING_REPORT = "missing_report"
_r = reports.c
_UNIT, _KEY = bindparam("unit", type_=String), bindparam("key", type_=String)
_START = bindparam("period_start", type_=UTCDateTime())
_LATEST = select(_r.id).where(_r.unit_code == _UNIT, _r.period_start == _START).order_by(_r.version.desc()).limit(1)
_NONE = type_coerce(null(), String)
_NO_NUMBER = type_coerce(null(), Integer)
_NO_TIME = type_coerce(null(), UTCDateTime())


def _part(letter: str, text: Any = None, number: Any = None) -> Any:
    """A row (part, unit, a, b, n, t) of the shape of services.reporting_figures' counts."""
    return select(
        literal_column(f"'{letter}'"),
        _NONE,
        _NONE if text is None else text,
        _NONE,
        _NO_NUMBER if number is None else number,
        _NO_TIME,
    )


# everything one report needs to know before it is stored, as rows to be read with its figures in one round trip:
# whether the unit exists and its chain head (u), an earlier report with the same idempotency key (k), the latest
# version for the period (l, v with on_time as y/n), whether a missing-report alert waits for it (a: an unsettled
# running miss of the unit that began at or before the period: the report closes it or leaves it expired). Nothing is
# locked: the unique indexes on (unit, prev_hash) and (unit, period, version) refuse the second of two writers
# that read the same head, and the writer tries again (services.reporting_batch).
_LATEST_ID = _LATEST.scalar_subquery()
HEAD_PARTS = (
    _part(
        "u",
        select(_r.hash).where(_r.unit_code == _UNIT).order_by(_r.id.desc()).limit(1).scalar_subquery(),
        select(func.count()).select_from(units).where(units.c.code == _UNIT).scalar_subquery(),
    ),
    _part("k", number=select(_r.id).where(_r.idempotency_key == _KEY).scalar_subquery()),
    _part(
        "l",
        select(case((_r.on_time, "y"), else_="n")).where(_r.id == _LATEST_ID).scalar_subquery(),
        select(_r.version).where(_r.id == _LATEST_ID).scalar_subquery(),
    ),
    _part("i", number=_LATEST_ID),
    _part(
        "a",
        number=select(func.count())
        .select_from(alerts)
        .where(
            alerts.c.kind == MISSING_REPORT,
            alerts.c.unit_code == _UNIT,
            alerts.c.period_start <= _START,
            UNSETTLED,
        )
        .scalar_subquery(),
    ),
)
# PostgreSQL: the new report's id, taken before it is stored, so that the report and its audit entry go in one
# statement
NEXT_ID_PART = _part("n", number=literal_column("nextval('reports_id_seq')"))
REPORT_COLUMNS = tuple(c.name for c in reports.c)
_ADD_WITH_ID = insert(reports).values({c: bindparam(f"r_{c}", type_=reports.c[c].type) for c in REPORT_COLUMNS})
AUDIT_COLUMNS = ("at", "actor", "action", "target_type", "target_id", "unit_code", "detail", "hash")
_AUDIT_ONE = insert(audit_log).values({c: bindparam(f"a_{c}", type_=audit_log.c[c].type) for c in AUDIT_COLUMNS})
_REPORT_AND_AUDIT = _AUDIT_ONE.add_cte(_ADD_WITH_ID.cte("stored_report"))


def head_of(rows: Iterable[Any]) -> dict[str, Any]:
    """The HEAD_PARTS (and NEXT_ID_PART) rows read back: unit_exists, head, earlier, latest (id, version,
    on_time) or None, open_alerts, next_id."""
    found: dict[str, Any] = {"unit_exists": 0, "head": "", "earlier": None, "open_alerts": 0, "next_id": None}
    latest: dict[str, Any] = {}
    for part, _, text, _, number, _ in rows:
        if part == "u":
            found["unit_exists"], found["head"] = int(number or 0), str(text or "")
        elif part == "k":
            found["earlier"] = number
        elif part == "l":
            latest["version"], latest["on_time"] = number, text == "y"
        elif part == "i":
            latest["id"] = number
        elif part == "a":
            found["open_alerts"] = int(number or 0)
        elif part == "n":
            found["next_id"] = int(number)
    found["latest"] = latest if latest.get("id") is not None else None
    return found


_CODES = bindparam("codes", expanding=True)
# each unit asked about that exists, with its chain head (one backward index probe per unit)
_HEADS = select(
    units.c.code, select(_r.hash).where(_r.unit_code == units.c.code).order_by(_r.id.desc()).limit(1).scalar_subquery()
).where(units.c.code.in_(_CODES))
_BY_KEYS = select(reports).where(_r.idempotency_key.in_(bindparam("keys", expanding=True)))
_VERSIONS = select(_r.id, _r.unit_code, _r.period_start, _r.version, _r.on_time).where(
    _r.unit_code.in_(_CODES), _r.period_start.in_(bindparam("starts", expanding=True))
)
_RUNNING = (
    select(alerts)
    .where(alerts.c.kind == MISSING_REPORT, alerts.c.unit_code.in_(_CODES), UNSETTLED)
    .order_by(alerts.c.unit_code, alerts.c.period_start)
)
# a unit's unsettled running misses that began at or before a period a report answers
_MISSES_BEFORE = select(alerts).where(
    alerts.c.kind == MISSING_REPORT,
    alerts.c.unit_code == bindparam("unit"),
    alerts.c.period_start <= bindparam("upto", type_=UTCDateTime()),
    UNSETTLED,
)
# an alert as read (its seal) settled, sealed again over its new state
_SETTLE = update(alerts).where(alerts.c.id == bindparam("alert_id"), alerts.c.seal == bindparam("old_seal"))
_RESOLVE = _SETTLE.values(
    resolved_at=bindparam("resolved_at"), resolved_report=bindparam("resolved_report"), seal=bindparam("new_seal")
)
_EXPIRE = _SETTLE.values(expired_at=bindparam("expired_at"), seal=bindparam("new_seal"))
_NEXT_IDS = select(literal_column("nextval('reports_id_seq')")).select_from(
    func.generate_series(1, bindparam("n", type_=Integer))
)
_LAST_ID = select(func.coalesce(func.max(_r.id), 0))


class ReportRepository:
    def __init__(self, conn: Connection, keys: Keys | None = None) -> None:
        self.conn = conn
        self.keys = keys or Keys(None, "")

    # --- schedules -------------------------------------------------------------------------------------------

    def schedules(self) -> dict[UnitLevel, Schedule]:
        rows = self.conn.execute(select(reporting_schedules))
        return {UnitLevel(r.level): Schedule(UnitLevel(r.level), r.period_minutes, r.grace_minutes) for r in rows}

    def set_schedule(self, schedule: Schedule, at: datetime) -> None:
        values = {"period_minutes": schedule.period_minutes, "grace_minutes": schedule.grace_minutes, "updated_at": at}
        result = self.conn.execute(
            update(reporting_schedules).where(reporting_schedules.c.level == schedule.level.value).values(**values)
        )
        if result.rowcount == 0:
            self.conn.execute(insert(reporting_schedules).values(level=schedule.level.value, **values))

    # --- reports ---------------------------------------------------------------------------------------------

    def lock_unit(self, code: str) -> None:
        """Serialise the reports of one unit (its hash chain) across concurrent requests on PostgreSQL; SQLite
        writers are serialised already."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(select(units.c.code).where(units.c.code == code).with_for_update())

    def by_idempotency_key(self, key: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(reports).where(reports.c.idempotency_key == key)).first()
        return dict(row._mapping) if row else None

    def get(self, report_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(reports).where(reports.c.id == report_id)).first()
        return dict(row._mapping) if row else None

    def latest_for(self, unit_code: str, period_start: datetime) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(reports)
            .where(reports.c.unit_code == unit_code, reports.c.period_start == period_start)
            .order_by(reports.c.version.desc())
            .limit(1)
        ).first()
        return dict(row._mapping) if row else None

    def chain_head(self, unit_code: str) -> str:
        """The hash of the unit's last report (the head of its chain), or the empty genesis."""
        value = self.conn.execute(
            select(reports.c.hash).where(reports.c.unit_code == unit_code).order_by(reports.c.id.desc()).limit(1)
        ).scalar_one_or_none()
        return str(value or "")

    def add(self, row: dict[str, Any]) -> int:
        return int(self.conn.execute(insert(reports).values(**row).returning(reports.c.id)).scalar_one())

    def add_with_audit(self, row: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        """PostgreSQL: the report (its id taken already, NEXT_ID_PART) and its audit entry in one statement."""
        self.conn.execute(
            _REPORT_AND_AUDIT, {**{f"r_{c}": row[c] for c in REPORT_COLUMNS}, **{f"a_{k}": v for k, v in audit.items()}}
        )

    def heads(self, codes: Sequence[str]) -> dict[str, str]:
        """unit → its chain head ('' for none yet), for each of the units that exists."""
        if not codes:
            return {}
        return {code: str(head or "") for code, head in self.conn.execute(_HEADS, {"codes": list(codes)})}

    def by_idempotency_keys(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not keys:
            return {}
        return {r.idempotency_key: dict(r._mapping) for r in self.conn.execute(_BY_KEYS, {"keys": list(keys)})}

    def latest_versions(
        self, codes: Sequence[str], starts: Sequence[datetime]
    ) -> dict[tuple[str, datetime], dict[str, Any]]:
        """(unit, period start) → its latest version (id, version, on_time), for the units and periods given."""
        found: dict[tuple[str, datetime], dict[str, Any]] = {}
        if not codes or not starts:
            return found
        for r in self.conn.execute(_VERSIONS, {"codes": list(codes), "starts": list(starts)}):
            key = (r.unit_code, r.period_start)
            if key not in found or r.version > found[key]["version"]:
                found[key] = {"id": r.id, "version": r.version, "on_time": r.on_time}
        return found

    def running_misses(self, codes: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """unit → its unsettled running misses (the alerts as read, oldest period first), for the units given: a
        report of one of their periods or a later one answers them (settle_missing)."""
        found: dict[str, list[dict[str, Any]]] = {}
        if codes:
            for row in self.conn.execute(_RUNNING, {"codes": list(codes)}).mappings():
                found.setdefault(row["unit_code"], []).append(dict(row))
        return found

    def reserve_ids(self, n: int) -> list[int]:
        """Ids for `n` new reports, taken before they are stored so that one plain executemany stores them all:
        PostgreSQL takes them from the sequence; SQLite continues after the largest id, which is safe because a
        writing unit of work holds SQLite's write lock from its first statement (BEGIN IMMEDIATE)."""
        if self.conn.dialect.name == "postgresql":
            return sorted(int(i) for i in self.conn.execute(_NEXT_IDS, {"n": n}).scalars())
        start = int(self.conn.execute(_LAST_ID).scalar_one()) + 1
        return list(range(start, start + n))

    def add_many(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Store the reports by one statement, values handed to the driver as tuples (store.bulk), their ids
        reserved first; their ids, in order."""
        if not rows:
            return []
        ids = self.reserve_ids(len(rows))
        bulk_insert(self.conn, reports, [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
        return ids

    def history(self, unit_code: str, period_start: datetime) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(reports)
            .where(reports.c.unit_code == unit_code, reports.c.period_start == period_start)
            .order_by(reports.c.version)
        )
        return [dict(r._mapping) for r in rows]

    def first_receipts(self, root: str | None, since: datetime, until: datetime) -> dict[tuple[str, datetime], bool]:
        """(unit, period start) → on time, for every first version received for periods starting in
        [since, until) in the subtree. Corrections do not change when a report was first received."""
        rows = self.conn.execute(
            select(reports.c.unit_code, reports.c.period_start, reports.c.on_time).where(
                reports.c.version == 1,
                reports.c.period_start >= since,
                reports.c.period_start < until,
                _in_subtree(reports.c.unit_code, root),
            )
        ).all()
        return {(r.unit_code, r.period_start): bool(r.on_time) for r in rows}

    def chain(self) -> Iterable[dict[str, Any]]:
        """Every report, unit by unit in chain order, for verification."""
        for row in self.conn.execute(select(reports).order_by(reports.c.unit_code, reports.c.id)):
            yield dict(row._mapping)

    # --- problems and discrepancies --------------------------------------------------------------------------

    def add_problems(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(report_problems), list(rows))

    def problems_of(self, report_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(report_problems).where(report_problems.c.report_id == report_id).order_by(report_problems.c.id)
        )
        return [dict(r._mapping) for r in rows]

    def problems(self, root: str | None, *, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Problems of units in the subtree, or owned by a unit in it."""
        query = select(report_problems).where(
            or_(_in_subtree(report_problems.c.unit_code, root), _in_subtree(report_problems.c.owner_unit, root))
        )
        if status is not None:
            query = query.where(report_problems.c.status == status)
        rows = self.conn.execute(query.order_by(report_problems.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    def problem(self, problem_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(report_problems).where(report_problems.c.id == problem_id)).first()
        return dict(row._mapping) if row else None

    def overdue_problems(self, now: datetime) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(report_problems).where(report_problems.c.status == "open", report_problems.c.due_at <= now)
        )
        return [dict(r._mapping) for r in rows]

    def update_problem(self, problem_id: int, **values: Any) -> None:
        self.conn.execute(update(report_problems).where(report_problems.c.id == problem_id).values(**values))

    def add_discrepancies(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(discrepancies), list(rows))

    def discrepancies_by_report(self) -> dict[int, list[dict[str, Any]]]:
        """Every discrepancy, by report, for verification."""
        found: dict[int, list[dict[str, Any]]] = {}
        for row in self.conn.execute(select(discrepancies).order_by(discrepancies.c.id)):
            found.setdefault(row.report_id, []).append(dict(row._mapping))
        return found

    def discrepancies_of(self, report_id: int) -> list[dict[str, Any]]:
        """One report's discrepancies."""
        query = select(discrepancies).where(discrepancies.c.report_id == report_id).order_by(discrepancies.c.id)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def discrepancies(
        self, root: str | None, since: datetime, *, figure: str | None = None, page: int = 1, size: int = DEFAULT_SIZE
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of the subtree's discrepancies of periods from `since`, newest first, and how many in all."""
        query = select(discrepancies).where(
            _in_subtree(discrepancies.c.unit_code, root), discrepancies.c.period_start >= since
        )
        if figure:
            query = query.where(discrepancies.c.figure == figure)
        rows, total = fetch_page(self.conn, query.order_by(discrepancies.c.id.desc()), page, size)
        return [dict(r._mapping) for r in rows], total

    # --- alerts ----------------------------------------------------------------------------------------------

    def raise_alert(
        self,
        *,
        kind: str,
        unit_code: str,
        period_start: datetime | None,
        target_unit: str | None,
        step: int,
        consecutive: int,
        at: datetime,
        detail: dict[str, Any],
        subject_id: int = 0,
        official_id: int | None = None,
        periods_missed: int | None = None,
        last_period_start: datetime | None = None,
    ) -> bool:
        """Raise the alert unless it is already raised; True if it is new."""
        exists = self.conn.execute(
            select(alerts.c.id).where(
                alerts.c.kind == kind,
                alerts.c.unit_code == unit_code,
                alerts.c.period_start == period_start if period_start is not None else alerts.c.period_start.is_(None),
                alerts.c.step == step,
                alerts.c.subject_id == subject_id,
            )
        ).first()
        if exists is not None:
            return False
        row: dict[str, Any] = {
            "kind": kind,
            "unit_code": unit_code,
            "period_start": period_start,
            "target_unit": target_unit,
            "step": step,
            "consecutive": consecutive,
            "raised_at": at,
            "detail": detail,
            "subject_id": subject_id,
            "official_id": official_id,
            "periods_missed": periods_missed,
            "last_period_start": last_period_start,
        }
        row["hash"] = alert_hash(self.keys.chain, row)
        row["seal"] = alert_seal(self.keys.chain, {**row, **dict.fromkeys(ALERT_STATE)})
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(alerts).values(**row))
        except IntegrityError:  # raised by another runner meanwhile
            return False
        return True

    def alerts_for(self, root: str | None, *, open_only: bool = True, limit: int = 500) -> list[dict[str, Any]]:
        """Alerts that units in the subtree must act on (or that concern them)."""
        query = select(alerts).where(
            or_(_in_subtree(alerts.c.target_unit, root), _in_subtree(alerts.c.unit_code, root))
        )
        if open_only:
            query = query.where(OPEN)
        rows = self.conn.execute(query.order_by(alerts.c.raised_at.desc(), alerts.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    def alert(self, alert_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        return dict(row._mapping) if row else None

    def _change_alerts(self, where: list[Any], **values: Any) -> int:
        """Change the alerts that match, each with its seal written again over its new state."""
        changed = 0
        for row in self.conn.execute(select(alerts).where(*where)).mappings().all():
            state = {**row, **values}
            # only the alert as read: one that changed meanwhile (the watch moved it) is read again, not overwritten
            done = self.conn.execute(
                update(alerts)
                .where(alerts.c.id == row["id"], alerts.c.seal == row["seal"])
                .values(**values, seal=alert_seal(self.keys.chain, state))
            ).rowcount
            if not done:
                changed += self._change_alerts([alerts.c.id == row["id"], *where], **values)
                continue
            changed += 1
        return changed

    def acknowledge(self, alert_ids: Sequence[int], by: str, note: str | None, at: datetime) -> int:
        """The open alerts among `alert_ids` acknowledged, each sealed again; how many."""
        return self._change_alerts(
            [alerts.c.id.in_(list(alert_ids)), OPEN], acknowledged_at=at, acknowledged_by=by, ack_note=note
        )

    def settle_missing(
        self,
        answered: Sequence[tuple[str, datetime, int]],
        at: datetime,
        running: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ) -> int:
        """Reports (unit, period, report id) stored: a running miss of the unit that the period falls in is
        resolved by it (when, by which report); one that ended before the period expires into the record (a later
        period was reported while it stayed missing). How many alerts changed.

        `running`: the units' running misses as read earlier in this transaction (running_misses; read here in one
        statement when not given). The changes are written by one statement for the resolved and one for the
        expired, each only over the alert as read; should one have changed meanwhile (the watch grew it), each
        unit's misses are read again and settled one at a time."""
        if not answered:
            return 0
        if running is None:
            running = self.running_misses(sorted({unit for unit, _, _ in answered}))
        settled: set[int] = set()
        changes: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
        for unit, period, report_id in answered:
            for row in running.get(unit, ()):
                if row["id"] in settled or row["period_start"] > period:
                    continue
                settled.add(row["id"])
                last = row["last_period_start"] or row["period_start"]
                resolved = period <= last
                values = {"resolved_at": at, "resolved_report": report_id} if resolved else {"expired_at": at}
                sealed = alert_seal(self.keys.chain, {**row, **values})
                changes[resolved].append({"alert_id": row["id"], "old_seal": row["seal"], "new_seal": sealed, **values})
        done = 0
        for resolved, params in changes.items():
            if params:
                done += self.conn.execute(_RESOLVE if resolved else _EXPIRE, params).rowcount
        if done == len(settled):
            return done
        return done + sum(self._settle_one(*a, at) for a in answered)  # what changed meanwhile, read again

    def _settle_one(self, unit: str, period: datetime, report_id: int, at: datetime) -> int:
        changed = 0
        for row in self.conn.execute(_MISSES_BEFORE, {"unit": unit, "upto": period}).mappings().all():
            last = row["last_period_start"] or row["period_start"]
            values = {"resolved_at": at, "resolved_report": report_id} if period <= last else {"expired_at": at}
            changed += self._change_alerts([alerts.c.id == row["id"]], **values)
        return changed

    def resolve_open_alerts(self, kind: str, unit_code: str, at: datetime, subject_id: int | None = None) -> int:
        """Whatever the alerts of this kind about the unit were waiting for has happened."""
        where = [alerts.c.kind == kind, alerts.c.unit_code == unit_code, UNSETTLED]
        if subject_id is not None:
            where.append(alerts.c.subject_id == subject_id)
        return self._change_alerts(where, resolved_at=at)

    def open_alert_count(self, root: str | None) -> int:
        """The open alerts about the subtree: the count the alerts page and the command screen show."""
        return int(self.conn.execute(select(func.count()).select_from(alerts).where(listed(root, "open"))).scalar_one())

    # --- the job lease ---------------------------------------------------------------------------------------

    def take_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Hold the named lease until now + ttl, if no one else holds it; True if taken."""
        expires = now + ttl
        result = self.conn.execute(
            update(job_locks)
            .where(job_locks.c.name == name, or_(job_locks.c.expires_at <= now, job_locks.c.holder == holder))
            .values(holder=holder, expires_at=expires)
        )
        if result.rowcount == 1:
            return True
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(job_locks).values(name=name, holder=holder, expires_at=expires))
        except IntegrityError:
            return False
        return True

    def release_lease(self, name: str, holder: str, now: datetime) -> None:
        self.conn.execute(
            update(job_locks).where(and_(job_locks.c.name == name, job_locks.c.holder == holder)).values(expires_at=now)
        )


def alert_hash(key: bytes, row: Mapping[str, Any]) -> str:
    """An alert as raised."""
    return seal(key, "", fields(row, ALERT_FIELDS))


def alert_seal(key: bytes, row: Mapping[str, Any]) -> str:
    """An alert as it stands, chained to its hash as raised: its state, and each field of its life that has a
    value (domain.chain.ALERT_LIFE)."""
    life = tuple(k for k in ALERT_LIFE if row.get(k) is not None)
    return seal(key, str(row["hash"]), fields(row, ALERT_STATE + life))
