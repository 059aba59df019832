"""Page words of the alerts area (issue 14), merged into web.i18n.MESSAGES by web.words."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "alerts_counts": ("未处理 {open} 条 · 断链 {broken} 条", "{open} open · {broken} broken links"),
    "alerts_flash_done": ("已确认 {n} 条警报。", "{n} alert(s) acknowledged."),
    "alerts_flash_refused": (
        "{n} 条未能确认（已处理，或不由本单位负责）：#{ids}",
        "{n} could not be acknowledged (already answered, or not this unit's to answer): #{ids}",
    ),
    "alerts_state": ("状态", "State"),
    "alerts_state_open": ("未处理", "Open"),
    "alerts_state_expired": ("已过期（留档）", "Expired (on record)"),
    "alerts_state_all": ("全部", "All"),
    "alerts_kind_any": ("全部类型", "Every kind"),
    "alerts_unit": ("单位编码", "Unit code"),
    "alerts_unit_hint": ("例如 420102002000", "e.g. 420102002000"),
    "alerts_filter": ("筛选", "Filter"),
    "alerts_ack_selected": ("确认所选警报", "Acknowledge the selected alerts"),
    "alerts_ack_hint": ("在下表中勾选要确认的警报", "Tick the alerts to acknowledge in the table below"),
    "alerts_select": ("选择", "Select"),
    "alerts_where": ("处理情况", "Where it stands"),
    "alerts_periods_missed": ("连续缺报 {n} 期", "{n} periods missed"),
    "alerts_escalated": ("已上报 {n} 级", "gone up {n} level(s)"),
    "alerts_st_open": ("待上级确认", "Waiting for the unit above"),
    "alerts_st_acknowledged": ("已确认", "Acknowledged"),
    "alerts_st_expired": ("已过期", "Expired"),
    "alerts_by_report": ("报告 #{id}", "report #{id}"),
    "alerts_none_here": ("没有符合条件的警报", "No alerts match"),
    "alerts_desk_more": ("另有 {n} 条，见警报页", "{n} more on the alerts page"),
    "alerts_desk_units": ("{n} 个单位", "{n} units"),
    "problems_status": ("状态", "Status"),
    "problems_status_open": ("未解决", "Open"),
    "problems_status_resolved": ("已解决", "Resolved"),
    "problems_status_noted": ("仅记录", "Noted"),
    "problems_status_all": ("全部", "All"),
    "problems_flash_resolved": ("问题已解决。", "The problem is resolved."),
}
