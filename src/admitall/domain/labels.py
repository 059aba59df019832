"""Enums with a value, a Chinese and an English label and a colour (the netbox pattern)."""

from __future__ import annotations

from enum import Enum
from typing import Any, Self

_LOOKUPS: dict[type, dict[str, Any]] = {}


class LabeledEnum(str, Enum):
    """A string enum whose members are declared as ``NAME = (value, zh, en, colour)``."""

    zh: str
    en: str
    colour: str

    def __new__(cls, value: str, zh: str = "", en: str = "", colour: str = "grey") -> LabeledEnum:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.zh = zh
        obj.en = en
        obj.colour = colour
        return obj

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    @classmethod
    def parse(cls, text: str) -> Self | None:
        """Find a member by its value, its Chinese or its English label (case-insensitive); None if none."""
        lookup = _LOOKUPS.get(cls)
        if lookup is None:
            lookup = {}
            for member in reversed(cls):  # the first member wins when two share a label
                lookup.update({member.zh.lower(): member, member.en.lower(): member, member.value: member})
            _LOOKUPS[cls] = lookup
        return lookup.get(text.strip().lower())

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "zh": self.zh, "en": self.en, "colour": self.colour}
