"""Roles, what each may do, and who sees personal data unmasked.

A user acts within the subtree of their home unit; this module says *what* they may do there.
"""

from __future__ import annotations

from enum import Enum

from admitall.domain.errors import Forbidden
from admitall.domain.labels import LabeledEnum


class Role(LabeledEnum):
    ADMIN = ("admin", "系统管理员", "administrator", "grey")
    COMMANDER = ("commander", "指挥长", "commander", "red")
    UNIT_OFFICER = ("unit_officer", "单位值班员", "unit officer", "blue")
    DISPATCHER = ("dispatcher", "调度员", "dispatcher", "orange")
    FACILITY_OFFICER = ("facility_officer", "收治点登记员", "facility officer", "green")
    ANALYST = ("analyst", "分析员", "analyst", "purple")


class Permission(str, Enum):
    VIEW_COUNTS = "view_counts"
    VIEW_PERSONS = "view_persons"
    SEE_PERSONAL_DATA = "see_personal_data"
    REGISTER_PERSONS = "register_persons"
    IMPORT_PERSONS = "import_persons"
    RECLASSIFY = "reclassify"
    CHANGE_SEVERITY = "change_severity"
    CORRECT_DETAILS = "correct_details"
    MANAGE_UNITS = "manage_units"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    MANAGE_FACILITIES = "manage_facilities"
    ALLOCATE = "allocate"
    TRANSPORT = "transport"
    ADMISSIONS = "admissions"
    SUBMIT_REPORTS = "submit_reports"
    HANDLE_ALERTS = "handle_alerts"
    MANAGE_SCHEDULES = "manage_schedules"
    MANAGE_OFFICIALS = "manage_officials"
    ISSUE_DIRECTIVES = "issue_directives"
    RESPOND_DIRECTIVES = "respond_directives"
    LINK_PERSONS = "link_persons"
    MANAGE_SUPPLIES = "manage_supplies"
    APPROVE_SUPPLIES = "approve_supplies"
    MANAGE_CADRES = "manage_cadres"
    RECORD_STAFF_SAFETY = "record_staff_safety"
    MANAGE_STAFF = "manage_staff"
    MANAGE_TEAMS = "manage_teams"


_P = Permission

# the names the system itself acts under (its own checks, the console, a resident's request, the digital twin's
# imports and supplies): the pages show them as words, and no person's account may take one
SYSTEM_ACTORS = ("system", "cli", "public", "sim", "twin")
GRANTS: dict[Role, frozenset[Permission]] = {
    # administrators run the system; they do not need to read anyone's ID number or phone
    Role.ADMIN: frozenset(
        {
            _P.VIEW_COUNTS,
            _P.VIEW_PERSONS,
            _P.REGISTER_PERSONS,
            _P.IMPORT_PERSONS,
            _P.CORRECT_DETAILS,
            _P.MANAGE_UNITS,
            _P.MANAGE_USERS,
            _P.VIEW_AUDIT,
            _P.MANAGE_FACILITIES,
            _P.MANAGE_SCHEDULES,
            _P.MANAGE_OFFICIALS,
            _P.MANAGE_CADRES,
            _P.MANAGE_STAFF,
            _P.MANAGE_TEAMS,
        }
    ),
    # commanders need the picture and the people in it, not their ID numbers; they sink officials to units
    # and give orders
    Role.COMMANDER: frozenset(
        {
            _P.VIEW_COUNTS,
            _P.VIEW_PERSONS,
            _P.VIEW_AUDIT,
            _P.HANDLE_ALERTS,
            _P.MANAGE_OFFICIALS,
            _P.ISSUE_DIRECTIVES,
            _P.MANAGE_CADRES,
            _P.MANAGE_SUPPLIES,
            _P.APPROVE_SUPPLIES,
            _P.MANAGE_TEAMS,
        }
    ),
    # the field: find, register, call, reclassify
    Role.UNIT_OFFICER: frozenset(
        {
            _P.VIEW_COUNTS,
            _P.VIEW_PERSONS,
            _P.SEE_PERSONAL_DATA,
            _P.REGISTER_PERSONS,
            _P.IMPORT_PERSONS,
            _P.RECLASSIFY,
            _P.CHANGE_SEVERITY,
            _P.CORRECT_DETAILS,
            _P.SUBMIT_REPORTS,
            _P.HANDLE_ALERTS,
            _P.ISSUE_DIRECTIVES,
            _P.RESPOND_DIRECTIVES,
            _P.LINK_PERSONS,
            _P.MANAGE_SUPPLIES,
            _P.APPROVE_SUPPLIES,
            _P.MANAGE_CADRES,
            _P.RECORD_STAFF_SAFETY,
            _P.MANAGE_STAFF,
        }
    ),
    # dispatchers plan and confirm admissions, call people and organise transport
    Role.DISPATCHER: frozenset({_P.VIEW_COUNTS, _P.VIEW_PERSONS, _P.SEE_PERSONAL_DATA, _P.ALLOCATE, _P.TRANSPORT}),
    # admissions desks identify who arrives, admit or refuse, record diagnosis and severity, keep bed status true
    Role.FACILITY_OFFICER: frozenset(
        {
            _P.VIEW_COUNTS,
            _P.VIEW_PERSONS,
            _P.SEE_PERSONAL_DATA,
            _P.RECLASSIFY,
            _P.CHANGE_SEVERITY,
            _P.TRANSPORT,
            _P.ADMISSIONS,
            _P.MANAGE_SUPPLIES,
            _P.RECORD_STAFF_SAFETY,
            _P.MANAGE_STAFF,
        }
    ),
    # analysts read aggregates, never a person
    Role.ANALYST: frozenset({_P.VIEW_COUNTS}),
}


