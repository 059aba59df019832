"""The supplies catalogue and its arithmetic (domain.supplies): the packaged file is valid, a bad one is refused
with what is wrong, cover and shortage, the beds a critical supply caps, a decided request's state."""

from __future__ import annotations

import pytest

from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import BedType
from admitall.domain.supplies import (
    APPROVED,
    EQUIPMENT,
    PARTIAL,
    REFUSED,
    bed_cap,
    days_of_cover,
    decision_state,
    default_supply_policy,
    estimated_use,
    is_short,
    parse_supply_policy,
    whole_units,
)

ITEM = """
[items.x]
zh = "甲"
en = "x"
unit_zh = "个"
unit_en = "pieces"
kind = "consumable"
"""


def test_the_packaged_catalogue_names_every_item_in_both_languages():
    policy = default_supply_policy()
    assert {"protective_suit", "n95_mask", "goggles", "test_kit", "oxygen_cylinder", "oxygen_concentrator",
            "ventilator", "ecmo"} <= set(policy.items)  # fmt: skip
    assert policy.items["ventilator"].kind == EQUIPMENT and BedType.ICU in policy.items["ventilator"].critical_for
    assert all(i.zh and i.en and i.unit_zh and i.unit_en for i in policy.items.values())


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("shortage = 3" + ITEM, "shortage"),
        (ITEM.replace('kind = "consumable"', 'kind = "gas"'), "kind"),
        (ITEM + "per_bed_day = { spaceship = 1 }", "spaceship"),
        (ITEM.replace('kind = "consumable"', 'kind = "equipment"\ncritical_for = ["icu"]'), "per_bed_day"),
        ("shortage_days = 0" + ITEM, "shortage_days"),
        ("[items", "TOML"),
    ],
)
def test_a_bad_file_is_refused_saying_what_is_wrong(text, names):
    with pytest.raises(InvalidInput) as refused:
        parse_supply_policy(text)
    assert names in refused.value.as_dict("en")["message"]


def test_a_consumable_may_be_critical_without_a_rate():
    assert parse_supply_policy(ITEM + 'critical_for = ["icu"]\n').items["x"].critical_for == frozenset({BedType.ICU})


def test_cover_shortage_and_caps():
    policy = default_supply_policy()
    suits, vent, oxygen = (policy.items[c] for c in ("protective_suit", "ventilator", "oxygen_cylinder"))
    use = estimated_use(suits, {BedType.ICU: 2, BedType.SEVERE: 1})
    assert use == 2 * 12 + 8 and days_of_cover(64, use) == 2 and days_of_cover(5, 0) is None
    assert is_short(suits, 64, use, 3) and not is_short(suits, 97, use, 3) and not is_short(suits, 0, 0, 3)
    assert is_short(vent, 1, 2, 3) and not is_short(vent, 2, 2, 3)
    assert bed_cap(vent, BedType.ICU, 3) == 3 and bed_cap(vent, BedType.SEVERE, 0) is None
    assert bed_cap(oxygen, BedType.SEVERE, 0) == 0 and bed_cap(oxygen, BedType.SEVERE, 1) is None
    assert bed_cap(oxygen, BedType.GENERAL, 0) is None


def test_a_decided_requests_state():
    assert decision_state([(10, 0), (5, 0)]) == REFUSED
    assert decision_state([(10, 10), (5, 5)]) == APPROVED
    assert decision_state([(10, 10), (5, 0)]) == PARTIAL


def test_a_quantity_takes_whole_units_rounded_up_without_float_dust():
    assert whole_units(0.1 * 3) == 1 and whole_units(0.9) == 1 and whole_units(2.0) == 2 and whole_units(2.01) == 3
    assert whole_units(0) == 0 and whole_units(0.1 * 30) == 3  # 3.0000000000000004 is 3 units, not 4
