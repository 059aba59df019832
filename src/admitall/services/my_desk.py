"""An official's own desk: the units they lead, what is open there (alerts, directives, problems), and their score
with the reasons for it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.errors import NotFound
from admitall.domain.units import in_subtree
from admitall.services import directives, watch
from admitall.services.context import Actor, Context
from admitall.services.officials import official_view
from admitall.services.scorecard_views import official_card
from admitall.services.scorecards import today


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
    codes = [a.unit_code for a in led]

    def mine(code: str | None) -> bool:
        return code is not None and any(in_subtree(code, c) for c in codes)

    alerts = [
        a
        for a in watch.inbox(ctx, actor)["alerts"]
        if a["official_id"] == official.id or mine(a["target_unit"]) or mine(a["unit_code"])
    ]
    board = directives.board(ctx, actor)
    received = [x for x in board["received"] if mine(x["unit_code"]) and x["status"] != "completed"]
    problems = [p for p in watch.problems(ctx, actor)["problems"] if mine(p["owner_unit"])]
    day = today(ctx)
    score_today = official_card(ctx, actor, official.id, day=day)
    score_yesterday = official_card(ctx, actor, official.id, day=day - timedelta(days=1))
    return {
        "official": official_view(official, actor, names),
        "leads": [{"code": a.unit_code, "name": names.get(a.unit_code), "since": a.starts_at.isoformat()} for a in led],
        "alerts": alerts,
        "directives": received,
        "problems": problems,
        "score": {"today": score_today, "yesterday": score_yesterday},
    }
