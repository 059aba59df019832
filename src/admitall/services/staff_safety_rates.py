"""Staff safety in figures (issue 18 §4): exposures and infections per 1,000 staff by facility over the policy's
window (a page, worst first, with the real total), the events recorded (a page, newest first), the command screen's
tile, and the watch round's part: a facility whose infections cross the threshold (domain.staff_safety) raises one
alert (kind `staff_infections`) to its owning unit, resolved once it falls back under.

A facility's staff on a day are its roster rows on the roster that day that came with no team, plus the headcount
of the medical teams there that day (a team's headcount already counts its members: store.tables_staffing). Every
figure of a page comes from one statement over the facilities of the subtree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, or_, select

from admitall.domain.access import Permission
from admitall.domain.staff_safety import SafetyRules, crosses, rate, window_start
from admitall.domain.units import subtree_bounds
from admitall.services.cadres import local_today
from admitall.services.cadres_coverage import command_tile as cadres_tile
from admitall.services.context import Actor, Context, unit_in_scope
from admitall.store.paged import DEFAULT_SIZE, bounded, fetch_page, page_fields
from admitall.store.repositories.alert_batch import change_alerts, raise_alerts
from admitall.store.repositories.alert_states import UNSETTLED
from admitall.store.tables import alerts, facilities
from admitall.store.tables_cadres import staff_safety_events
from admitall.store.tables_staffing import medical_team_headcounts, medical_teams, staff_members
from admitall.store.uow import UnitOfWork

STAFF_INFECTIONS = "staff_infections"
_f, _ev, _s, _t, _h, _a = (
    facilities.c,
    staff_safety_events.c,
    staff_members.c,
    medical_teams.c,
    medical_team_headcounts.c,
    alerts.c,
)


def staff_on(day: date) -> Any:
    """(facility code, staff) for every facility with staff on `day`: roster rows without a team, and teams."""
    roster = (
        select(_s.site_code.label("code"), func.count().label("n"))
        .where(_s.team_id.is_(None), _s.active_from <= day, or_(_s.active_until.is_(None), _s.active_until >= day))
        .group_by(_s.site_code)
    )
    teams = (
        select(_t.facility_code.label("code"), func.sum(_h.headcount).label("n"))
        .join(medical_team_headcounts, _h.team_id == _t.id)
        .where(_t.arrives_on <= day, or_(_t.departs_on.is_(None), _t.departs_on >= day))
        .group_by(_t.facility_code)
    )
    both = roster.union_all(teams).subquery()
    return select(both.c.code, func.sum(both.c.n).label("n")).group_by(both.c.code).subquery()


def _by_facility(root: str | None, day: date, rules: SafetyRules) -> Any:
    """One row per facility of the subtree: staff, exposures and infections in the window, infections ever."""
    since = window_start(day, rules)
    recent = _ev.occurred_on >= since
    events = (
        select(
            _ev.facility_code.label("code"),
            func.sum(case((and_(_ev.kind == "exposure", recent), 1), else_=0)).label("exposures"),
            func.sum(case((and_(_ev.kind == "infection", recent), 1), else_=0)).label("infections"),
            func.sum(case((_ev.kind == "infection", 1), else_=0)).label("infections_all"),
        )
        .where(_ev.facility_code.is_not(None), _ev.occurred_on <= day)
        .group_by(_ev.facility_code)
        .subquery()
    )
    staff = staff_on(day)
    n_staff = func.coalesce(staff.c.n, 0)
    n_inf = func.coalesce(events.c.infections, 0)
    per = case((n_staff > 0, cast(n_inf, Float) * 1000.0 / n_staff), else_=literal(None))
    query = select(
        _f.code,
        _f.name,
        _f.type,
        _f.unit_code,
        n_staff.label("staff"),
        func.coalesce(events.c.exposures, 0).label("exposures"),
        n_inf.label("infections"),
        func.coalesce(events.c.infections_all, 0).label("infections_all"),
        per.label("per_1000"),
    ).select_from(facilities.outerjoin(events, events.c.code == _f.code).outerjoin(staff, staff.c.code == _f.code))
    if root:
        query = query.where(_f.unit_code.between(*subtree_bounds(root)))
    return query


def _view(r: Any, rules: SafetyRules) -> dict[str, Any]:
    return {
        "code": r.code,
        "name": r.name,
        "type": r.type,
        "unit_code": r.unit_code,
        "staff": int(r.staff),
        "exposures": int(r.exposures),
        "infections": int(r.infections),
        "infections_all": int(r.infections_all),
        "per_1000": rate(int(r.infections), int(r.staff)),
        "crosses": crosses(int(r.infections), int(r.staff), rules),
    }


def safety_rates(
    ctx: Context, actor: Actor, unit: str | None = None, *, page: int = 1, size: int = DEFAULT_SIZE
) -> dict[str, Any]:
    """A page of the subtree's facilities, the most infections per 1,000 staff first, with the real total."""
    actor.require(Permission.VIEW_COUNTS)
    page, size = bounded(page, size)
    rules = ctx.policy.staff_safety
    day = local_today(ctx)
    with ctx.uow() as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code
        inner = _by_facility(root, day, rules).subquery()
        listed = select(inner).where(or_(inner.c.staff > 0, inner.c.infections_all > 0, inner.c.exposures > 0))
        ordered = listed.order_by(
            case((inner.c.per_1000.is_(None), 1), else_=0), inner.c.per_1000.desc(), inner.c.infections.desc(),
            inner.c.code,
        )  # fmt: skip
        rows, total = fetch_page(uow.conn, ordered, page, size)
        tile = _tile_figures(uow, root, day, rules)
        names = uow.units.names(({root} if root else set()) | {r.unit_code for r in rows})
    return {
        "unit": root,
        "unit_name": names.get(root) if root else None,
        "day": day.isoformat(),
        "window_start": window_start(day, rules).isoformat(),
        "rules": {
            "window_days": rules.window_days,
            "infections": rules.infections,
            "per_1000_staff": rules.per_1000_staff,
        },
        "facilities": [{**_view(r, rules), "unit_name": names.get(r.unit_code)} for r in rows],
        "totals": tile,
        "may_record": actor.can(Permission.RECORD_STAFF_SAFETY),
        **page_fields(page, size, total),
    }