# roles whose view of people is their facility's desk, not their jurisdiction: an admissions desk sees the people
# its facility has had (assigned to it, on the way, in it, discharged or moved on from it) and nobody else
DESK_ONLY: frozenset[Role] = frozenset({Role.FACILITY_OFFICER})


def sees_people_at_desk_only(role: Role) -> bool:
    return role in DESK_ONLY


def can(role: Role, permission: Permission) -> bool:
    return permission in GRANTS[role]


# what each permission lets a person do, as the sentence of a refusal says it
ACTIONS: dict[Permission, tuple[str, str]] = {
    _P.VIEW_COUNTS: ("查看统计数字", "see the figures"),
    _P.VIEW_PERSONS: ("查看人员", "see people"),
    _P.SEE_PERSONAL_DATA: ("查看完整的证件号和电话", "see full ID numbers and phones"),
    _P.REGISTER_PERSONS: ("登记人员", "register people"),
    _P.IMPORT_PERSONS: ("导入人员名单", "import lists of people"),
    _P.RECLASSIFY: ("变更人员类别", "reclassify people"),
    _P.CHANGE_SEVERITY: ("变更病情", "change a patient's severity"),
    _P.CORRECT_DETAILS: ("更正人员信息", "correct a person's details"),
    _P.MANAGE_UNITS: ("管理辖区单位", "manage units"),
    _P.MANAGE_USERS: ("管理用户账号", "manage user accounts"),
    _P.VIEW_AUDIT: ("查看操作记录", "read the audit log"),
    _P.MANAGE_FACILITIES: ("管理收治机构和床位", "manage facilities and their beds"),
    _P.ALLOCATE: ("调度床位", "plan and confirm admissions"),
    _P.TRANSPORT: ("登记转运", "record transport"),
    _P.ADMISSIONS: ("办理收治、拒收和出院", "admit, refuse or discharge patients"),
    _P.SUBMIT_REPORTS: ("提交报告", "submit reports"),
    _P.HANDLE_ALERTS: ("处理警报", "handle alerts"),
    _P.MANAGE_SCHEDULES: ("修改报送周期", "change reporting schedules"),
    _P.MANAGE_OFFICIALS: ("管理干部和包保", "manage officials and the units they lead"),
    _P.ISSUE_DIRECTIVES: ("下达指令", "issue directives"),
    _P.RESPOND_DIRECTIVES: ("签收和办理指令", "acknowledge and complete directives"),
    _P.LINK_PERSONS: ("合并或拆分同一人的记录", "merge or unmerge records of one person"),
    _P.MANAGE_SUPPLIES: ("登记物资出入库和申请物资", "record stock movements and ask for supplies"),
    _P.APPROVE_SUPPLIES: ("审批和调配物资", "approve and allocate supplies"),
    _P.MANAGE_CADRES: ("派驻或撤回下沉干部", "assign or end cadres sent down to communities"),
    _P.RECORD_STAFF_SAFETY: ("登记工作人员的暴露和感染", "record exposures and infections of staff"),
    _P.MANAGE_STAFF: ("管理医护人员名册", "manage staff rosters"),
    _P.MANAGE_TEAMS: ("登记和撤离医疗队", "register medical teams and their departures"),
}


class RoleForbidden(Forbidden):
    """A role without the permission: said as a person would say it; the permission stays in the JSON only."""

    def __init__(self, role: Role, permission: Permission) -> None:
        zh, en = ACTIONS[permission]
        super().__init__(
            "forbidden.role",
            f"您的账号（{role.zh}）不能{zh}。如需此权限，请联系上级指挥部或系统管理员。",
            f"Your account ({role.en}) cannot {en}. If you need to, ask the command above you or an administrator.",
        )
        self.permission = permission

    def as_dict(self, lang: str = "zh") -> dict[str, str | None]:
        return {**super().as_dict(lang), "permission": self.permission.value}


def require(role: Role, permission: Permission) -> None:
    if not can(role, permission):
        raise RoleForbidden(role, permission)
