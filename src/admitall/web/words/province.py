"""Page words of the province's size (issue 15 §5): a list counted up to a cap, merged into web.i18n.MESSAGES by
web.words."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "province_shown_more": ("第 {first}–{last} 条，超过 {total} 条", "{first}–{last} of more than {total}"),
    "province_found_more": ("超过 {n} 人", "Found: more than {n}"),
    "province_search_one_character": (
        "查找范围超过 200,000 人时，按姓名查找请至少输入两个字，或先选择区县及以下单位。",
        "Over more than 200,000 people, a name search needs at least two characters, or a district or smaller unit "
        "chosen first.",
    ),
}
