"""The pages' words in Chinese (default) and English. Enum labels come from the enums themselves."""

from __future__ import annotations

from collections.abc import Callable

MESSAGES: dict[str, tuple[str, str]] = {
    "app_name": ("应收尽收 AdmitAll", "AdmitAll"),
    "tagline": ("四类人员应收尽收、不漏一人", "Admit everyone who must be admitted; leave nobody behind"),
    "nav_units": ("辖区", "Jurisdiction"),
    "nav_people": ("人员", "People"),
    "nav_register": ("登记", "Register"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "language": ("English", "中文"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "role": ("角色", "Role"),
    "unit": ("单位", "Unit"),
    "units": ("下级单位", "Units below"),
    "code": ("编码", "Code"),
    "level": ("级别", "Level"),
    "total": ("合计", "Total"),
    "four_categories": ("四类人员", "Four categories"),
    "outcomes": ("已离开四类", "Left the four categories"),
    "people_in_unit": ("查看本辖区人员", "People in this unit"),
    "search": ("查询", "Search"),
    "search_placeholder": ("姓名、身份证号或手机号", "Name, ID number or phone"),
    "all": ("全部", "All"),
    "category": ("类别", "Category"),
    "status": ("状态", "Status"),
    "severity": ("病情", "Severity"),
    "risks": ("风险因素", "Risk flags"),
    "placement": ("收治状态", "Placement"),
    "name": ("姓名", "Name"),
    "document": ("证件号", "Document"),
    "phone": ("手机号", "Phone"),
    "sex": ("性别", "Sex"),
    "birth_date": ("出生日期", "Birth date"),
    "address": ("住址", "Address"),
    "identified_at": ("发现时间", "Identified"),
    "waiting_since": ("等待起始", "Waiting since"),
    "waiting_hours": ("已等待(小时)", "Waiting (h)"),
    "facility": ("收治机构", "Facility"),
    "history": ("变更记录", "History"),
    "event": ("事件", "Event"),
    "occurred_at": ("发生时间", "Happened"),
    "recorded_at": ("记录时间", "Recorded"),
    "actor": ("操作人", "By"),
    "source": ("来源", "Source"),
    "reason": ("原因", "Reason"),
    "details": ("内容", "Details"),
    "found": ("共 {n} 人", "{n} people"),
    "no_people": ("没有符合条件的人员", "Nobody matches"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "reclassify": ("变更类别", "Reclassify"),
    "change_severity": ("变更病情", "Change severity"),
    "new_status": ("新状态", "New status"),
    "save": ("保存", "Save"),
    "register_title": ("登记四类人员", "Register a person"),
    "register_hint": (
        "同一人（证件号相同，或无证件时姓名与手机号相同）将合并到已登记记录，类别只升不降。",
        "The same person (same document, or without one the same name and phone) is merged into the "
        "existing record; a category is raised, never lowered.",
    ),
    "id_number": ("证件号码", "ID number"),
    "unit_code": ("社区编码", "Unit code"),
    "risk": ("风险因素（高龄、基础疾病、孕产妇）", "Risk flags (elderly, comorbidity, pregnancy)"),
    "source_ref": ("来源编号", "Source reference"),
    "registered": ("已登记新人员", "Registered a new person"),
    "merged": ("已合并到已登记人员", "Merged into the registered person"),
    "saved": ("已保存", "Saved"),
    "masked_note": ("个人信息已按您的角色脱敏显示", "Personal data is masked for your role"),
    "error": ("出错了", "Something went wrong"),
    "back": ("返回", "Back"),
    "oldest_wait": ("最长等待", "Oldest wait"),
    "waiting": ("待收治", "Waiting"),
    "hours": ("小时", "h"),
    "unassessed": ("待评估", "not assessed"),
    "json": ("JSON", "JSON"),
    "analyst_note": ("分析员角色只能查看统计数字", "The analyst role sees counts only"),
}


def translator(lang: str) -> Callable[..., str]:
    index = 1 if lang == "en" else 0

    def t(key: str, **values: object) -> str:
        pair = MESSAGES.get(key)
        text = pair[index] if pair else key
        return text.format(**values) if values else text

    return t
