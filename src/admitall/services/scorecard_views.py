"""Reading scorecards: a unit's or an official's card for a day or any window, rankings within a level (红黑榜),
the facts behind a flag, and how the score is computed. Everything is limited to the reader's jurisdiction."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.errors import InvalidInput
from admitall.domain.facts import Fact, Kind, facts_of
from admitall.domain.scoring import COMPONENTS, Scoring, scorecard
from admitall.domain.text import check_day
from admitall.domain.units import UnitLevel, level_of
from admitall.services.context import Actor, Context, not_found
from admitall.services.people import people_desk
from admitall.services.reporting import _tree_root
from admitall.services.scorecard_facts import load_facts, window_end
from admitall.services.scorecards import _at, compute, day_window, today
from admitall.store.paged import DEFAULT_SIZE, bounded, page_fields
from admitall.store.uow import UnitOfWork

MAX_WINDOW_DAYS = 31

EXPLAIN = {
    "placement": ("获得床位者 / 窗口内需要床位者", "people given a bed / people who needed one in the window"),
    "sla": (
        "从未超过本类别时限者 / 需要床位者",
        "those never kept waiting past their class's target / those who needed a bed",
    ),
    "completeness": (
        "收到的报告 / 应报报告（截止时间在窗口内）",
        "reports received / reports due (deadline in the window)",
    ),
    "timeliness": ("截止前收到的报告 / 应报报告", "reports received by the deadline / reports due"),
    "truthfulness": ("与系统数据一致的报告 / 收到的报告", "reports agreeing with the registry / reports received"),
    "directives": ("按时完成的指令 / 到期的指令", "directives completed by their due time / directives due"),
    "problems": ("按时解决的求助问题 / 到期的求助问题", "problems needing help resolved in time / problems due"),
}


def explain(scoring: Scoring) -> dict[str, Any]:
    """How the score is computed, with the weights and thresholds in force: shown beside every card."""
    return {
        "components": [
            {"name": c, "weight": scoring.weights.get(c, 0.0), "zh": EXPLAIN[c][0], "en": EXPLAIN[c][1]}
            for c in COMPONENTS
        ],
        "commend": {"composite_at_least": scoring.commend_at_least, "min_demand": scoring.commend_min_demand},
        "review": {"composite_below": scoring.review_below, **(scoring.review or {})},
    }


def window_of(ctx: Context, day: str | date | None, start: str | None, end: str | None) -> tuple[date, date, bool]:
    """(first day, last day, one stored day?) from a day, or a range of days (both ends included)."""
    try:
        if start or end:
            first = date.fromisoformat(start or end or "")
            last = date.fromisoformat(end or start or "")
        else:
            first = last = day if isinstance(day, date) else (date.fromisoformat(day) if day else today(ctx))
        check_day("day", first)
        check_day("day", last)
    except ValueError:
        raise InvalidInput(
            "scorecard.bad_day", "日期格式应为 YYYY-MM-DD", "Days are written YYYY-MM-DD", field="day"
        ) from None
    if last < first or (last - first).days >= MAX_WINDOW_DAYS:
        raise InvalidInput(
            "scorecard.bad_window",
            f"时间窗口须为 1 到 {MAX_WINDOW_DAYS} 天",
            f"A window is 1 to {MAX_WINDOW_DAYS} days",
            field="end",
        )
    return first, last, first == last


def _bounds(ctx: Context, first: date, last: date) -> tuple[datetime, datetime]:
    return day_window(first, ctx)[0], day_window(last, ctx)[1]


def _root(uow: UnitOfWork, actor: Actor, unit: str | None) -> str:
    code = actor.scoped(unit) if unit else (actor.unit_code or _tree_root(uow))
    if uow.units.get(code) is None:
        raise not_found("unit", code)
    return code


def unit_card(
    ctx: Context,
    actor: Actor,
    unit: str | None = None,
    *,
    day: str | date | None = None,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    actor.require(Permission.VIEW_COUNTS)
    first, last, single = window_of(ctx, day, start, end)
    with ctx.uow() as uow:
        code = _root(uow, actor, unit)
        stored = uow.scorecards.one(first, "unit", code) if single else None
        if stored is not None:
            card, meta = (
                stored["card"],
                {"stored": True, "final": stored["final"], "computed_at": stored["computed_at"].isoformat()},
            )
        else:
            lo, hi = _bounds(ctx, first, last)
            card = compute(ctx, uow, code, lo, hi).unit_cards[code]
            card["rank"] = card["ranked"] = None  # ranks compare a whole level: only stored days have them
            meta = {"stored": False, "final": False, "computed_at": ctx.clock.now().isoformat()}
        children = uow.units.children(code)
    return {
        "subject": {"kind": "unit", "code": code, "level": level_of(code).value, "name": card.get("name")},
        "window": {"from": first.isoformat(), "to": last.isoformat()},
        **meta,
        "card": card,
        "children": [{"code": c.code, "name": c.name} for c in children],
        "explain": explain(ctx.scoring),
    }


def _official_visible(uow: UnitOfWork, actor: Actor, official_id: int) -> Any:
    official = uow.officials.get(official_id)
    if official is None:
        raise not_found("official", official_id)
    led = [a.unit_code for a in uow.officials.of_official(official_id)]
    if official.username != actor.username and not any(actor.covers(c) for c in [official.home_unit, *led]):
        raise not_found("official", official_id)
    return official


def official_facts(
    ctx: Context, uow: UnitOfWork, official_id: int, lo: datetime, hi: datetime
) -> tuple[list[Fact], list[tuple[str, datetime, datetime]]]:
    """The facts of the units the official led in [lo, hi), counted only while they led them."""
    now = ctx.clock.now()
    until = window_end(hi, now)
    spans = [
        (a.unit_code, max(a.starts_at, lo), min(a.ends_at or until, until))
        for a in uow.officials.of_official(official_id)
        if a.starts_at < until and (a.ends_at is None or a.ends_at > lo)
    ]
    found: list[Fact] = []
    for code, start, end in spans:
        found.extend(f for f in load_facts(ctx, uow, code, lo, hi, now) if start <= _at(f, until) < end)
    return found, spans


def official_card(
    ctx: Context,
    actor: Actor,
    official_id: int,
    *,
    day: str | date | None = None,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    actor.require(Permission.VIEW_COUNTS)
    first, last, single = window_of(ctx, day, start, end)
    with ctx.uow() as uow:
        official = _official_visible(uow, actor, official_id)
        stored = uow.scorecards.one(first, "official", str(official_id)) if single else None
        if stored is not None:
            card, meta = (
                stored["card"],
                {"stored": True, "final": stored["final"], "computed_at": stored["computed_at"].isoformat()},
            )
        else:
            lo, hi = _bounds(ctx, first, last)
            found, spans = official_facts(ctx, uow, official_id, lo, hi)
            names = uow.units.names(c for c, _, _ in spans)
            facts = facts_of(found, population=0)
            card = scorecard(facts, ctx.scoring)
            card.update(
                name=official.name,
                title=official.title,
                units=[
                    {"code": c, "name": names.get(c), "from": a.isoformat(), "until": b.isoformat()}
                    for c, a, b in spans
                ],
                rank=None,
                ranked=None,
            )
            meta = {"stored": False, "final": False, "computed_at": ctx.clock.now().isoformat()}
    return {
        "subject": {
            "kind": "official",
            "id": official_id,
            "name": official.name,
            "title": official.title,
            "home_unit": official.home_unit,
        },
        "window": {"from": first.isoformat(), "to": last.isoformat()},
        **meta,
        "card": card,
        "explain": explain(ctx.scoring),
    }


def ranking(
    ctx: Context, actor: Actor, *, level: str = "district", day: str | date | None = None, kind: str = "unit"
) -> dict[str, Any]:
    """A stored day's ranking within one level, limited to the jurisdiction, with the red and black lists.

    The lists are two ends of one ranking and never meet: the red list (红榜) holds those commended whose score is
    at least the level's median, best first; the black list (黑榜) those flagged for review whose score is below the
    median or below the review threshold, worst first — a unit in the top half with a review flag (one missing
    report) keeps the flag on its card and in the ranking, but is not on the black list. The median is the whole
    level's, as the ranks are."""
    actor.require(Permission.VIEW_COUNTS)
    lv = UnitLevel.parse(level)
    if lv is None or kind not in ("unit", "official"):
        raise InvalidInput("scorecard.bad_level", f"层级无法识别：{level}", f"Unknown level: {level}", field="level")
    first, _, _ = window_of(ctx, day, None, None)
    with ctx.uow() as uow:
        rows = uow.scorecards.of_level(first, kind, lv.value)
    visible = [r for r in rows if _row_visible(actor, r)]
    size = ctx.scoring.list_size
    entries = [_entry(r) for r in visible]
    middle = median_score(r["score"] for r in rows)
    red, black = split_lists(entries, middle, size, ctx.scoring.review_below)
    return {
        "day": first.isoformat(),
        "level": lv.value,
        "kind": kind,
        "final": all(r["final"] for r in rows) if rows else False,
        "computed_at": max(r["computed_at"] for r in rows).isoformat() if rows else None,
        "median": middle,
        "review_below": ctx.scoring.review_below,
        "entries": entries,
        "red_list": red,
        "black_list": black,
    }


