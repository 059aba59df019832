"""The colour classes of a map and their legend, from the values actually shown.

Values are read at the precision the legend prints (2 decimals below 1, 1 below 10, whole numbers above), so a
region's colour and its class's label never disagree. A value of 0 has a class of its own (nobody waiting is not
"a little"); the others are cut at their quantiles, each cut rounded to two significant digits, so the legend
reads "0", "0.1–2.0", "2.1–5.0", "> 5.0": real breaks, every class holding at least one region. The highest class
always takes the darkest colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# a sequential scale, light to dark (ColorBrewer PuRd), readable with black or white text (treemap.ink_for)
SCALE = ("#f1eef6", "#d4b9da", "#c994c7", "#df65b0", "#dd1c77", "#980043")
NO_VALUE = "#e5e7eb"


@dataclass(frozen=True)
class Classes:
    """Upper bounds of the positive classes but the last (ascending), whether 0 has its own class, the precision,
    and the unit the labels carry (e.g. "/万人", "%")."""

    bounds: tuple[float, ...]
    zero: bool
    decimals: int
    unit: str
    top: float | None  # the highest value, the end of the only class when there is no cut
    any_value: bool

    @property
    def positive_classes(self) -> int:
        return len(self.bounds) + 1 if self.any_value and (self.top or 0) > 0 else 0

    def read(self, value: float) -> float:
        return round(value, self.decimals)

    def index(self, value: float | None) -> int | None:
        """The class of `value`: -1 for zero, 0.. for the positive classes, None for no value."""
        if value is None:
            return None
        v = self.read(value)
        if v <= 0 and self.zero:
            return -1
        for i, bound in enumerate(self.bounds):
            if v <= bound:
                return i
        return len(self.bounds)

    def colour(self, value: float | None) -> str:
        i = self.index(value)
        if i is None:
            return NO_VALUE
        if i < 0:
            return SCALE[0]
        return SCALE[len(SCALE) - self.positive_classes + i]

    def format(self, value: float) -> str:
        return "0" if value == 0 else f"{value:,.{self.decimals}f}"

    def items(self, no_value: str) -> list[tuple[str, str]]:
        """(colour, label) of every class in use, lowest first, then the colour of no value."""
        out: list[tuple[str, str]] = []
        if self.zero:
            out.append((SCALE[0], f"0{self.unit}"))
        step = 10.0**-self.decimals
        lows = [step, *(b + step for b in self.bounds)]
        for i in range(self.positive_classes):
            colour = SCALE[len(SCALE) - self.positive_classes + i]
            if i < len(self.bounds):
                low, high = self.format(lows[i]), self.format(self.bounds[i])
                label = high if low == high else f"{low}–{high}"
            elif self.bounds:
                label = f"> {self.format(self.bounds[-1])}"
            else:
                top = self.top or step
                label = self.format(top) if self.read(top) <= step else f"{self.format(step)}–{self.format(top)}"
            out.append((colour, f"{label}{self.unit}"))
        out.append((NO_VALUE, no_value))
        return out


def _decimals(top: float) -> int:
    return 2 if top < 1 else 1 if top < 10 else 0


def _two_significant(value: float, decimals: int) -> float:
    """`value` rounded up to two significant digits (and to `decimals`): a round bound that keeps it below."""
    if value <= 0:
        return 0.0
    digits = 1 - math.floor(math.log10(value))
    return round(math.ceil(value * 10**digits - 1e-9) / 10**digits, decimals)


def classes_for(values: Sequence[float | None], unit: str = "", *, most: int = len(SCALE)) -> Classes:
    """The classes of `values` (None: nothing to measure): 0 apart, the positive values cut at their quantiles
    into at most `most` classes in all."""
    present = [v for v in values if v is not None]
    if not present:
        return Classes((), False, 0, unit, None, False)
    top = max(present)
    decimals = _decimals(top)
    read = sorted(round(v, decimals) for v in present)
    zero = any(v <= 0 for v in read)
    positive = [v for v in read if v > 0]
    k = min(most - (1 if zero else 0), len(set(positive)))
    bounds: list[float] = []
    for i in range(1, k):
        cut = _two_significant(positive[(i * len(positive)) // k - 1], decimals)
        if cut > 0 and cut < positive[-1] and (not bounds or cut > bounds[-1]):
            bounds.append(cut)
    # a rounded cut may leave a class empty: keep only the bounds that close a class holding a value
    kept: list[float] = []
    for bound in bounds:
        if any((not kept or v > kept[-1]) and v <= bound for v in positive):
            kept.append(bound)
    bounds = kept
    return Classes(tuple(bounds), zero, decimals, unit, top if positive else None, True)
