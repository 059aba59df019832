"""Scorecards (激励问责): figures, component scores, a weighted composite, rankings and flags, from facts only.

Every component is a share of 100 with its numerator and denominator shown; a component with nothing to count
(no one needed a bed, no report was due) is left out and the weights of the others are rescaled, so a unit is
never rewarded or punished for work it did not have. The composite is the weighted mean of the components that
count. Percentiles are nearest-rank (the value at position ceil(p/100 × n) in sorted order), so the same facts
always give the same figures. Weights and thresholds come from a TOML file a city may replace.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from admitall.domain.errors import InvalidInput
from admitall.domain.facts import Facts, Kind
from admitall.domain.policy import PriorityClass

COMPONENTS = ("placement", "sla", "completeness", "timeliness", "truthfulness", "directives", "problems")
# review rules: the name in the file, how the value is counted, and the facts a flag links to
REVIEW_RULES: dict[str, tuple[Kind, ...]] = {
    "critical_breaches_at_least": (Kind.BREACH,),
    "missing_reports_at_least": (Kind.REPORT_MISSING,),
    "discrepant_reports_at_least": (Kind.REPORT_DISCREPANT,),
    "overdue_directives_at_least": (Kind.DIRECTIVE_LATE, Kind.DIRECTIVE_OVERDUE),
    "overdue_problems_at_least": (Kind.PROBLEM_LATE, Kind.PROBLEM_OVERDUE),
}


@dataclass(frozen=True)
class Scoring:
    weights: Mapping[str, float]
    commend_at_least: float = 90.0
    commend_min_demand: int = 1
    review_below: float = 60.0
    review: Mapping[str, int] | None = None
    list_size: int = 10


# a weight is relative (only the ratios count); a count threshold or list beyond a million means a typo
MAX_WEIGHT = 1000
MAX_COUNT = 1_000_000


def _bad(zh: str, en: str) -> InvalidInput:
    return InvalidInput("scoring.invalid", f"评分配置无效：{zh}", f"Invalid scoring file: {en}")


def _number(table: Mapping[str, Any], key: str, where: str, default: float, high: float) -> float:
    """A finite number from 0 to `high` (NaN and infinity are no numbers: they would rank and flag nonsense)."""
    value = table.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= high:
        raise _bad(
            f"{where}.{key} 必须是 0 到 {high:g} 之间的数（现为 {value!r}）",
            f"{where}.{key} must be a number of at least 0 and at most {high:g} (is {value!r})",
        )
    return float(value)


def _count(table: Mapping[str, Any], key: str, where: str, default: int, low: int = 0) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_COUNT:
        raise _bad(
            f"{where}.{key} 必须是 {low} 到 {MAX_COUNT} 之间的整数（现为 {value!r}）",
            f"{where}.{key} must be a whole number from {low} to {MAX_COUNT} (is {value!r})",
        )
    return value


def _table(data: Mapping[str, Any], key: str, known: Iterable[str]) -> dict[str, Any]:
    """An optional [table] holding only the keys it may hold."""
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise _bad(f"{key} 必须是一个表 [{key}]", f"{key} must be a table [{key}]")
    extra = set(table) - set(known)
    if extra:
        raise _bad(f"[{key}] 中未知的规则 {sorted(extra)}", f"unknown {key} rules {sorted(extra)}")
    return table


def parse_scoring(text: str) -> Scoring:
    """Read and check a scoring file: weights for known components, thresholds for known rules, every number
    finite and within its range, no key the program would silently ignore."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _bad(f"TOML 语法错误：{e}", f"TOML syntax error: {e}") from None
    unknown = set(data) - {"weights", "commend", "review", "ranking"}
    if unknown:
        raise _bad(f"未知的设置 {sorted(unknown)}", f"unknown settings {sorted(unknown)}")
    weights_data = data.get("weights")
    if not isinstance(weights_data, dict):
        raise _bad("缺少 [weights] 表", "the [weights] table is required")
    extra = set(weights_data) - set(COMPONENTS)
    if extra:
        raise _bad(f"未知的评分项 {sorted(extra)}", f"unknown components {sorted(extra)} (known: {COMPONENTS})")
    weights = {c: _number(weights_data, c, "weights", 0, MAX_WEIGHT) for c in COMPONENTS}
    if not any(weights.values()):
        raise _bad("至少一个权重必须大于 0", "at least one weight must be above 0")
    commend = _table(data, "commend", ("composite_at_least", "min_demand"))
    review_data = _table(data, "review", (*REVIEW_RULES, "composite_below"))
    ranking = _table(data, "ranking", ("list_size",))
    review = {r: _count(review_data, r, "review", 0) for r in REVIEW_RULES if r in review_data}
    return Scoring(
        weights=weights,
        commend_at_least=_number(commend, "composite_at_least", "commend", 90, 100),
        commend_min_demand=_count(commend, "min_demand", "commend", 1),
        review_below=_number(review_data, "composite_below", "review", 60, 100),
        review=review,
        list_size=_count(ranking, "list_size", "ranking", 10, low=1),
    )


