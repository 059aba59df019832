"""Enums with a value, a Chinese and an English label and a colour (the netbox pattern)."""

from __future__ import annotations

from enum import Enum
from typing import Any, Self


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
        key = text.strip().lower()
        for member in cls:
            if key in (member.value, member.zh.lower(), member.en.lower()):
                return member
        return None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "zh": self.zh, "en": self.en, "colour": self.colour}
