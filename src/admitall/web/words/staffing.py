"""Page words of staffed beds and medical teams (issue 18 §2)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "staffing_nav": ("医护力量", "Staffing"),
    "staffing_title": ("医护力量与可用床位", "Staff and usable beds"),
    "staffing_hint": (
        "可用床位 = 在用床位、当班医护能覆盖的床位、关键物资能支撑的床位三者中的最小值；"
        "当班人数 = 当日在岗人数 ÷ {shifts} 班。"
        "没有任何名册和医疗队记录的机构不受医护人数限制。",
        "Usable beds = the least of beds in service, beds the staff on shift can cover, and beds critical supplies "
        "last for; on shift = the day's headcount ÷ {shifts} shifts. A facility with no roster and no team at all "
        "is not limited by staff.",
    ),
    "staffing_totals": ("按床位类型：在用 / 有人员 / 可用", "By bed type: in service / staffed / usable"),
    "staffing_physical": ("在用床位", "In service"),
    "staffing_staffed": ("有医护覆盖", "Staffed"),
    "staffing_usable": ("可用", "Usable"),
    "staffing_usable_free": ("可用空床", "Usable free"),
    "staffing_by_facility": ("各机构", "By facility"),
    "staffing_facility": ("机构", "Facility"),
    "staffing_beds_ppu": ("床位：在用 / 有人员 / 可用", "Beds: in service / staffed / usable"),
    "staffing_on_shift": ("当班人员", "On shift"),
    "staffing_no_data": ("无名册（不受限）", "No roster (not limited)"),
    "staffing_short_role": ("缺{role}", "short of {role}"),
    "staffing_short_item": ("缺{item}", "short of {item}"),
    "staffing_limit": ("限制因素", "Limited by"),
    "staffing_site_title": ("医护名册", "Staff roster"),
    "staffing_roster": ("在岗人员", "On the roster"),
    "staffing_result": (
        "共 {rows} 行：新增 {added}，已在名册 {already}，拒绝 {rejected}",
        "{rows} rows: {added} added, {already} already on the roster, {rejected} rejected",
    ),
    "staffing_row": ("第 {n} 行", "Row {n}"),
    "staffing_name": ("姓名", "Name"),
    "staffing_role": ("岗位", "Role"),
    "staffing_team": ("所属医疗队", "Team"),
    "staffing_phone": ("电话", "Phone"),
    "staffing_id_number": ("证件号", "ID number"),
    "staffing_from": ("到岗日期", "First day"),
    "staffing_add": ("加入名册", "Add to the roster"),
    "staffing_import": ("导入名册（CSV/XLSX）", "Import a roster (CSV/XLSX)"),
    "staffing_end": ("离岗", "End stay"),
    "staffing_teams_title": ("医疗队抵达与撤离", "Medical teams arriving and leaving"),
    "staffing_here_today": ("今日在岗 {n} 人", "{n} people here today"),
    "staffing_team_name": ("医疗队", "Team"),
    "staffing_origin": ("派出地", "From"),
    "staffing_facility_code": ("接管机构编码", "Facility code"),
    "staffing_arrives": ("抵达日期", "Arrives"),
    "staffing_departs": ("撤离日期", "Leaves"),
    "staffing_headcount": ("各岗位人数", "Headcount by role"),
    "staffing_team_add": ("登记医疗队", "Register the team"),
    "staffing_set_departure": ("登记撤离", "Set departure"),
    "staffing_people": ("人数", "People"),
    "staffing_state": ("状态", "State"),
    "staffing_team_here": ("在岗", "here"),
    "staffing_team_arriving": ("即将抵达", "arriving"),
    "staffing_team_left": ("已撤离", "left"),
    "staffing_tile": ("床位：在用 / 有人员 / 可用", "Beds: in service / staffed / usable"),
    "staffing_tile_limited": ("{n} 个机构受医护或物资限制", "{n} facilities limited by staff or supplies"),
}
