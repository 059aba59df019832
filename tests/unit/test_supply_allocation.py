"""The HQ supply allocation (allocation.supplies), pure: critical-care sites first, then the fewest days of cover,
levelled; never more than the stock nor than asked; each line's reason; the first-come baseline beside it."""

from __future__ import annotations

import random

from admitall.allocation.supplies import Ask, Need, allocate, greedy_first_come


def by_site(grants):
    got: dict[str, int] = {}
    for g in grants:
        got[g.site] = got.get(g.site, 0) + g.granted
    return got


def test_critical_care_sites_come_first_even_with_more_cover():
    asks = [Ask(1, 1, "shelter", "n95", 500), Ask(2, 2, "icu", "n95", 500)]
    needs = {("shelter", "n95"): Need(0, 100, False), ("icu", "n95"): Need(900, 100, True)}
    got = by_site(allocate({"n95": 600}, asks, needs))
    assert got == {"icu": 500, "shelter": 100}


def test_among_equals_the_fewest_days_of_cover_are_raised_first_and_levelled():
    asks = [Ask(1, 1, "a", "suit", 800), Ask(2, 2, "b", "suit", 800)]
    # a holds 0 days, b holds 4 days, both use 100 a day: 800 brings a up to b and then shares the rest
    needs = {("a", "suit"): Need(0, 100, True), ("b", "suit"): Need(400, 100, True)}
    got = by_site(allocate({"suit": 800}, asks, needs))
    assert got["a"] >= 500 and got["b"] >= 100 and got["a"] + got["b"] == 800
    assert abs(got["a"] - (got["b"] + 400)) <= 100  # cover levelled to within one segment


def test_never_more_than_the_stock_nor_than_asked():
    rng = random.Random(7)
    asks = [Ask(i, i, f"s{i % 40}", rng.choice("xyz"), rng.randint(0, 300)) for i in range(400)]
    needs = {(a.site, a.item): Need(rng.randint(0, 500), rng.randint(0, 80), rng.random() < 0.3) for a in asks}
    stock = {"x": 5000, "y": 0, "z": 10**9}
    grants = allocate(stock, asks, needs)
    assert [g.line_id for g in grants] == [a.line_id for a in asks]
    for g, a in zip(grants, asks, strict=True):
        assert 0 <= g.granted <= a.quantity
    for item, held in stock.items():
        asked = sum(a.quantity for a in asks if a.item == item)
        assert sum(g.granted for g in grants if g.item == item) == min(held, asked)


def test_a_sites_grant_goes_to_its_oldest_line_first():
    asks = [Ask(1, 10, "a", "kit", 30), Ask(2, 11, "a", "kit", 30)]
    grants = allocate({"kit": 40}, asks, {("a", "kit"): Need(0, 10, False)})
    assert [g.granted for g in grants] == [30, 10]


def test_each_line_says_why_in_both_languages():
    asks = [Ask(1, 1, "icu", "o2", 500), Ask(2, 2, "ward", "o2", 100), Ask(3, 3, "vent", "ventilator", 2)]
    needs = {
        ("icu", "o2"): Need(20, 50, True),
        ("ward", "o2"): Need(0, 10, False),
        ("vent", "ventilator"): Need(3, 6, True, equipment=True),
    }
    icu, ward, vent = allocate({"o2": 300, "ventilator": 2}, asks, needs)
    assert icu.granted == 300 and icu.reason_en == (
        "ICU site, 0.4 days of cover: 300 of 500 requested; "
        "the rest went to critical-care sites and sites with less cover"
    )
    assert icu.reason_zh.startswith("重症救治点，可用 0.4 天：批准 300（申请 500）")
    assert ward.granted == 0 and ward.reason_en.startswith("site, 0.0 days of cover: 0 of 100")
    assert vent.granted == 2 and vent.reason_en == "ICU site, equipment for 50% of occupied beds: all 2 requested"
    assert "无库存" in allocate({}, asks[:1], needs)[0].reason_zh


def test_the_first_come_baseline_serves_in_order_and_can_leave_a_critical_site_short():
    asks = [Ask(1, 1, "shelter", "n95", 500), Ask(2, 2, "icu", "n95", 500)]
    needs = {("shelter", "n95"): Need(0, 100, False), ("icu", "n95"): Need(0, 100, True)}
    first_come = by_site(greedy_first_come({"n95": 600}, asks, needs))
    assert first_come == {"shelter": 500, "icu": 100}
    assert by_site(allocate({"n95": 600}, asks, needs)) == {"icu": 500, "shelter": 100}
