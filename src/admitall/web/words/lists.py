"""Page words of the lists area (issue 14), merged into web.i18n.MESSAGES by web.words."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "lists_pages": ("分页", "Pages"),
    "lists_shown": ("第 {first}–{last} 条，共 {total} 条", "{first}–{last} of {total}"),
    "lists_beyond": ("此页之后已没有记录（共 {total} 条）", "No rows this far (of {total})"),
    "lists_none": ("共 {total} 条", "{total} in all"),
    "lists_people_order": (
        "等待最久的排在最前，同等等待时间病情重者在前",
        "Longest waits first; the graver case first among equal waits",
    ),
    "lists_last_page": ("最后一页", "Last page"),
}
