"""Page words of the desks area (issue 14), merged into web.i18n.MESSAGES by web.words."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # the facility desk
    "desks_beds_action": ("修改", "Change"),
    "desks_action": ("操作", "Action"),
    "desks_choose_outcome": ("选择结果…", "Choose the outcome…"),
    "desks_outcome_next": ("办理", "Proceed"),
    "desks_outcome_saved": ("已登记结局，床位已释放", "Outcome recorded; the bed is free"),
    "desks_beds_saved": ("床位数已更新", "Bed counts updated"),
    "desks_confirm_title": ("请确认", "Please confirm"),
    "desks_confirm_question": (
        "确认为 {name} 办理“{outcome}”？（{facility}）",
        "Record “{outcome}” for {name}? ({facility})",
    ),
    "desks_confirm_final": (
        "确认后此人离开本院，床位随即释放；登记后不能撤销。",
        "Once confirmed the person leaves this facility and the bed is freed; this cannot be undone.",
    ),
    "desks_confirm_yes": ("确认{outcome}", "Confirm: {outcome}"),
    "desks_confirm_no": ("取消，返回", "Cancel and go back"),
    # the error page
    "desks_error_403": ("没有权限", "Not allowed"),
    "desks_error_404": ("找不到", "Not found"),
    "desks_error_home": ("首页", "Home"),
    # directives
    "desks_by_registry": ("系统", "the registry"),
    "desks_registry_verified": ("系统核实：{target}", "The registry shows: {target}"),
    # the report form, titled by the unit's own schedule
    "desks_report_daily": ("每日报告", "Daily report"),
    "desks_report_hourly": ("每小时报告", "Hourly report"),
    "desks_report_hours": ("每{n}小时报告", "Report every {n} hours"),
    "desks_report_minutes": ("每{n}分钟报告", "Report every {n} minutes"),
    "desks_report_minutes_one": ("每{n}分钟报告", "Report every minute"),
    # the person page: nothing chosen for the user, a death asked once more
    "desks_choose_status": ("选择新的类别…", "Choose the new status…"),
    "desks_choose_severity": ("选择病情…", "Choose the severity…"),
    "desks_confirm_death": ("确认将 {name} 登记为“死亡”？", "Record {name} as dead?"),
    "desks_confirm_death_final": (
        "登记后此人离开四类人员，床位随即释放；登记后不能撤销。",
        "The person then leaves the four categories and any bed is freed; this cannot be undone.",
    ),
}
