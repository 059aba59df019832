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
    "lists_officials_search": ("姓名、职务、单位名称或编码", "Name, title, unit name or code"),
    "lists_officials_choose": (
        "可选本页列出的干部；找不到时先在上方查找",
        "Choose among the officials listed on this page; search above to find another",
    ),
    "lists_last_page": ("最后一页", "Last page"),
}
