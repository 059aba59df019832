"""Plain factory functions for tests: a small city, valid ID numbers, person rows, users."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from admitall.domain.access import Role
from admitall.domain.identity import check_character
from admitall.services.auth import add_user
from admitall.services.context import Actor, Context, cli_actor
from admitall.services.officials import add_official, assign_lead
from admitall.services.units import import_units

CITY = "420100000000"
JIANGAN = "420102000000"
DAZHI = "420102002000"
DAZHI_1 = "420102002001"
DAZHI_2 = "420102002002"
YIYUAN = "420102003000"
YIYUAN_1 = "420102003001"
WUCHANG = "420106000000"
WUCHANG_STREET = "420106001000"
WUCHANG_1 = "420106001001"

SMALL_CITY = [
    (CITY, "武汉市"),
    (JIANGAN, "江岸区"),
    (DAZHI, "大智街道"),
    (DAZHI_1, "幸福社区"),
    (DAZHI_2, "和平社区"),
    (YIYUAN, "一元街道"),
    (YIYUAN_1, "建设社区"),
    (WUCHANG, "武昌区"),
    (WUCHANG_STREET, "积玉桥街道"),
    (WUCHANG_1, "长春社区"),
]
PASSWORD = "correct horse battery"


def id_number(born: date = date(1985, 3, 7), region: str = "420102", seq: int = 123) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


# the responsible lead of every unit, and the user who signs in as them (where one exists in the e2e world)
LEADS = {
    CITY: ("王忠", "市指挥部副指挥长", "commander"),
    JIANGAN: ("李江", "区委副书记", "jiangan"),
    DAZHI: ("张智", "街道工委书记", "dazhi"),
    DAZHI_1: ("刘幸", "社区书记", "community"),
    DAZHI_2: ("陈和", "社区书记", None),
    YIYUAN: ("赵元", "街道办主任", "yiyuan"),
    YIYUAN_1: ("孙建", "社区书记", None),
    WUCHANG: ("周昌", "区委副书记", None),
    WUCHANG_STREET: ("吴玉", "街道工委书记", None),
    WUCHANG_1: ("郑春", "社区主任", None),
}
LEADS_SINCE = datetime(2020, 1, 25, 0, 0, tzinfo=UTC)


def load_small_city(ctx: Context, *, leads: bool = True) -> dict[str, int]:
    """The small city; with `leads`, every unit has a responsible lead (an official of that unit) since
    LEADS_SINCE. Returns unit → lead official id."""
    summary = import_units(ctx, cli_actor(), [(i + 2, {"code": c, "name": n}) for i, (c, n) in enumerate(SMALL_CITY)])
    assert summary.accepted == len(SMALL_CITY)
    ids: dict[str, int] = {}
    if leads:
        for code, (name, title, username) in LEADS.items():
            official = add_official(ctx, cli_actor(), name=name, title=title, home_unit=code, username=username)
            ids[code] = official["id"]
            assign_lead(ctx, cli_actor(), code, official["id"], starts_at=LEADS_SINCE)
    return ids


def person_row(**overrides: Any) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "name": "张三",
        "id_number": id_number(),
        "phone": "13812345678",
        "category": "suspected",
        "unit_code": DAZHI_1,
        "identified_at": "2020-02-10 08:00",
    }
    row.update(overrides)
    return row


def officer(unit: str = DAZHI, role: Role = Role.UNIT_OFFICER, username: str = "officer") -> Actor:
    return Actor(username=username, role=role, unit_code=unit)


def make_user(ctx: Context, username: str, role: str, unit: str, facility: str | None = None) -> dict[str, Any]:
    return add_user(
        ctx, cli_actor(), username=username, password=PASSWORD, role=role, unit_code=unit, facility_code=facility
    )


# (code, type, unit, beds)
SMALL_FACILITIES = [
    ("H1", "designated_hospital", WUCHANG_STREET, {"icu": 1, "severe": 2, "general": 2}),
    ("S1", "shelter_hospital", DAZHI, {"shelter": 3}),
    ("I1", "isolation_point", DAZHI, {"single_room": 2}),
    ("Q1", "quarantine_site", YIYUAN, {"quarantine_room": 3}),
    ("F1", "fever_clinic", DAZHI, {"observation": 1}),
    ("R1", "recovery_station", WUCHANG_STREET, {"recovery_room": 2}),
]


def load_small_facilities(ctx: Context) -> None:
    from admitall.services.facilities import import_facilities

    rows = [
        (
            i + 2,
            {
                "code": code,
                "name": f"{code} 机构",
                "type": ftype,
                "unit_code": unit,
                **{bed: str(n) for bed, n in beds.items()},
            },
        )
        for i, (code, ftype, unit, beds) in enumerate(SMALL_FACILITIES)
    ]
    summary = import_facilities(ctx, cli_actor(), rows)
    assert summary.accepted == len(SMALL_FACILITIES), summary.rejections
