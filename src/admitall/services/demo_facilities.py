"""The demo city's facilities: Wuhan's best-known designated and shelter hospitals by their real names, and
generated isolation points, quarantine hotels, fever clinics and recovery stations in every district.

Bed numbers are scaled down to the demo's few thousand people so that some beds run short, as they did; the
locations are district centres with a little jitter, good only for distances in the demo.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from admitall.services.context import Actor, Context
from admitall.services.facilities import import_facilities

# (code, name, type, district, {bed type: capacity}, opens in hours from now or None)
NAMED = (
    ("DH-JYT", "武汉市金银潭医院", "designated_hospital", "420112", {"icu": 10, "severe": 40, "general": 60}, None),
    ("DH-FK", "武汉市肺科医院", "designated_hospital", "420102", {"icu": 2, "severe": 10, "general": 30}, None),
    ("DH-HSS", "火神山医院", "designated_hospital", "420114", {"icu": 10, "severe": 30, "general": 60}, None),
    ("DH-LSS", "雷神山医院", "designated_hospital", "420115", {"icu": 8, "severe": 30, "general": 80}, 48),
    (
        "DH-XHXY",
        "华中科技大学协和医院西院",
        "designated_hospital",
        "420114",
        {"icu": 4, "severe": 15, "general": 40},
        None,
    ),
    ("DH-TJZF", "同济医院中法新城院区", "designated_hospital", "420114", {"icu": 6, "severe": 20, "general": 50}, None),
    ("DH-RMDY", "武汉大学人民医院东院", "designated_hospital", "420115", {"icu": 4, "severe": 15, "general": 40}, None),
    ("DH-HK", "武汉市汉口医院", "designated_hospital", "420102", {"icu": 2, "severe": 10, "general": 40}, None),
    ("SH-JH", "江汉方舱医院（武汉国际会展中心）", "shelter_hospital", "420103", {"shelter": 300}, None),
    ("SH-WC", "武昌方舱医院（洪山体育馆）", "shelter_hospital", "420106", {"shelter": 200}, None),
    ("SH-KT", "武汉客厅方舱医院", "shelter_hospital", "420112", {"shelter": 150}, 20),
)

GENERATED = (
    # (code prefix, name pattern, type, bed type, per district, capacity range)
    ("IP", "{d}隔离点{n}号（酒店）", "isolation_point", "single_room", 2, (12, 24)),
    ("QS", "{d}集中隔离点{n}号", "quarantine_site", "quarantine_room", 2, (40, 70)),
    ("FC", "{d}发热门诊{n}号", "fever_clinic", "observation", 1, (15, 25)),
)
RECOVERY = (
    ("RS-1", "江岸区康复驿站", "420102"),
    ("RS-2", "武昌区康复驿站", "420106"),
    ("RS-3", "洪山区康复驿站", "420111"),
    ("RS-4", "硚口区康复驿站", "420104"),
)


def facility_rows(rng: random.Random, divisions: list[dict[str, str]], now: datetime) -> list[dict[str, str | None]]:
    districts = {d["code"][:6]: d for d in divisions if d["level"] == "district"}
    first_street = {}
    for d in divisions:
        if d["level"] == "street":
            first_street.setdefault(d["code"][:6], d["code"])

    def place(district: str) -> dict[str, str]:
        d = districts[district]
        return {
            "unit_code": first_street[district],
            "lat": f"{float(d['approx_lat']) + rng.uniform(-0.03, 0.03):.4f}",
            "lon": f"{float(d['approx_lon']) + rng.uniform(-0.03, 0.03):.4f}",
        }

    rows: list[dict[str, str | None]] = []
    for code, name, ftype, district, beds, opens_in in NAMED:
        opens = (now + timedelta(hours=opens_in)).isoformat(timespec="minutes") if opens_in else None
        rows.append(
            {
                "code": code,
                "name": name,
                "type": ftype,
                "opens_at": opens,
                **place(district),
                **{bed: str(n) for bed, n in beds.items()},
            }
        )
    for prefix, pattern, ftype, bed, per_district, (low, high) in GENERATED:
        for district, d in districts.items():
            for n in range(1, per_district + 1):
                rows.append(
                    {
                        "code": f"{prefix}-{district}-{n}",
                        "name": pattern.format(d=d["name"], n=n),
                        "type": ftype,
                        **place(district),
                        bed: str(rng.randint(low, high)),
                    }
                )
    for code, name, district in RECOVERY:
        rows.append({"code": code, "name": name, "type": "recovery_station", **place(district), "recovery_room": "30"})
    return rows


def load_demo_facilities(ctx: Context, actor: Actor, rng: random.Random, divisions: list[dict[str, str]]) -> int:
    return import_demo_facilities(ctx, actor, facility_rows(rng, divisions, ctx.clock.now()))


def import_demo_facilities(ctx: Context, actor: Actor, rows: list[dict[str, str | None]]) -> int:
    """The facilities of `facility_rows` imported; how many there are."""
    summary = import_facilities(ctx, actor, enumerate(rows, start=2))
    assert summary.rejected == 0, summary.rejections
    return summary.accepted