@lru_cache(maxsize=1)
def default_scoring() -> Scoring:
    return parse_scoring(resources.files("admitall").joinpath("data/scoring.toml").read_text(encoding="utf-8"))


def percentile(values: Sequence[float], p: float) -> float | None:
    if not values:
        return None
    return _at(sorted(values), p)


def _at(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of values already sorted."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# the counters' keys, as strings once (an enum's value is a property: a scorecard asks for them a few hundred times)
_DEMAND, _PLACED, _BREACH, _STILL = Kind.DEMAND.value, Kind.PLACED.value, Kind.BREACH.value, Kind.STILL_WAITING.value
_IDENTIFIED = Kind.IDENTIFIED.value
_ON_TIME, _LATE, _MISSING = Kind.REPORT_ON_TIME.value, Kind.REPORT_LATE.value, Kind.REPORT_MISSING.value
_RECEIVED, _DISCREPANT = Kind.REPORT_RECEIVED.value, Kind.REPORT_DISCREPANT.value
_DIRECTIVES = (Kind.DIRECTIVE_ON_TIME.value, Kind.DIRECTIVE_LATE.value, Kind.DIRECTIVE_OVERDUE.value)
_PROBLEMS = (Kind.PROBLEM_ON_TIME.value, Kind.PROBLEM_LATE.value, Kind.PROBLEM_OVERDUE.value)
_CLASSES = tuple(c.value for c in PriorityClass)
_PLACED_KEYS = tuple((c, f"{_PLACED}:{c}") for c in _CLASSES)
_CRITICAL = PriorityClass.CRITICAL.value
_RULE_KINDS = {rule: tuple(k.value for k in kinds) for rule, kinds in REVIEW_RULES.items()}
_NO_COUNTS: Mapping[str, int] = {}


def _share(numerator: int, denominator: int) -> dict[str, Any]:
    value = round(100 * numerator / denominator, 1) if denominator else None
    return {"value": value, "numerator": numerator, "denominator": denominator}


def components(f: Facts) -> dict[str, dict[str, Any]]:
    n = f.counts.get
    demand = n(_DEMAND, 0)
    on_time, late = n(_ON_TIME, 0), n(_LATE, 0)
    expected = on_time + late + n(_MISSING, 0)
    received = n(_RECEIVED, 0)
    directives = n(_DIRECTIVES[0], 0) + n(_DIRECTIVES[1], 0) + n(_DIRECTIVES[2], 0)
    problems = n(_PROBLEMS[0], 0) + n(_PROBLEMS[1], 0) + n(_PROBLEMS[2], 0)
    return {
        "placement": _share(n(_PLACED, 0), demand),
        "sla": _share(demand - min(demand, n(_BREACH, 0)), demand),
        "completeness": _share(on_time + late, expected),
        "timeliness": _share(on_time, expected),
        "truthfulness": _share(received - min(received, n(_DISCREPANT, 0)), received),
        "directives": _share(n(_DIRECTIVES[0], 0), directives),
        "problems": _share(n(_PROBLEMS[0], 0), problems),
    }


def composite(parts: Mapping[str, Mapping[str, Any]], weights: Mapping[str, float]) -> float | None:
    counted = [(weights.get(c, 0.0), float(p["value"])) for c, p in parts.items() if p["value"] is not None]
    total = sum(w for w, _ in counted)
    if not total:
        return None
    return round(sum(w * v for w, v in counted) / total, 1)


def _spread(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median": None, "p90": None, "max": None}
    ordered = sorted(values)
    return {"n": len(ordered), "median": _at(ordered, 50), "p90": _at(ordered, 90), "max": ordered[-1]}


def figures(f: Facts) -> dict[str, Any]:
    """The figures behind the components, with waits by class and the workload they were measured against."""
    counts = f.counts.get
    identified, population = counts(_IDENTIFIED, 0), f.population
    breaches, still_total = counts(_BREACH, 0), counts(_STILL, 0)
    still_by = f.by_class.get(_STILL, _NO_COUNTS)
    breach_by = f.by_class.get(_BREACH, _NO_COUNTS)
    per_class = {}
    for cls, key in _PLACED_KEYS:
        placed = f.values.get(key, ())
        still = still_by.get(cls, 0)
        n_breach = breach_by.get(cls, 0)
        if placed or still or n_breach:
            per_class[cls] = {
                "placed_wait_minutes": _spread(placed),
                "still_waiting": still,
                "longest_still_waiting_minutes": f.longest.get(cls) if still else None,
                "breaches": n_breach,
            }
    return {
        "identified": identified,
        "population": population,
        "demand": counts(_DEMAND, 0),
        "placed": counts(_PLACED, 0),
        "still_waiting": still_total,
        "breaches": breaches,
        "critical_breaches": breach_by.get(_CRITICAL, 0),
        "by_class": per_class,
        "reports": {k: counts(f"report_{k}", 0) for k in ("on_time", "late", "missing", "received", "discrepant")},
        "directives": {k: counts(f"directive_{k}", 0) for k in ("on_time", "late", "overdue")},
        "problems": {k: counts(f"problem_{k}", 0) for k in ("on_time", "late", "overdue")},
        "directive_closure_hours": _spread(f.values.get("directive", ())),
        "problem_closure_hours": _spread(f.values.get("problem", ())),
        "per_10k_residents": {
            "identified": round(identified * 10_000 / population, 2) if population else None,
            "still_waiting": round(still_total * 10_000 / population, 2) if population else None,
            "breaches": round(breaches * 10_000 / population, 2) if population else None,
        },
        "breaches_per_100_identified": round(breaches * 100 / identified, 2) if identified else None,
    }


def with_still(found: Mapping[str, Any], still: Mapping[str, tuple[int, float]]) -> dict[str, Any]:
    """`found` (figures of some facts) with their waits still open replaced by `still` (class -> how many, the
    longest in minutes): the figures of the same facts whose open waits have grown older, or others opened or
    closed, without counting the facts again. Nothing else in a scorecard counts the waits still open."""
    by_class = {}
    old = found["by_class"]
    total = 0
    for cls in _CLASSES:
        n, longest = still.get(cls, (0, 0.0))
        total += n
        entry = old.get(cls)
        if entry is not None and (entry["placed_wait_minutes"]["n"] or entry["breaches"]):
            by_class[cls] = {**entry, "still_waiting": n, "longest_still_waiting_minutes": longest if n else None}
        elif n:
            by_class[cls] = {
                "placed_wait_minutes": _spread(()),
                "still_waiting": n,
                "longest_still_waiting_minutes": longest,
                "breaches": 0,
            }
    population = found["population"]
    per_10k = {
        **found["per_10k_residents"],
        "still_waiting": round(total * 10_000 / population, 2) if population else None,
    }
    return {**found, "still_waiting": total, "by_class": by_class, "per_10k_residents": per_10k}


def _rule_value(f: Facts, rule: str) -> int:
    if rule == "critical_breaches_at_least":
        return f.by_class.get(_BREACH, _NO_COUNTS).get(_CRITICAL, 0)
    counts = f.counts.get
    return sum(counts(k, 0) for k in _RULE_KINDS[rule])


def flags(f: Facts, score: float | None, scoring: Scoring) -> list[dict[str, Any]]:
    """Accountability review by any rule reached; commendation only with work done, a high score, and no review."""
    found: list[dict[str, Any]] = []
    if score is not None and score < scoring.review_below:
        found.append(
            {
                "flag": "review",
                "rule": "composite_below",
                "value": score,
                "threshold": scoring.review_below,
                "facts": [],
            }
        )
    for rule, threshold in sorted((scoring.review or {}).items()):
        value = _rule_value(f, rule)
        if threshold and value >= threshold:
            found.append(
                {
                    "flag": "review",
                    "rule": rule,
                    "value": value,
                    "threshold": threshold,
                    "facts": list(_RULE_KINDS[rule]),
                }
            )
    if (
        not found
        and score is not None
        and score >= scoring.commend_at_least
        and f.counts.get(_DEMAND, 0) >= scoring.commend_min_demand
    ):
        found.append(
            {
                "flag": "commend",
                "rule": "composite_at_least",
                "value": score,
                "threshold": scoring.commend_at_least,
                "facts": [_PLACED],
            }
        )
    return found


def scorecard(f: Facts, scoring: Scoring) -> dict[str, Any]:
    parts = components(f)
    score = composite(parts, scoring.weights)
    weight = scoring.weights.get
    return {
        "score": score,
        "components": {c: {**p, "weight": weight(c, 0.0)} for c, p in parts.items()},
        "figures": figures(f),
        "flags": flags(f, score, scoring),
    }


def rank(scores: Iterable[tuple[str, float | None]]) -> dict[str, int]:
    """Rank 1 for the best score; equal scores share a rank (then the next rank skips); unscored are unranked."""
    ordered = sorted(((s, key) for key, s in scores if s is not None), key=lambda x: (-x[0], x[1]))
    ranks: dict[str, int] = {}
    for position, (score, key) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        ranks[key] = ranks[previous[1]] if previous is not None and previous[0] == score else position
    return ranks
