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


_P = Permission
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
        }
    ),
    # commanders need the picture and the people in it, not their ID numbers; they sink officials to units
    # and give orders
    Role.COMMANDER: frozenset(
        {_P.VIEW_COUNTS, _P.VIEW_PERSONS, _P.VIEW_AUDIT, _P.HANDLE_ALERTS, _P.MANAGE_OFFICIALS, _P.ISSUE_DIRECTIVES}
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


def require(role: Role, permission: Permission) -> None:
    if not can(role, permission):
        raise Forbidden(
            "forbidden.role",
            f"“{role.zh}”角色无权执行此操作（{permission.value}）",
            f"The {role.en} role may not do this ({permission.value})",
        )
