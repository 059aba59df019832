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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from admitall.domain.facts import Fact, Facts, facts_of
from admitall.domain.scoring import Scoring, scorecard
from admitall.domain.units import level_of, parent_of

# rollups kept: a few days for each database (today, the two days the watch finishes, and one more)
KEEP = 8


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

    def reusable(self, before: Rollup | None) -> bool:
        return (
            before is not None
            and before.start == self.start
            and before.names.keys() == self.names.keys()
            and before.population == self.population
        )

    def score(self, code: str, scoring: Scoring, before: Rollup | None) -> dict[str, Any]:
        """The unit's scorecard core (score, components, figures, flags), reused when nothing under it changed."""
        if before is not None and code not in self.changed and before.scoring == scoring and code in before.scores:
            found = before.scores[code]
        else:
            found = scorecard(self.totals.get(code, Facts()), scoring)
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

    def clear(self) -> None:
        self._kept.clear()
