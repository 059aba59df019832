"""The Fellegi–Sunter model of the linkage: blocking, the u and m probabilities, and each pair's probability.

- **Blocking** (`candidate_pairs`): only records sharing a key are compared — the ID number, the phone's last eight
  digits, the name's pinyin within a community, the birth date within a community, the pinyin with the birth
  date anywhere. A key shared by more than `MAX_BLOCK` records (a switchboard number) makes no pairs: it says
  nothing about who is who. A million records give a few hundred thousand pairs instead of 5·10^11.
- **m** (`m_from_sure_pairs`): the levels' frequencies among the blocked pairs that are surely one person by
  other fields (the same ID number and a name that sounds the same; the name from the same ID number and birth
  date; the ID number from the same phone, birth date and name sound).
- **u** (`u_from_sure_non_pairs`): the same among the blocked pairs that are surely two people (two different ID
  numbers; for the ID number, a different name and birth date) — the neighbours and family the blocking lets
  through, not random strangers; random pairs (`u_from_random`) only where too few such pairs exist.
- **The prior** (`estimate`): expectation–maximisation over the blocked pairs with m and u held; the pairs are
  grouped by their pattern of levels first, so each round costs a few thousand patterns, not millions of pairs.
- **Scoring** (`Model.probabilities`): 2^w / (1 + 2^w), w the prior's weight plus the fields' weights.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from admitall.domain.linkage import DISAGREE, FIELD_NAMES, FIELDS, MISSING, Prepared, compare

MAX_BLOCK = 60
_KEYS: tuple[Callable[[Prepared], str | None], ...] = (
    lambda r: r.document,
    lambda r: r.phone8,
    lambda r: f"{r.pinyin}|{r.unit_code}" if r.pinyin else None,
    lambda r: f"{r.birth}|{r.unit_code}" if r.birth else None,
    lambda r: f"{r.pinyin}|{r.birth}" if r.pinyin and r.birth else None,
)
BLOCKING_RULES = (
    "id_number",
    "phone_last_8",
    "name_pinyin+community",
    "birth_date+community",
    "name_pinyin+birth_date",
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def candidate_pairs(records: Sequence[Prepared], only: Iterable[int] | None = None) -> IntArray:
    """The pairs (i, j), i < j, of positions in `records` that share a blocking key, each once.

    With `only` (positions), just the pairs with at least one of those records in them (new arrivals
    against the rest)."""
    n = len(records)
    wanted = None if only is None else set(only)
    codes: list[IntArray] = []
    for key in _KEYS:
        blocks: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(records):
            k = key(r)
            if k is not None:
                blocks[k].append(i)
        firsts: list[int] = []
        seconds: list[int] = []
        for members in blocks.values():
            m = len(members)
            if m < 2 or m > MAX_BLOCK:
                continue
            if wanted is not None and not wanted.intersection(members):
                continue
            for x in range(m):
                for y in range(x + 1, m):
                    a, b = members[x], members[y]
                    if wanted is None or a in wanted or b in wanted:
                        firsts.append(a)
                        seconds.append(b)
        if firsts:
            codes.append(np.asarray(firsts, dtype=np.int64) * n + np.asarray(seconds, dtype=np.int64))
    if not codes:
        return np.zeros((0, 2), dtype=np.int64)
    unique = np.unique(np.concatenate(codes))
    return np.stack([unique // n, unique % n], axis=1)


def levels_of(records: Sequence[Prepared], pairs: IntArray) -> IntArray:
    """The comparison levels of each pair: one row per pair, one column per field."""
    out = np.empty((len(pairs), len(FIELD_NAMES)), dtype=np.int64)
    for row, (i, j) in enumerate(pairs.tolist()):
        out[row] = compare(records[i], records[j])
    return out


def _frequencies(levels: IntArray, weights: FloatArray | None = None) -> list[FloatArray]:
    out = []
    for k, name in enumerate(FIELD_NAMES):
        counts = np.bincount(levels[:, k], weights=weights, minlength=len(FIELDS[name])).astype(np.float64)
        counts += 0.5  # no level is impossible: a level never seen still weighs something finite
        out.append(counts / counts.sum())
    return out


def u_from_random(records: Sequence[Prepared], samples: int, seed: int = 0) -> list[FloatArray]:
    """The u probabilities: the levels' frequencies among `samples` random pairs of different records."""
    rng = random.Random(seed)
    n = len(records)
    pairs = []
    for _ in range(samples):
        i, j = rng.randrange(n), rng.randrange(n)
        if i != j:
            pairs.append((min(i, j), max(i, j)))
    return _frequencies(levels_of(records, np.asarray(pairs, dtype=np.int64).reshape(-1, 2)))


