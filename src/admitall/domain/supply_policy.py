"""The supplies file (data/supplies.toml): the item catalogue, the rates per bed-day, the shortage threshold. An
invalid file is refused with a message that names the key that is wrong, as the file writes it. domain.supplies
holds the arithmetic and re-exports what is here."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import BedType

CONSUMABLE = "consumable"
EQUIPMENT = "equipment"


@dataclass(frozen=True)
class Item:
    code: str
    zh: str
    en: str
    unit_zh: str
    unit_en: str
    kind: str
    # consumable: used per occupied bed-day; equipment: held per occupied bed
    per_bed_day: Mapping[BedType, float]
    critical_for: frozenset[BedType] = frozenset()

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def unit(self, lang: str) -> str:
        return self.unit_zh if lang == "zh" else self.unit_en


@dataclass(frozen=True)
class SupplyPolicy:
    items: Mapping[str, Item]
    shortage_days: float = 3.0
    use_window_days: int = 7

    def item(self, code: str) -> Item:
        found = self.items.get(code)
        if found is None:
            raise InvalidInput(
                "supplies.unknown_item", f"没有物资“{code}”", f"there is no item '{code}'", field="item_code"
            )
        return found


def _bad(problem: str, en: str) -> InvalidInput:
    return InvalidInput("supplies.invalid", f"物资设置文件无效：{problem}", f"The supplies file is invalid: {en}")


@lru_cache(maxsize=1)
def default_supply_policy() -> SupplyPolicy:
    """The packaged catalogue and rates (data/supplies.toml)."""
    return parse_supply_policy(resources.files("admitall").joinpath("data/supplies.toml").read_text(encoding="utf-8"))


def parse_supply_policy(text: str) -> SupplyPolicy:
    """Read and check a supplies file: each item named in both languages, a kind, rates by known bed types."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _bad(f"TOML 语法错误：{e}", f"TOML syntax error: {e}") from None
    unknown = set(data) - {"items", "shortage_days", "use_window_days"}
    if unknown:
        raise _bad(f"未知的设置 {sorted(unknown)}", f"unknown settings {sorted(unknown)}")
    raw = data.get("items")
    if not isinstance(raw, dict) or not raw:
        raise _bad("缺少 [items]", "[items] is required")
    items = {code: _item(code, entry) for code, entry in raw.items()}
    days, window = data.get("shortage_days", 3), data.get("use_window_days", 7)
    if not isinstance(days, int | float) or isinstance(days, bool) or not 0 < days <= 365:
        raise _bad("shortage_days 必须是 0 到 365 天", "shortage_days must be above 0 and at most 365")
    if not isinstance(window, int) or isinstance(window, bool) or not 0 < window <= 90:
        raise _bad("use_window_days 必须是 1 到 90 天", "use_window_days must be 1 to 90 days")
    return SupplyPolicy(items, float(days), window)


def _item(code: str, entry: Any) -> Item:
    if not isinstance(entry, dict) or len(code) > 24 or not code.replace("_", "").isalnum():
        raise _bad(f"物资 {code} 无效", f"item {code} is invalid")
    zh, en, unit_zh, unit_en = (entry.get(k) for k in ("zh", "en", "unit_zh", "unit_en"))
    if not all(isinstance(n, str) and n for n in (zh, en, unit_zh, unit_en)):
        raise _bad(f"物资 {code} 缺少中英文名称或单位", f"item {code} needs zh, en, unit_zh and unit_en")
    kind = entry.get("kind")
    if kind not in (CONSUMABLE, EQUIPMENT):
        raise _bad(
            f"物资 {code} 的 kind 只能是 consumable 或 equipment", f"item {code}: kind is consumable or equipment"
        )
    rates: dict[BedType, float] = {}
    for bed, rate in (entry.get("per_bed_day") or {}).items():
        if bed not in BedType._value2member_map_ or not isinstance(rate, int | float) or not 0 <= rate < 1000:
            raise _bad(f"物资 {code} 的 per_bed_day.{bed} 无效", f"item {code}: per_bed_day.{bed} is invalid")
        rates[BedType(bed)] = float(rate)
    critical = entry.get("critical_for") or []
    if not isinstance(critical, list) or any(b not in BedType._value2member_map_ for b in critical):
        raise _bad(f"物资 {code} 的 critical_for 无效", f"item {code}: critical_for lists unknown bed types")
    if kind == EQUIPMENT and any(rates.get(BedType(b), 0) <= 0 for b in critical):
        raise _bad(f"设备 {code} 对其必需的床型须有 per_bed_day", f"equipment {code} needs per_bed_day for its beds")
    return Item(
        code, str(zh), str(en), str(unit_zh), str(unit_en), kind, rates, frozenset(BedType(b) for b in critical)
    )
