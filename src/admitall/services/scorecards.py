"""Scorecards per unit and per responsible official (激励问责), per day and over any window.

A day's scorecards for the whole tree are computed in one pass: the facts of every unit are loaded once, added
up from the communities to the city, scored, and ranked within each level; each official gets the facts of the
units they led, counted only while they led them (a report missed before a handover counts for the previous
lead). Days are stored: provisional while the day runs, final once its last deadlines have passed. Any other
window is computed on request for one unit's subtree or one official.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select

from admitall.domain.facts import Fact, Facts, facts_of
from admitall.domain.officials import LED_LEVELS, Leads, Official
from admitall.domain.scoring import rank
from admitall.domain.units import level_of, parent_of, prefix_of
from admitall.services.context import Context
from admitall.services.scorecard_facts import EPSILON, load_facts, window_end
from admitall.services.scorecard_rollup import Rollups, add_up, add_up_kept
from admitall.services.scorecard_waits import refresh_waits
from admitall.store.repositories.reports import _in_subtree
from admitall.store.tables import units
from admitall.store.uow import UnitOfWork

# a day's scorecards become final this long after the day ends (its last reports are due at 00:10)
FINAL_AFTER = timedelta(hours=1)
# each stored day's last rollup, per database: the next refresh adds up only what changed (scorecard_rollup)
ROLLUPS = Rollups()
_KEPT = threading.Lock()


def day_window(day: date, ctx: Context) -> tuple[datetime, datetime]:
    """Midnight to midnight in the city's time zone, as UTC."""
    start = datetime.combine(day, time(0), tzinfo=ctx.settings.tz)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def today(ctx: Context) -> date:
    return ctx.clock.now().astimezone(ctx.settings.tz).date()


@dataclass
class Tree:
    """The units of a subtree with their names and populations (own figure, else the sum of the children's)."""

    names: dict[str, str]
    population: dict[str, int]

    @classmethod
    def load(cls, uow: UnitOfWork, root: str | None) -> Tree:
        rows = list(
            uow.conn.execute(
                select(units.c.code, units.c.name, units.c.population).where(_in_subtree(units.c.code, root))
            )
        )
        names = {code: name for code, name, _ in rows}
        own = {code: pop for code, _, pop in rows if pop}
        summed: dict[str, int] = defaultdict(int)
        for code in sorted(names, key=lambda c: -level_of(c).depth):
            value = own.get(code, summed.get(code, 0))
            parent = parent_of(code)
            if parent is not None and parent in names:
                summed[parent] += value
            summed[code] = value
        return cls(names, dict(summed))

    def codes(self) -> list[str]:
        return sorted(self.names)


def _at(f: Fact, end: datetime) -> datetime:
    """The moment a fact is laid at someone's door: a wait still open as the window closes counts just before."""
    return f.at - EPSILON if f.at >= end else f.at


@dataclass
class Computed:
    start: datetime
    end: datetime
    unit_cards: dict[str, dict[str, Any]]
    official_cards: dict[int, dict[str, Any]]


def compute(
    ctx: Context, uow: UnitOfWork, root: str | None, start: datetime, end: datetime, *, day: date | None = None
) -> Computed:
    """Unit and official scorecards for the subtree and the window, with ranks within each level. A stored day
    (`day`, the whole tree) starts from the day's last rollup: only what changed is added up and scored again
    (one at a time: the kept waits move on with each round)."""
    if day is not None and root is None:
        with _KEPT:
            return _compute(ctx, uow, root, start, end, day)
    return _compute(ctx, uow, root, start, end, day)


def _compute(
    ctx: Context, uow: UnitOfWork, root: str | None, start: datetime, end: datetime, day: date | None
) -> Computed:
    now = ctx.clock.now()
    scoring = ctx.scoring
    until = window_end(end, now)
    tree = Tree.load(uow, root)
    db = ctx.engine.url.render_as_string(hide_password=True)
    stored = day is not None and root is None
    before = ROLLUPS.get(db, day) if stored and day is not None else None
    by_unit: Mapping[str, Sequence[Fact]]
    if stored and day is not None and until > start:
        try:  # the day's waits kept between rounds (services.scorecard_waits): what changed is read again
            # a day's first round carries the waits open at the end of the day before (services.scorecard_waits)
            previous = ROLLUPS.get(db, day - timedelta(days=1)) if before is None else None
            waits = refresh_waits(
                uow.conn,
                before.waits if before else None,
                start,
                end,
                until,
                ctx.policy.sla,
                previous.waits if previous else None,
            )
            other = load_facts(ctx, uow, root, start, end, now, waits=False)
            rollup, by_unit = add_up_kept(other, waits, start, tree.names, tree.population, before, scoring)
        except BaseException:
            ROLLUPS.drop(db, day)  # the kept waits may have moved on without the rollup: start again next time
            raise
    else:
        facts = load_facts(ctx, uow, root, start, end, now)
        rollup, by_unit = add_up(facts, start, tree.names, tree.population, before, scoring)
    totals = rollup.total
    led_codes = [c for c in tree.codes() if level_of(c) in LED_LEVELS]
    leads = Leads(uow.officials.overlapping(root, start, until))
    officials = uow.officials.named(o for c in led_codes for o, _, _ in leads.during(c, start, until))
    unit_cards: dict[str, dict[str, Any]] = {}
    for code in led_codes:
        card = dict(rollup.score(code, scoring, before))
        spans = leads.during(code, start, until)
        card["name"] = tree.names[code]
        card["leads"] = [_span(o, lo, hi, officials) for o, lo, hi in spans]
        unit_cards[code] = card
    official_cards = {}
    for official_id, led in _led_by_official(led_codes, leads, start, until).items():
        whole = all(lo == start and hi == until for _, lo, hi in led)
        card = dict(
            rollup.official_score(
                official_id,
                tuple(c for c, _, _ in led),
                whole,
                scoring,
                before,
                partial(_official_facts, led, by_unit, totals, start, until),
            )
        )
        who = officials.get(official_id)
        card["name"] = who.name if who else str(official_id)
        card["title"] = who.title if who else ""
        card["units"] = [
            {"code": c, "name": tree.names.get(c), "from": lo.isoformat(), "until": hi.isoformat()} for c, lo, hi in led
        ]
        card["level"] = min((level_of(c) for c, _, _ in led), key=lambda lv: lv.depth).value
        official_cards[official_id] = card
    _rank(unit_cards, lambda code, _: level_of(code).value)
    _rank(official_cards, lambda _, card: card["level"])
    if day is not None and root is None:
        ROLLUPS.put(db, day, rollup)
    return Computed(start, end, unit_cards, official_cards)


