"""Page words of the province's size (issue 15 §5): a list counted up to a cap, merged into web.i18n.MESSAGES by
web.words."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "province_shown_more": ("第 {first}–{last} 条，超过 {total} 条", "{first}–{last} of more than {total}"),
    "province_found_more": ("超过 {n} 人", "Found: more than {n}"),
}
