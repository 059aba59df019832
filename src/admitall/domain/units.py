"""Jurisdictions: the unit tree identified by 12-digit statistical division codes.

A code is PP CC DD SSS NNN: province, city, district (county), street (township), community (village).
The level is the deepest non-zero segment; the parent is the code with that segment zeroed. The subtree of a
unit is every code that shares its significant prefix, which is what "within my jurisdiction" means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from admitall.domain.errors import InvalidInput
from admitall.domain.labels import LabeledEnum

CODE_LENGTH = 12
_CODE_RE = re.compile(r"^\d{12}$")

# (segment end, level) from the deepest segment up.
_SEGMENTS = ((12, 9), (9, 6), (6, 4), (4, 2), (2, 0))


class UnitLevel(LabeledEnum):
    PROVINCE = ("province", "省", "province", "purple")
    CITY = ("city", "市", "city", "indigo")
    DISTRICT = ("district", "区", "district", "blue")
    STREET = ("street", "街道", "street", "teal")
    COMMUNITY = ("community", "社区", "community", "green")

    @property
    def depth(self) -> int:
        return _DEPTH[self]


_DEPTH = {level: depth for depth, level in enumerate(UnitLevel)}
_LEVEL_BY_SEGMENT_END = {
    12: UnitLevel.COMMUNITY,
    9: UnitLevel.STREET,
    6: UnitLevel.DISTRICT,
    4: UnitLevel.CITY,
    2: UnitLevel.PROVINCE,
}
PREFIX_LENGTH = {
    UnitLevel.PROVINCE: 2,
    UnitLevel.CITY: 4,
    UnitLevel.DISTRICT: 6,
    UnitLevel.STREET: 9,
    UnitLevel.COMMUNITY: 12,
}


def normalize_code(raw: str) -> str:
    """Accept a code with surrounding spaces or a trailing '.0' (spreadsheets); refuse anything else not 12 digits."""
    code = raw.strip()
    if code.endswith(".0"):
        code = code[:-2]
    if not _CODE_RE.match(code):
        raise InvalidInput(
            "unit.bad_code",
            f"单位编码必须是12位数字：{raw!r}",
            f"A unit code must be 12 digits: {raw!r}",
            field="code",
        )
    if code[:2] == "00":
        raise InvalidInput(
            "unit.bad_code",
            f"单位编码的省级段不能为00：{code}",
            f"The province segment of a unit code cannot be 00: {code}",
            field="code",
        )
    return code


@lru_cache(maxsize=1 << 16)  # asked for every unit of the tree many times a round (the watch, the scorecards)
def level_of(code: str) -> UnitLevel:
    """The level is the deepest segment that is not all zeros."""
    for end, start in _SEGMENTS:
        if code[start:end].strip("0"):
            # a zero segment above a non-zero one (e.g. 420100 000 001 000) has no place in the tree
            if start > 2 and not code[_SEGMENTS_ABOVE[start] : start].strip("0"):
                raise InvalidInput(
                    "unit.gap_in_code",
                    f"单位编码 {code} 的上级段为零，无法确定上级",
                    f"Unit code {code} has an all-zero segment above a non-zero one; it has no parent",
                    field="code",
                )
            return _LEVEL_BY_SEGMENT_END[end]
    raise InvalidInput("unit.bad_code", f"单位编码全为零：{code}", f"Unit code is all zeros: {code}", field="code")


# the start of the segment directly above the one starting at key
_SEGMENTS_ABOVE = {9: 6, 6: 4, 4: 2}


@lru_cache(maxsize=1 << 16)
def parent_of(code: str) -> str | None:
    """The parent's code, or None for a province."""
    level = level_of(code)
    if level is UnitLevel.PROVINCE:
        return None
    keep = PREFIX_LENGTH[list(UnitLevel)[level.depth - 1]]
    return code[:keep].ljust(CODE_LENGTH, "0")


def prefix_of(code: str) -> str:
    """The significant prefix: every code in the subtree starts with it."""
    return code[: PREFIX_LENGTH[level_of(code)]]


def subtree_bounds(code: str) -> tuple[str, str]:
    """Inclusive bounds (low, high) such that low <= c <= high exactly for the codes c in the subtree.

    Range comparisons use an ordinary index on both SQLite and PostgreSQL, unlike LIKE 'prefix%'.
    """
    prefix = prefix_of(code)
    return prefix.ljust(CODE_LENGTH, "0"), prefix.ljust(CODE_LENGTH, "9")


def in_subtree(code: str, root: str) -> bool:
    return code.startswith(prefix_of(root))


def ancestors_of(code: str) -> list[str]:
    """Codes from the province down to (not including) this unit."""
    chain: list[str] = []
    parent = parent_of(code)
    while parent is not None:
        chain.append(parent)
        parent = parent_of(parent)
    return list(reversed(chain))


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    lat: float | None = None
    lon: float | None = None
    population: int | None = None

    @property
    def level(self) -> UnitLevel:
        return level_of(self.code)

    @property
    def parent_code(self) -> str | None:
        return parent_of(self.code)


def child_prefix_length(code: str | None) -> int:
    """How many leading digits name a child of `code` (of the whole tree's cities when None)."""
    if code is None:
        return PREFIX_LENGTH[UnitLevel.CITY]
    levels = list(UnitLevel)
    return PREFIX_LENGTH[levels[min(level_of(code).depth + 1, len(levels) - 1)]]