def median_score(scores: Iterable[float | None]) -> float | None:
    """The median of the scores there are (None: nothing was scored)."""
    known = [s for s in scores if s is not None]
    return statistics.median(known) if known else None


def split_lists(
    entries: list[dict[str, Any]], middle: float | None, size: int, review_below: float = 0.0
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(red list, black list) of a ranking's entries around the level's median score: see `ranking`. A score below
    `review_below` is on the black list even where most of the level scored as low (the median is then no bar)."""

    def flagged(e: dict[str, Any], flag: str) -> bool:
        return any(f["flag"] == flag for f in e["flags"])

    if middle is None:
        return [], []
    scored = [e for e in entries if e["score"] is not None]
    red = sorted((e for e in scored if flagged(e, "commend") and e["score"] >= middle), key=lambda e: -e["score"])
    low = [e for e in scored if flagged(e, "review") and (e["score"] < middle or e["score"] < review_below)]
    black = sorted(low, key=lambda e: e["score"])
    return red[:size], black[:size]


def _row_visible(actor: Actor, row: dict[str, Any]) -> bool:
    if row["subject_kind"] == "unit":
        return actor.covers(row["subject"])
    return any(actor.covers(u["code"]) for u in row["card"].get("units", []))


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    card = row["card"]
    return {
        "subject": row["subject"],
        "name": card.get("name"),
        "title": card.get("title"),
        "units": card.get("units"),
        "score": row["score"],
        "rank": row["rank"],
        "ranked": row["ranked"],
        "components": {c: p["value"] for c, p in card["components"].items()},
        "flags": card["flags"],
    }


def facts_behind(
    ctx: Context,
    actor: Actor,
    *,
    kinds: list[str],
    unit: str | None = None,
    official_id: int | None = None,
    day: str | date | None = None,
    start: str | None = None,
    end: str | None = None,
    page: int = 1,
    size: int = DEFAULT_SIZE,
) -> dict[str, Any]:
    """The recorded facts behind a figure or a flag: the people who waited, the reports that were missing..."""
    actor.require(Permission.VIEW_COUNTS)
    wanted = {Kind(k) for k in kinds if k in Kind._value2member_map_}
    if not wanted:
        raise InvalidInput("scorecard.bad_fact", "未指明事实类别", "Say which facts", field="kinds")
    first, last, _ = window_of(ctx, day, start, end)
    lo, hi = _bounds(ctx, first, last)
    with ctx.uow() as uow:
        if official_id is not None:
            _official_visible(uow, actor, official_id)
            found, _ = official_facts(ctx, uow, official_id, lo, hi)
        else:
            code = _root(uow, actor, unit)
            found = load_facts(ctx, uow, code, lo, hi, ctx.clock.now())
        chosen = sorted(
            (f for f in found if f.kind in wanted and actor.covers(f.unit_code)), key=lambda f: (f.at, f.ref)
        )
        # the facts are derived from the day's projections, not rows of their own: counted whole, shown a page
        page, size = bounded(page, size)
        shown = chosen[(page - 1) * size : page * size]
        names = uow.units.names({f.unit_code for f in shown})
        people = _people(uow, actor, shown)
    return {
        "window": {"from": first.isoformat(), "to": last.isoformat()},
        "kinds": sorted(k.value for k in wanted),
        "facts": [
            {
                "kind": f.kind.value,
                "unit_code": f.unit_code,
                "unit_name": names.get(f.unit_code),
                "at": f.at.isoformat(),
                "priority_class": f.cls,
                "value": f.value,
                "ref": f.ref,
                **people.get(f.ref if f.kind in _PERSON_KINDS else "", {}),
            }
            for f in shown
        ],
        "shown": len(shown),
        **page_fields(page, size, len(chosen)),
    }


_PERSON_KINDS = {Kind.IDENTIFIED, Kind.DEMAND, Kind.PLACED, Kind.STILL_WAITING, Kind.BREACH}


def _people(uow: UnitOfWork, actor: Actor, facts: list[Fact]) -> dict[str, dict[str, Any]]:
    """Names for the people behind wait facts, for those who may see people at all."""
    if not actor.can(Permission.VIEW_PERSONS):
        return {}
    ids = sorted({int(f.ref) for f in facts if f.kind in _PERSON_KINDS})
    names = uow.persons.names(ids, facility=people_desk(actor))  # a facility's desk: only the people it has had
    return {str(pid): {"person_id": pid, "person_name": name} for pid, name in names.items()}