def _tile_figures(uow: UnitOfWork, root: str | None, day: date, rules: SafetyRules) -> dict[str, Any]:
    """Staff, exposures and infections in the window over the subtree (facilities and communities alike), and
    how many facilities cross the threshold: two statements."""
    inner = _by_facility(root, day, rules).subquery()
    staff, crossing = uow.conn.execute(
        select(
            func.sum(inner.c.staff),
            func.sum(case((and_(inner.c.infections > 0, or_(inner.c.infections >= rules.infections,
                                                             inner.c.per_1000 >= rules.per_1000_staff)), 1),
                          else_=0)),
        )
    ).one()  # fmt: skip
    events = select(
        func.sum(case((_ev.kind == "exposure", 1), else_=0)), func.sum(case((_ev.kind == "infection", 1), else_=0))
    ).where(_ev.occurred_on >= window_start(day, rules), _ev.occurred_on <= day)
    if root:
        events = events.where(_ev.unit_code.between(*subtree_bounds(root)))
    exposures, infections = uow.conn.execute(events).one()
    staff_n = int(staff or 0)
    return {
        "staff": staff_n,
        "exposures": int(exposures or 0),
        "infections": int(infections or 0),
        "per_1000": rate(int(infections or 0), staff_n),
        "facilities_over": int(crossing or 0),
        "window_days": rules.window_days,
    }


def screen_tile(ctx: Context, uow: UnitOfWork, root: str | None) -> dict[str, Any]:
    """The command screen's tile (off the wall)."""
    tile = _tile_figures(uow, root, local_today(ctx), ctx.policy.staff_safety)
    return {**tile, "url": f"/safety?unit={root}" if root else "/safety"}


def watch_staff_safety(ctx: Context, uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """Raise one alert per facility whose infections cross the threshold and has none unsettled; resolve those
    whose facility fell back under. Three statements and the writes, whatever the number of facilities."""
    rules = ctx.policy.staff_safety
    day = now.astimezone(ctx.settings.tz).date()
    rows = uow.conn.execute(select(_by_facility(None, day, rules).subquery())).all()
    over = {r.code: r for r in rows if crosses(int(r.infections), int(r.staff), rules)}
    event_of = _ev.facility_code.label("facility")
    alerted = {
        r.facility: r
        for r in uow.conn.execute(
            select(alerts, event_of)
            .join(staff_safety_events, _ev.id == _a.subject_id)
            .where(_a.kind == STAFF_INFECTIONS, UNSETTLED)
        ).mappings()
    }
    latest = dict(
        uow.conn.execute(
            select(_ev.facility_code, func.max(_ev.id))
            .where(_ev.facility_code.in_(sorted(set(over) - set(alerted))), _ev.kind == "infection")
            .group_by(_ev.facility_code)
        ).all()
    ) if set(over) - set(alerted) else {}  # fmt: skip
    new = [
        {
            "kind": STAFF_INFECTIONS,
            "unit_code": r.unit_code,
            "period_start": now,
            "target_unit": r.unit_code,  # the facility's owner acts
            "step": 0,
            "consecutive": 1,
            "raised_at": now,
            "subject_id": latest[code],
            "official_id": None,
            "detail": {
                "facility": code,
                "name": r.name,
                "infections": int(r.infections),
                "staff": int(r.staff),
                "window_days": rules.window_days,
            },
        }
        for code, r in sorted(over.items())
        if code not in alerted and code in latest
    ]
    raised = raise_alerts(uow.conn, uow.keys, new, checked=True)
    settled = [(dict(a), {"resolved_at": now}) for code, a in alerted.items() if code not in over]
    for row, _values in settled:
        row.pop("facility", None)
    resolved = change_alerts(uow.conn, uow.keys, settled)
    return {"staff_infection_alerts_raised": raised, "staff_infection_alerts_resolved": resolved}


def cadres_safety_tiles(ctx: Context, uow: UnitOfWork, root: str | None) -> dict[str, Any]:
    """The command screen's two tiles of issue 18 §3–4 (off the wall): cadres' coverage and staff safety."""
    day = local_today(ctx)
    return {"cadres": cadres_tile(uow.conn, root, day, ctx.policy.cadres), "staff_safety": screen_tile(ctx, uow, root)}
