"""A window's facts added up the tree, remembered between rounds so that a round adds up and scores again only
the units whose facts changed, and their ancestors.

The watch stores the running day's scorecards every round. Most units' own facts are the same as the round before
(nothing happened there); their subtree totals and scores are then the same too. So a Rollup keeps, per unit, the
list of its own facts, its subtree totals and its score; the next round loads the facts again (the database stays
the only truth), compares each unit's own facts with the kept ones (in the order read: the same facts read in
another order only cost a recomputation), and recomputes the totals and scores of
the units that differ and of every unit above them. What is kept is a memo of content, not a change log: a unit
is reused only when its own facts, its children, its population and the scoring are all equal to what produced
the kept result, so the cards are the same as a computation from nothing whatever happened in between.

A stored day's waits are kept too (add_up_kept, services.scorecard_waits): they are not read again each round,
only those of the people who changed; a unit's settled wait facts are counted again only when they changed,
and the waits still open are added to every subtree by class (how many, the longest), so that the many waiting
cost a few numbers per unit and class, not a fact each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from admitall.domain.facts import Fact, Facts, facts_of
from admitall.domain.scoring import Scoring, scorecard, with_still
from admitall.domain.units import level_of, parent_of
from admitall.services.scorecard_waits import WaitState

# rollups kept: a few days for each database (today, the two days the watch finishes, and one more)
KEEP = 8
# of which the days whose waits are kept with them (today and yesterday: the days the watch stores)
WAITS_KEPT = 2


@dataclass
class Rollup:
    """One window's facts added up for every unit of a tree, with the unit scores computed from them."""

    start: datetime
    names: dict[str, str]
    population: dict[str, int]
    scoring: Scoring | None = None
    own: dict[str, list[Fact]] = field(default_factory=dict)
    totals: dict[str, Facts] = field(default_factory=dict)
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    # an official's scorecard core, with the units it was computed from, when they led them the whole window
    official_scores: dict[int, tuple[tuple[str, ...], dict[str, Any]]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)  # units added up again by the last round
    # with the waits kept between rounds (add_up_kept): each subtree's totals without the waits still open,
    # those waits per class (how many, longest minutes), and the units whose own settled facts were counted again
    waits: WaitState | None = None
    settled: dict[str, Facts] = field(default_factory=dict)
    still: dict[str, dict[str, tuple[int, float]]] = field(default_factory=dict)
    recounted: set[str] = field(default_factory=set)
    own_waits: dict[str, Facts | None] = field(default_factory=dict)  # each unit's own settled wait facts, summed
    order: list[str] = field(default_factory=list)  # the units, children before their parents
    children: dict[str, list[str]] = field(default_factory=dict)
    _open: dict[str, dict[str, tuple[int, datetime]]] = field(default_factory=dict)  # class -> (n, since)

    def reusable(self, before: Rollup | None) -> bool:
        return (
            before is not None
            and before.start == self.start
            and before.names.keys() == self.names.keys()
            and before.population == self.population
        )

    def total(self, code: str) -> Facts | None:
        """The unit's facts over its subtree: with the waits kept (add_up_kept), its settled facts and its waits
        still open, put together on the first question (a unit whose waits only grew older is scored without)."""
        found = self.totals.get(code)
        if found is None and code in self.settled:
            found = Facts()
            found.merge(self.settled[code])
            for cls, (n, longest) in sorted(self.still.get(code, {}).items()):
                found.still(cls, n, longest)
            self.totals[code] = found
        return found

    def score(self, code: str, scoring: Scoring, before: Rollup | None) -> dict[str, Any]:
        """The unit's scorecard core (score, components, figures, flags), reused when nothing under it changed; when
        only its waits still open did (their minutes grow with the clock), only those figures are made again: the
        components, the score and the flags do not count the waits still open (domain.scoring)."""
        kept = before is not None and before.scoring == scoring and code in before.scores
        if kept and before is not None and code not in self.changed:
            found = before.scores[code]
        elif kept and before is not None and self.waits is not None and code not in self.recounted:
            old = before.scores[code]
            found = {**old, "figures": with_still(old["figures"], self.still.get(code, {}))}
        else:
            found = scorecard(self.total(code) or Facts(), scoring)
        self.scores[code] = found
        return found

    def official_score(
        self,
        official_id: int,
        units: tuple[str, ...],
        whole: bool,
        scoring: Scoring,
        before: Rollup | None,
        facts: Callable[[], Facts],
    ) -> dict[str, Any]:
        """An official's scorecard core: reused when they led the same units the whole window and nothing under
        them changed (their facts are then those units' totals, as before); else computed from `facts`."""
        if whole and before is not None and before.scoring == scoring and not any(u in self.changed for u in units):
            kept = before.official_scores.get(official_id)
            if kept is not None and kept[0] == units:
                self.official_scores[official_id] = kept
                return kept[1]
        if whole and len(units) == 1 and units[0] in self.scores and self.scoring == scoring:
            found = self.scores[units[0]]  # the unit's own facts, scored already this round
        else:
            found = scorecard(facts(), scoring)
        if whole:
            self.official_scores[official_id] = (units, found)
        return found


