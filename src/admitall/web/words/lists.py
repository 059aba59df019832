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
    "lists_audit_title": ("操作审计", "Audit log"),
    "lists_audit_action": ("操作", "Action"),
    "lists_audit_at": ("时间", "When"),
    "lists_audit_target": ("对象", "Target"),
    "lists_audit_console": ("服务器控制台", "server console"),
    "lists_audit_none": ("没有符合条件的记录", "No entries match"),
    "lists_since_day": ("起始日期", "From"),
    "lists_until_day": ("截止日期", "To"),
    "lists_unit_code": ("单位编码", "Unit code"),
    "lists_discrepancies_title": ("上报与系统不符", "Reports that disagree with the registry"),
    "lists_discrepancies_hint": (
        "各单位上报的数字与系统登记不一致之处，最新的在前",
        "Where a unit's reported figures and the registry disagree, newest first",
    ),
    "lists_discrepancies_none": ("此期间没有不符之处", "No discrepancies in this window"),
    "lists_window": ("时间范围", "Window"),
    "lists_hours": ("最近 {n} 小时", "last {n} hours"),
    "lists_figure": ("数字", "Figure"),
    "lists_reported": ("上报", "Reported"),
    "lists_difference": ("差额", "Difference"),
    "lists_desk_more": ("另有 {n} 条未列出，查看全部", "{n} more not listed here: see them all"),
    "lists_directives_show": ("显示", "Show"),
    "lists_receipt_status": ("签收状态", "Receipt status"),
    "lists_status_pending": ("未完成", "not completed"),
    "lists_all_waiting": ("全部待收治人员（等待最久的在前）", "Everyone waiting, longest waits first"),
    "lists_directive_title": ("指令内容", "Directive text"),
    "lists_last_page": ("最后一页", "Last page"),
}
