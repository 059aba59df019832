"""Record linkage (同一人识别): whether two records from different lists are the same person, Fellegi–Sunter style.

Each pair of records is compared field by field; each comparison lands on a *level* (exact, a homophone, one digit
wrong, different, missing …). A level has an m probability (how often two records of the same person land on it)
and a u probability (how often two different people do); its match weight is log2(m/u). The pair's weight is the
sum of its fields' weights plus the prior's, and its match probability is 2^w / (1 + 2^w). A missing value weighs
nothing (m = u). The m probabilities are counted on the blocked pairs that are surely one person by other fields,
the u probabilities on those surely two people, the prior by expectation–maximisation (`linkage_model.estimate`)
— no labelled data is needed.

The comparisons here are pure: a record is plain values (`LinkRecord`), prepared once (`prepare`: the name's pinyin,
the birth date and sex read from the ID number as evidence of their own, the phone's last eight digits).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# the fields compared, in the order of a pair's levels; each with its levels' keys (the last: no evidence)
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("exact", "same_pinyin", "close_pinyin", "one_character", "different"),
    "id_number": ("exact", "one_digit", "different", "missing"),
    "phone": ("exact", "last_8", "different", "missing"),
    "birth_date": ("exact", "one_part", "different", "missing"),
    "sex": ("agree", "different", "missing"),
    "place": ("same_address", "similar_address", "same_community", "same_street", "elsewhere"),
}
FIELD_NAMES = tuple(FIELDS)
# levels that carry no evidence either way: their weight is 0 whatever the data say
MISSING = {"id_number": 3, "phone": 3, "birth_date": 3, "sex": 2}
# the first level of each field that is a disagreement: the levels before it agree (more or less)
DISAGREE = {"name": 4, "id_number": 2, "phone": 2, "birth_date": 2, "sex": 1, "place": 3}

_NOT_LETTERS = re.compile(r"[^a-z]")
_SPACES = re.compile(r"[\s\u00b7.,\-]+")


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """One person's record as the linkage sees it. `document` is a resident ID number (or None)."""

    id: int
    name: str
    unit_code: str
    document: str | None = None
    phone: str | None = None
    sex: str | None = None  # "male" / "female"
    birth_date: date | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A record with what the comparisons need computed once."""

    id: int
    name: str
    pinyin: str
    unit_code: str
    document: str | None
    phone8: str | None
    phone: str | None
    sex: str | None
    birth: str | None  # YYYYMMDD: the birth date given, else the one in the ID number
    address: str | None


@lru_cache(maxsize=65536)
def _char_pinyin(ch: str) -> str:
    return lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")[0] if "\u3400" <= ch <= "\u9fff" else ch


def name_pinyin(name: str) -> str:
    """The name as toneless pinyin letters without spaces: '王伟' → 'wangwei', 'Wang Wei' → 'wangwei' (a name
    typed in Latin letters, or transliterated, meets its characters here). Polyphonic characters take their
    commonest reading, the same for every record, so homophones agree."""
    text = "".join(_char_pinyin(ch) for ch in name.lower())
    return _NOT_LETTERS.sub("", text)


def _id_birth_sex(number: str | None) -> tuple[str | None, str | None]:
    if number is None or len(number) != 18 or not number[:17].isdigit():
        return None, None
    born = number[6:14]
    return (born if born[:2] in ("19", "20") else None), ("male" if int(number[16]) % 2 else "female")


def prepare(r: LinkRecord) -> Prepared:
    id_birth, id_sex = _id_birth_sex(r.document)
    digits = "".join(ch for ch in r.phone or "" if ch.isdigit())
    address = _SPACES.sub("", r.address) if r.address else None
    return Prepared(
        id=r.id,
        name=r.name.replace(" ", ""),
        pinyin=name_pinyin(r.name),
        unit_code=r.unit_code,
        document=r.document.upper() if r.document else None,
        phone8=digits[-8:] if len(digits) >= 8 else None,
        phone=digits or None,
        sex=r.sex or id_sex,
        birth=r.birth_date.strftime("%Y%m%d") if r.birth_date else id_birth,
        address=address or None,
    )


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance counting an adjacent transposition as one edit, stopping at `limit`."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) >= limit:
        return limit
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) >= limit:
            return limit
        prev2, prev = prev, cur
    return min(prev[-1], limit)


def _name_level(a: Prepared, b: Prepared) -> int:
    if a.name == b.name:
        return 0
    if a.pinyin and a.pinyin == b.pinyin:
        return 1  # homophone characters, or the same name typed in pinyin
    if a.pinyin and b.pinyin and edit_distance(a.pinyin, b.pinyin, 3) <= (1 if len(a.pinyin) < 6 else 2):
        return 2  # a typing slip in pinyin input (zh/z, ing/in), or a close transliteration
    if len(a.name) == len(b.name) and sum(x != y for x, y in zip(a.name, b.name, strict=True)) == 1:
        return 3  # one character different (a wrong character picked)
    return 4


def one_digit_apart(a: str, b: str) -> bool:
    """The same length and one character wrong, or two neighbours swapped."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _id_level(a: Prepared, b: Prepared) -> int:
    if a.document is None or b.document is None:
        return 3
    if a.document == b.document:
        return 0
    return 1 if one_digit_apart(a.document, b.document) else 2


def _phone_level(a: Prepared, b: Prepared) -> int:
    if a.phone is None or b.phone is None:
        return 3
    if a.phone == b.phone:
        return 0
    return 1 if a.phone8 is not None and a.phone8 == b.phone8 else 2


def _birth_level(a: Prepared, b: Prepared) -> int:
    if a.birth is None or b.birth is None:
        return 3
    if a.birth == b.birth:
        return 0
    x, y = a.birth, b.birth
    parts_differ = (x[:4] != y[:4]) + (x[4:6] != y[4:6]) + (x[6:] != y[6:])
    swapped = x[:4] == y[:4] and x[4:6] == y[6:] and x[6:] == y[4:6]  # month and day exchanged
    return 1 if parts_differ == 1 or swapped or one_digit_apart(x, y) else 2


def _sex_level(a: Prepared, b: Prepared) -> int:
    if a.sex is None or b.sex is None:
        return 2
    return 0 if a.sex == b.sex else 1


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def _place_level(a: Prepared, b: Prepared) -> int:
    if a.unit_code == b.unit_code:
        if a.address is not None and b.address is not None:
            if a.address == b.address:
                return 0
            x, y = _bigrams(a.address), _bigrams(b.address)
            if len(x & y) / len(x | y) >= 0.6:
                return 1
        return 2
    return 3 if a.unit_code[:9] == b.unit_code[:9] else 4


def compare(a: Prepared, b: Prepared) -> tuple[int, ...]:
    """The level of each field (in FIELD_NAMES order) for the pair."""
    return (
        _name_level(a, b),
        _id_level(a, b),
        _phone_level(a, b),
        _birth_level(a, b),
        _sex_level(a, b),
        _place_level(a, b),
    )


@dataclass(frozen=True)
class Evidence:
    """One field's comparison: its level and its match weight (log2 m/u; positive for, negative against)."""

    field: str
    level: str
    weight: float


def evidence(levels: Sequence[int], weights: Sequence[Sequence[float]]) -> list[Evidence]:
    return [
        Evidence(name, FIELDS[name][lv], round(weights[k][lv], 2))
        for k, (name, lv) in enumerate(zip(FIELD_NAMES, levels, strict=True))
    ]