def add_up(
    facts: Iterable[Fact],
    start: datetime,
    names: dict[str, str],
    population: dict[str, int],
    before: Rollup | None,
    scoring: Scoring,
) -> tuple[Rollup, dict[str, list[Fact]]]:
    """The facts added up for every unit over its whole subtree, reusing `before` for the subtrees in which no own
    facts changed; also the facts of each unit by itself."""
    by_unit: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        by_unit[f.unit_code].append(f)
    now = Rollup(start, names, population, scoring)
    reuse = now.reusable(before)
    children: dict[str, list[str]] = defaultdict(list)
    for code in names:
        parent = parent_of(code)
        if parent in names:
            children[parent].append(code)
    for code in sorted(names, key=lambda c: -level_of(c).depth):  # children before their parents
        own = by_unit.get(code, [])
        now.own[code] = own
        kids = children.get(code, ())
        if reuse and before is not None and before.own.get(code) == own and not any(k in now.changed for k in kids):
            now.totals[code] = before.totals[code]
            continue
        total = facts_of(own)
        for kid in kids:
            total.merge(now.totals[kid])
        total.population = population.get(code, 0)
        now.totals[code] = total
        now.changed.add(code)
    return now, by_unit


def _children(names: Mapping[str, str]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = defaultdict(list)
    for code in names:
        parent = parent_of(code)
        if parent in names:
            children[parent].append(code)
    return children


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def add_up_kept(
    other: Iterable[Fact],
    waits: WaitState,
    start: datetime,
    names: dict[str, str],
    population: dict[str, int],
    before: Rollup | None,
    scoring: Scoring,
) -> tuple[Rollup, Mapping[str, list[Fact]]]:
    """As add_up, with the waits kept between rounds (services.scorecard_waits): a unit's own facts are the other
    facts read this round and its settled wait facts; the waits still open are added to each subtree's totals
    by class. A unit is counted again when its own facts changed (or below it), and its totals made again when
    that or its waits still open changed; so a round costs what changed, and the minutes of the waiting."""
    by_unit: dict[str, list[Fact]] = defaultdict(list)
    for f in other:
        by_unit[f.unit_code].append(f)
    now = Rollup(start, names, population, scoring, waits=waits)
    reuse = now.reusable(before) and before is not None
    # the kept waits say which units' settled wait facts changed; read whole, each unit's are compared
    told = reuse and before is not None and before.waits is waits and not waits.whole
    if before is not None and before.order and before.names.keys() == names.keys():
        now.order, now.children = before.order, before.children  # the same tree: its shape is kept too
    else:
        now.order, now.children = sorted(names, key=lambda c: -level_of(c).depth), _children(names)
    children = now.children
    below: set[str] = set()  # the units with a child counted again this round
    for code in now.order:  # children before their parents
        own = by_unit.get(code, [])
        now.own[code] = own
        kids = children.get(code, ())
        mine = waits.settled_of(code)
        now.own_waits[code] = mine
        if told:
            same_waits = code not in waits.changed
        else:  # read whole (as on PostgreSQL every round): the unit's sums compared with the last round's
            same_waits = reuse and before is not None and code in before.own_waits and before.own_waits[code] == mine
        if reuse and before is not None and same_waits and code not in below and before.own.get(code) == own:
            now.settled[code] = before.settled[code]
        else:
            total = facts_of(own) if own else Facts()
            if mine is not None:
                total.merge(mine)
            for kid in kids:
                total.merge(now.settled[kid])
            total.population = population.get(code, 0)
            now.settled[code] = total
            now.recounted.add(code)
            parent = parent_of(code)
            if parent is not None:
                below.add(parent)
        oldest = waits.oldest(code)
        if kids:
            oldest = dict(oldest)
            for kid in kids:
                for cls, (n, since) in now._open[kid].items():
                    m, first = oldest.get(cls, (0, since))
                    oldest[cls] = (m + n, min(first, since))
        now._open[code] = oldest
        still = {cls: (n, _minutes(waits.until - since)) for cls, (n, since) in oldest.items()}
        now.still[code] = still
        if reuse and before is not None and code not in now.recounted and before.still.get(code) == still:
            if code in before.totals:
                now.totals[code] = before.totals[code]
            continue
        now.changed.add(code)
    return now, _AllFacts(by_unit, waits)


class _AllFacts(Mapping[str, list[Fact]]):
    """Every fact of each unit, waits included one by one: built only if an official led a unit part of the
    window (their facts are then picked by time)."""

    def __init__(self, other: dict[str, list[Fact]], waits: WaitState) -> None:
        self.other, self.waits = other, waits
        self.built: dict[str, list[Fact]] | None = None

    def _all(self) -> dict[str, list[Fact]]:
        if self.built is None:
            self.built = defaultdict(list, {u: list(fs) for u, fs in self.other.items()})
            for f in self.waits.facts():
                self.built[f.unit_code].append(f)
        return self.built

    def __getitem__(self, unit: str) -> list[Fact]:
        return self._all()[unit]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class Rollups:
    """The last rollups of each database and window, for the next round to start from."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, date], Rollup] = {}

    def get(self, db: str, day: date) -> Rollup | None:
        return self._kept.get((db, day))

    def put(self, db: str, day: date, rollup: Rollup) -> None:
        self._kept.pop((db, day), None)
        self._kept[(db, day)] = rollup
        while len(self._kept) > KEEP:
            self._kept.pop(next(iter(self._kept)))
        recent = sorted((d for (kept_db, d) in self._kept if kept_db == db), reverse=True)[:WAITS_KEPT]
        for (kept_db, d), kept in self._kept.items():
            if kept_db == db and d not in recent:  # a day the watch no longer stores: its waits are not kept
                kept.waits, kept.own_waits = None, {}

    def drop(self, db: str, day: date) -> None:
        self._kept.pop((db, day), None)

    def clear(self) -> None:
        self._kept.clear()
