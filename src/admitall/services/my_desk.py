"""An official's own desk: the units they lead, what is open there (alerts, directives, problems), and their score
with the reasons for it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from admitall.domain.access import Permission
from admitall.domain.errors import NotFound
from admitall.domain.units import UnitLevel, level_of, subtree_bounds
from admitall.services import alert_inbox, directive_lists, problem_inbox
from admitall.services.cadres import local_today, on_duty_in
from admitall.services.context import Actor, Context
from admitall.services.officials import official_view
from admitall.services.scorecard_views import official_card
from admitall.services.scorecards import today
from admitall.store.paged import fetch_page
from admitall.store.repositories.alert_states import listed
from admitall.store.tables import alerts as alerts_table
from admitall.store.tables import report_problems

# the desk lists this many of its open alerts (grouped by unit); the total is counted in full
DESK_ALERTS = 50


def _my_alerts(ctx: Context, actor: Actor, official_id: int, codes: list[str]) -> dict[str, Any]:
    """The open alerts about the units the official leads (or naming them as the lead), within the actor's
    jurisdiction: the total, and the first DESK_ALERTS grouped by the unit concerned, one heading per unit, in
    the order of each unit's newest alert."""
    c = alerts_table.c
    about = or_(c.official_id == official_id, *(listed(code, "open") for code in codes))
    query = select(alerts_table).where(listed(actor.unit_code, "open"), about)
    with ctx.uow() as uow:
        total = int(uow.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())
        rows = [
            dict(r._mapping)
            for r in uow.conn.execute(query.order_by(c.raised_at.desc(), c.id.desc()).limit(DESK_ALERTS))
        ]
        items = alert_inbox.views(uow, actor, rows)
    groups: dict[str, dict[str, Any]] = {}
    for a in items:
        group = groups.setdefault(
            a["unit_code"], {"unit_code": a["unit_code"], "unit_name": a["unit_name"], "alerts": []}
        )
        group["alerts"].append(a)
    return {"total": total, "items": items, "groups": list(groups.values())}


def _my_problems(ctx: Context, actor: Actor, codes: list[str]) -> dict[str, Any]:
    """The open problems the units the official leads own (or a unit below them), within the actor's
    jurisdiction: the total, and the first DESK_ALERTS, newest first."""
    if not codes:
        return {"total": 0, "items": []}
    p = report_problems.c
    owned = or_(*(p.owner_unit.between(*subtree_bounds(code)) for code in codes))
    query = select(report_problems).where(problem_inbox.listed(actor.unit_code, "open"), owned)
    with ctx.uow() as uow:
        rows, total = fetch_page(uow.conn, query.order_by(p.id.desc()), 1, DESK_ALERTS)
        found = [dict(r._mapping) for r in rows]
        names = uow.units.names({x["unit_code"] for x in found})
    items = [
        {
            **{k: v.isoformat() if isinstance(v, datetime) else v for k, v in x.items()},
            "unit_name": names.get(x["unit_code"]),
        }
        for x in found
    ]
    return {"total": total, "items": items}


def my_desk(ctx: Context, actor: Actor) -> dict[str, Any]:
    actor.require(Permission.VIEW_COUNTS)
    with ctx.uow() as uow:
        official = uow.officials.by_username(actor.username)
        if official is None or official.id is None:
            raise NotFound(
                "official.not_you",
                "您的账号没有关联干部身份；请联系管理员登记",
                "Your account is not linked to an official; ask an administrator to register you",
            )
        led = [a for a in uow.officials.of_official(official.id) if a.ends_at is None]
        names = uow.units.names([a.unit_code for a in led] + [official.home_unit])
        communities = [a.unit_code for a in led if level_of(a.unit_code) is UnitLevel.COMMUNITY]
        cadres = on_duty_in(uow, actor, communities, local_today(ctx))  # who is on duty in them today
    codes = [a.unit_code for a in led]

    alerts = _my_alerts(ctx, actor, official.id, codes)
    received = directive_lists.received(ctx, actor, roots=codes, status="pending", size=DESK_ALERTS)
    problems = _my_problems(ctx, actor, codes)
    day = today(ctx)
    score_today = official_card(ctx, actor, official.id, day=day)
    score_yesterday = official_card(ctx, actor, official.id, day=day - timedelta(days=1))
    return {
        "official": official_view(official, actor, names),
        "leads": [{"code": a.unit_code, "name": names.get(a.unit_code), "since": a.starts_at.isoformat()} for a in led],
        "alerts": alerts["items"],
        "alerts_total": alerts["total"],
        "alert_groups": alerts["groups"],
        "directives": received["received"],
        "directives_total": received["total"],
        "problems": problems["items"],
        "problems_total": problems["total"],
        "score": {"today": score_today, "yesterday": score_yesterday},
        "cadres_on_duty": cadres,
    }