def _span(official_id: int, lo: datetime, hi: datetime, officials: dict[int, Official]) -> dict[str, Any]:
    who = officials.get(official_id)
    return {
        "official_id": official_id,
        "name": who.name if who else None,
        "from": lo.isoformat(),
        "until": hi.isoformat(),
    }


Led = list[tuple[str, datetime, datetime]]


def _led_by_official(led_codes: Sequence[str], leads: Leads, start: datetime, until: datetime) -> dict[int, Led]:
    """The units each official led in the window, and from when until when."""
    result: dict[int, Led] = {}
    for code in led_codes:
        for official_id, lo, hi in leads.during(code, start, until):
            result.setdefault(official_id, []).append((code, lo, hi))
    return result


def _official_facts(
    led: Led,
    by_unit: Mapping[str, Sequence[Fact]],
    totals: Callable[[str], Facts | None],
    start: datetime,
    until: datetime,
) -> Facts:
    """An official's facts: a unit led the whole window brings its totals; a unit handed over part-way brings
    only the facts of its subtree that happened while the official led it."""
    mine = Facts()
    for code, lo, hi in led:
        total = totals(code)
        if lo == start and hi == until:
            part = total or Facts()
        else:
            prefix = prefix_of(code)
            under = (f for unit, own in by_unit.items() if unit.startswith(prefix) for f in own)
            part = facts_of(f for f in under if lo <= _at(f, until) < hi)
        population = mine.population + (total.population if total is not None else 0)
        mine.merge(part)
        mine.population = population
    return mine


def _rank(cards: dict[Any, dict[str, Any]], level: Any) -> None:
    groups: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
    keys = {}
    for key, card in cards.items():
        groups[level(key, card)].append((str(key), card["score"]))
        keys[str(key)] = key
    for members in groups.values():
        ranks = rank(members)
        for key_text, _ in members:
            card = cards[keys[key_text]]
            card["rank"] = ranks.get(key_text)
            card["ranked"] = len(ranks)


def store_day(ctx: Context, day: date) -> dict[str, Any]:
    """Compute and store the day's scorecards for every unit and official (final if the day is long enough past)."""
    start, end = day_window(day, ctx)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        computed = compute(ctx, uow, None, start, end, day=day)
    final = now >= end + FINAL_AFTER
    rows = [
        _row("unit", code, level_of(code).value, card, final, now) for code, card in computed.unit_cards.items()
    ] + [_row("official", str(oid), card["level"], card, final, now) for oid, card in computed.official_cards.items()]
    with ctx.uow(write=True) as uow:
        uow.scorecards.replace_day(day, rows)
        uow.commit()
    return {
        "day": day.isoformat(),
        "final": final,
        "units": len(computed.unit_cards),
        "officials": len(computed.official_cards),
    }


def _row(kind: str, subject: str, level: str, card: dict[str, Any], final: bool, now: datetime) -> dict[str, Any]:
    return {
        "subject_kind": kind,
        "subject": subject,
        "level": level,
        "final": final,
        "computed_at": now,
        "score": card["score"],
        "rank": card.get("rank"),
        "ranked": card.get("ranked"),
        "card": card,
    }


def refresh(ctx: Context) -> list[dict[str, Any]]:
    """What the watch runs: finish the last two days if not final, and keep today's provisional cards fresh."""
    now = ctx.clock.now()
    current = today(ctx)
    days = (current - timedelta(days=2), current - timedelta(days=1))
    with ctx.uow() as uow:
        stored = uow.scorecards.days((*days, current))
    done = []
    for day in days:
        final, _ = stored.get(day, (False, None))
        if not final:
            done.append(store_day(ctx, day))
    _, computed_at = stored.get(current, (False, None))
    if computed_at is None or now - computed_at >= timedelta(minutes=ctx.settings.scorecard_refresh_minutes):
        done.append(store_day(ctx, current))
    return done