@dataclass(frozen=True)
class Model:
    """m and u per field and level, and the prior probability that a blocked pair is a match."""

    m: list[FloatArray]
    u: list[FloatArray]
    prior: float

    @property
    def weights(self) -> list[list[float]]:
        """log2(m/u) per field and level, held monotone: an agreement never counts against a match, a
        disagreement never for it (among the blocked pairs a shared phone is common between neighbours, so
        unchecked estimates can say otherwise); 0 for a missing value."""
        out = []
        for k, name in enumerate(FIELD_NAMES):
            w = np.log2(self.m[k] / self.u[k])
            against = DISAGREE[name]
            w[:against] = np.maximum(w[:against], 0.0)
            w[against:] = np.minimum(w[against:], 0.0)
            if name in MISSING:
                w[MISSING[name]] = 0.0
            out.append([float(x) for x in w])
        return out

    def scores(self, levels: IntArray) -> FloatArray:
        """Each pair's match weight (log2 of the odds)."""
        total = np.full(len(levels), np.log2(self.prior / (1 - self.prior)))
        for k, w in enumerate(self.weights):
            total += np.asarray(w)[levels[:, k]]
        return total

    def probabilities(self, levels: IntArray) -> FloatArray:
        return 1.0 / (1.0 + np.exp2(-self.scores(levels)))

    def to_json(self) -> dict[str, object]:
        return {
            "prior": self.prior,
            "m": {name: [float(x) for x in self.m[k]] for k, name in enumerate(FIELD_NAMES)},
            "u": {name: [float(x) for x in self.u[k]] for k, name in enumerate(FIELD_NAMES)},
        }


def _initial_m() -> list[FloatArray]:
    out = []
    for name in FIELD_NAMES:
        n = len(FIELDS[name])
        start = np.asarray([0.6 / (2**i) for i in range(n)], dtype=np.float64)
        out.append(start / start.sum())
    return out


# pairs that are surely the same person whatever the field being learnt says: the same ID number and a name
# that sounds the same, or (to learn the ID number's levels) the same phone, birth date and name sound
_SURE_BY_ID = (FIELD_NAMES.index("id_number"), 0, FIELD_NAMES.index("name"), 1)
_SURE_BY_PHONE = (FIELD_NAMES.index("phone"), 0, FIELD_NAMES.index("birth_date"), 0)


def m_from_sure_pairs(levels: IntArray) -> list[FloatArray]:
    """m per field from the blocked pairs that are the same person by other fields (like Splink's
    estimate-from-rules): each field learnt from pairs whose sureness does not involve it."""
    idk, _, namek, name_max = _SURE_BY_ID
    phonek, _, birthk, _ = _SURE_BY_PHONE
    by_id = levels[(levels[:, idk] == 0) & (levels[:, namek] <= name_max)]
    by_phone = levels[(levels[:, phonek] == 0) & (levels[:, birthk] == 0) & (levels[:, namek] <= name_max)]
    m = _initial_m()
    for k, name in enumerate(FIELD_NAMES):
        sure = by_phone if k in (idk, namek) else by_id
        if name == "name":
            # the name is in both rules: learn it from the pairs with the same ID number and birth date
            sure = levels[(levels[:, idk] == 0) & (levels[:, birthk] == 0)]
        if len(sure) >= 20:
            m[k] = _frequencies(sure)[k]
    return m


def u_from_sure_non_pairs(levels: IntArray, fallback: list[FloatArray]) -> list[FloatArray]:
    """u per field from the blocked pairs that are surely two people by other fields: two valid, different ID
    numbers (to learn every other field), a different name and birth date (to learn the ID number's levels).
    They are the non-matches the blocking lets through — neighbours and family sharing a phone, an address, a
    surname, a birth date — so a level they often share weighs little, however rare it is between random people.
    A field with too few such pairs keeps its `fallback` (random pairs)."""
    idk, namek, birthk = (FIELD_NAMES.index(f) for f in ("id_number", "name", "birth_date"))
    by_id = levels[levels[:, idk] == 2]
    by_name_birth = levels[(levels[:, namek] == 4) & (levels[:, birthk] == 2)]
    u = list(fallback)
    for k in range(len(FIELD_NAMES)):
        sure = by_name_birth if k == idk else by_id
        if len(sure) >= 20:
            u[k] = _frequencies(sure)[k]
    return u


def estimate(levels: IntArray, u: list[FloatArray], rounds: int = 30, prior: float = 0.1) -> Model:
    """m from the surely-matching pairs, u from the surely-different pairs (`u` given: for fields without
    enough of them), and the prior (the share of blocked pairs that are matches) by expectation–maximisation
    with m and u held."""
    if len(levels) == 0:
        return Model(_initial_m(), u, prior)
    m = m_from_sure_pairs(levels)
    u = u_from_sure_non_pairs(levels, u)
    patterns, counts = np.unique(levels, axis=0, return_counts=True)
    weight = counts.astype(np.float64)
    ratio = np.exp2(Model(m, u, 0.5).scores(patterns))  # the likelihood ratio as scored (monotone weights)
    for _ in range(rounds):
        odds = ratio * prior / (1 - prior)
        g = odds / (1 + odds)
        prior = float(np.clip((g * weight).sum() / weight.sum(), 1e-6, 1 - 1e-6))
    return Model(m, u, prior)


# a pair at or above AUTO_MERGE is merged without a person; from REVIEW up it waits for one; below it is distinct
AUTO_MERGE = 0.995
REVIEW = 0.6


_ID, _PHONE, _BIRTH = (FIELD_NAMES.index(f) for f in ("id_number", "phone", "birth_date"))


def identified(levels: Sequence[int]) -> bool:
    """Whether an identifier agrees: the ID number (exactly or but one digit), the phone (or its last 8 digits)
    or the birth date. A name and a place alone never merge two records without a person looking."""
    return levels[_ID] <= 1 or levels[_PHONE] <= 1 or levels[_BIRTH] == 0


def decision(probability: float, levels: Sequence[int], auto_merge: float = AUTO_MERGE, review: float = REVIEW) -> str:
    """merged (at or above `auto_merge`, an identifier agreeing), review (from `review` up), else distinct."""
    if probability >= auto_merge and identified(levels):
        return "merged"
    return "review" if probability >= review else "distinct"


def _model(data: dict[str, Any]) -> Model:
    m = [np.asarray(data["m"][name], dtype=np.float64) for name in FIELD_NAMES]
    u = [np.asarray(data["u"][name], dtype=np.float64) for name in FIELD_NAMES]
    return Model(m, u, float(data["prior"]))


# the model estimated on the benchmark's generated million (bench/linkage.py, bench/RESULTS.md): used where the
# registry is too small to learn from (services.linkage.MIN_PAIRS_TO_ESTIMATE), and for arrivals
DEFAULT_MODEL = _model(
    {
        "prior": 0.2498,
        "m": {
            "name": [0.5014, 0.378186, 0.035351, 0.0844642, 0.000598358],
            "id_number": [0.513528, 0.193958, 0.000530009, 0.291984],
            "phone": [0.552, 0.069054, 0.191099, 0.187846],
            "birth_date": [0.933996, 0.0464342, 0.0195446, 2.54155e-05],
            "sex": [0.999949, 2.54162e-05, 2.54162e-05],
            "place": [0.642463, 0.127659, 0.180166, 0.0496861, 2.54149e-05],
        },
        "u": {
            "name": [0.0235974, 0.0170694, 0.0189585, 0.034629, 0.905746],
            "id_number": [3.88072e-06, 3.88072e-06, 0.847872, 0.15212],
            "phone": [0.895921, 0.0331545, 0.0634196, 0.0075045],
            "birth_date": [0.0353465, 0.00383794, 0.96015, 0.000665561],
            "sex": [0.51354, 0.486456, 3.98541e-06],
            "place": [0.885683, 0.00526469, 0.0735662, 0.00229957, 0.0331863],
        },
    }
)


@dataclass(frozen=True)
class Linked:
    """Every candidate pair (positions in the records given), its levels and probability, and the model."""

    pairs: IntArray
    levels: IntArray
    probabilities: FloatArray
    model: Model


def link(records: Sequence[Prepared], *, u_samples: int = 200_000, seed: int = 0, model: Model | None = None) -> Linked:
    """Block, compare, estimate (unless a model is given) and score."""
    pairs = candidate_pairs(records)
    levels = levels_of(records, pairs)
    if model is None:
        model = estimate(levels, u_from_random(records, min(u_samples, max(len(records) ** 2 // 4, 1)), seed))
    return Linked(pairs, levels, model.probabilities(levels), model)
