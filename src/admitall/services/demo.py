"""The demo city: Wuhan's real districts and streets, generated communities, people and users.

Districts and streets come from the packaged `divisions.csv` (National Bureau of Statistics codes; see
`../shared/data/wuhan-2020/README.md`). Communities (8–20 per street, codes street prefix + 3-digit serial),
people and users are generated from a seed, so the same seed gives the same city. People are registered
through the same batch registration as a file import, then some are reclassified through the same service
as an officer's reclassification.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from admitall.domain.access import Role
from admitall.domain.errors import Conflict
from admitall.domain.identity import check_character
from admitall.domain.people import Status
from admitall.domain.units import Unit
from admitall.services.admission import allocate, desk_step
from admitall.services.auth import add_user
from admitall.services.context import Actor, Context
from admitall.services.demo_facilities import load_demo_facilities
from admitall.services.demo_officials import load_demo_officials
from admitall.services.people import reclassify_person
from admitall.services.registration import register_batch
from admitall.services.units import UNIT_HEADERS, import_units

DEMO_PASSWORD = "demo-2020"
CITY = "420100000000"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文辉鹏飞俊波斌宇浩凯子涵雨欣梓萱一诺晨阳"
COMMUNITY_WORDS = (
    "幸福",
    "和平",
    "建设",
    "长春",
    "新华",
    "解放",
    "花园",
    "滨江",
    "东湖",
    "翠园",
    "南湖",
    "友谊",
    "惠民",
    "百步",
    "丹水",
    "车站",
    "永清",
    "球场",
    "黄浦",
    "三阳",
    "六合",
    "青年",
    "育才",
    "西马",
    "大兴",
    "新村",
    "民主",
    "胜利",
    "红旗",
    "光明",
    "群力",
    "前进",
    "复兴",
    "振兴",
    "桃源",
    "紫阳",
    "首义",
    "积玉",
    "中山",
    "晴川",
    "汉江",
    "长丰",
    "仁寿",
    "德润",
    "安居",
    "康宁",
    "锦绣",
    "怡景",
)

# shares of the four categories among people found, and severities among the confirmed (China CDC, Feb 2020:
# 81% mild/moderate, 14% severe, 5% critical)
CATEGORY_MIX = ((Status.CONTACT, 0.42), (Status.CONFIRMED, 0.30), (Status.SUSPECTED, 0.14), (Status.FEVER, 0.14))
SEVERITY_MIX = (("mild", 0.40), ("moderate", 0.41), ("severe", 0.14), ("critical", 0.05))


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    unit_code: str
    display_name: str
    facility_code: str | None = None


DEMO_USERS = (
    DemoUser("admin", "admin", CITY, "系统管理员"),
    DemoUser("commander", "commander", CITY, "市指挥部 王指挥"),
    DemoUser("jiangan", "unit_officer", "420102000000", "江岸区值班员 李明"),
    DemoUser("dazhi", "unit_officer", "420102002000", "大智街道值班员 张华"),
    DemoUser("community", "unit_officer", "420102002001", "社区网格员 陈静"),
    DemoUser("dispatcher", "dispatcher", CITY, "市调度中心 刘洋"),
    DemoUser("facility", "facility_officer", CITY, "金银潭医院收治处 赵敏", "DH-JYT"),
    DemoUser("analyst", "analyst", CITY, "数据分析员 孙涛"),
)


def read_divisions() -> list[dict[str, str]]:
    with resources.files("admitall").joinpath("data/divisions.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _pick(rng: random.Random, mix: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([m for m, _ in mix], weights=[w for _, w in mix])[0]


def _community_units(rng: random.Random, streets: list[dict[str, str]]) -> list[Unit]:
    result: list[Unit] = []
    for street in streets:
        words = rng.sample(COMMUNITY_WORDS, rng.randint(8, 20))
        for serial, word in enumerate(words, start=1):
            result.append(Unit(street["code"][:9] + f"{serial:03d}", f"{word}社区"))
    return result


def _id_number(rng: random.Random, region: str, born: date, male: bool) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def _person_row(rng: random.Random, community: str, now: datetime, days: int, serial: int) -> dict[str, str]:
    status = _pick(rng, CATEGORY_MIX)
    male = rng.random() < 0.5
    # age: contacts follow the population, patients skew older
    age = min(95, max(1, int(rng.gauss(52 if status is Status.CONFIRMED else 42, 17))))
    born = (now - timedelta(days=age * 365 + rng.randrange(365))).date()
    # recent days weigh more: the outbreak is growing
    hours_ago = days * 24 * (rng.random() ** 1.6)
    identified = now - timedelta(hours=hours_ago)
    row = {
        "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))),
        "category": status.value,
        "unit_code": community,
        "identified_at": identified.isoformat(timespec="minutes"),
        "address": f"{rng.randint(1, 300)}号{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(101, 2801)}室",
        "source_ref": f"demo-{serial:06d}",
    }
    if rng.random() < 0.92:
        row["id_number"] = _id_number(rng, community[:6], born, male)
    else:
        row["sex"] = "男" if male else "女"
        row["birth_date"] = born.isoformat()
    if rng.random() < 0.95:
        row["phone"] = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    if status is Status.CONFIRMED:
        row["severity"] = _pick(rng, SEVERITY_MIX)
    flags = []
    if rng.random() < 0.2:
        flags.append("comorbidity")
    if not male and 20 <= age <= 40 and rng.random() < 0.05:
        flags.append("pregnancy")
    row["risk"] = ";".join(flags)
    return row


def load_demo(ctx: Context, actor: Actor, *, seed: int = 2020, people: int = 4000, days: int = 7) -> dict[str, Any]:
    """Build the demo city. Refuses nothing: an already loaded demo is reported and left as it is."""
    rng = random.Random(seed)
    with ctx.uow() as uow:
        if uow.units.get(CITY) is not None:
            if uow.users.by_username(DEMO_USERS[-1].username) is None:
                raise Conflict(
                    "demo.partial",
                    "数据库中已有部分数据但演示数据不完整：请删除数据库文件后重试",
                    "The database holds part of a city but not a complete demo: remove it and retry",
                )
            return {
                "loaded": False,
                "reason": "already_loaded",
                "units": uow.units.count(),
                "people": uow.persons.count(),
            }
    # the people are found and moved on by a field officer of the city, as they would be for real
    field_officer = Actor(username="demo-field", role=Role.UNIT_OFFICER, unit_code=None, display_name="demo")
    divisions = read_divisions()
    districts = [d for d in divisions if d["level"] == "district"]
    streets = [d for d in divisions if d["level"] == "street"]
    centre = {d["code"][:6]: (float(d["approx_lat"]), float(d["approx_lon"])) for d in districts}
    unit_rows: list[dict[str, str | None]] = []
    for d in divisions:
        row: dict[str, str | None] = {k: d.get(src) for src, k in UNIT_HEADERS.items() if src in d}
        if d["level"] == "street":
            lat, lon = centre[d["code"][:6]]
            row["lat"], row["lon"] = f"{lat + rng.uniform(-0.04, 0.04):.4f}", f"{lon + rng.uniform(-0.04, 0.04):.4f}"
        unit_rows.append(row)
    communities = _community_units(rng, streets)
    unit_rows.extend({"code": c.code, "name": c.name} for c in communities)
    units_summary = import_units(ctx, actor, enumerate(unit_rows, start=2))

    by_district: dict[str, list[str]] = {}
    for c in communities:
        by_district.setdefault(c.code[:6], []).append(c.code)
    weights = [float(d["approx_population_10k"]) for d in districts]
    now = ctx.clock.now()
    rows = []
    for serial in range(people):
        district = rng.choices(districts, weights=weights)[0]["code"][:6]
        rows.append((serial + 2, _person_row(rng, rng.choice(by_district[district]), now, days, serial)))
    people_summary = register_batch(ctx, field_officer, rows, source="demo", filename="demo")

    reclassified = _progress_some(ctx, field_officer, rng, people_summary.person_ids, rows)
    facilities = load_demo_facilities(ctx, actor, rng, divisions)
    admitted = _admit_some(ctx, rng)
    responsibility = load_demo_officials(
        ctx,
        actor,
        rng,
        since=now - timedelta(days=days),
        surnames=SURNAMES,
        given=GIVEN,
        district_population={d["code"]: int(float(d["approx_population_10k"]) * 10_000) for d in districts},
    )
    for user in DEMO_USERS:
        add_user(
            ctx,
            actor,
            username=user.username,
            password=DEMO_PASSWORD,
            role=user.role,
            unit_code=user.unit_code,
            display_name=user.display_name,
            facility_code=user.facility_code,
        )
    return {
        "loaded": True,
        "seed": seed,
        "units": units_summary.as_dict(),
        "people": people_summary.as_dict(),
        "reclassified": reclassified,
        "facilities": facilities,
        "admissions": admitted,
        "officials": responsibility,
        "users": [u.username for u in DEMO_USERS],
        "password": DEMO_PASSWORD,
    }


def _admit_some(ctx: Context, rng: random.Random) -> dict[str, int]:
    """One round of the real workflow: the city's dispatcher confirms the engine's plan, and most of the
    people it assigned arrive and are admitted at their facility's desk; a few are still on the way."""
    dispatcher = Actor(username="demo-dispatch", role=Role.DISPATCHER, unit_code=None, display_name="demo")
    result = allocate(ctx, dispatcher, commit=True)
    admitted = in_transit = 0
    for item in result["assignments"]:
        desk = Actor(
            username="demo-desk",
            role=Role.FACILITY_OFFICER,
            unit_code=None,
            display_name="demo",
            facility_code=item["facility"],
        )
        draw = rng.random()
        if draw < 0.8:
            desk_step(ctx, desk, item["person"], "admit")
            admitted += 1
        elif draw < 0.9:
            desk_step(ctx, desk, item["person"], "depart")
            in_transit += 1
    return {
        "assigned": result.get("confirmed", 0),
        "admitted": admitted,
        "in_transit": in_transit,
        "still_waiting": len(result["unplaced"]),
    }


def _progress_some(
    ctx: Context, actor: Actor, rng: random.Random, person_ids: dict[int, int], rows: list[tuple[int, dict[str, str]]]
) -> int:
    """Move some people on, as the days since they were found would have: suspected confirmed or ruled out,
    febrile patients ruled out, contacts turning febrile."""
    outcomes = {
        Status.SUSPECTED.value: ((Status.CONFIRMED, "核酸检测阳性"), (Status.EXCLUDED, "两次核酸阴性，排除")),
        Status.FEVER.value: ((Status.EXCLUDED, "发热原因明确，排除新冠"), (Status.SUSPECTED, "CT 提示病毒性肺炎")),
        Status.CONTACT.value: ((Status.FEVER, "观察期间出现发热"),),
    }
    now = ctx.clock.now()
    moved = 0
    for row_number, row in rows:
        choices = outcomes.get(row["category"])
        identified = datetime.fromisoformat(row["identified_at"])
        if not choices or rng.random() > 0.12 or now - identified < timedelta(hours=12):
            continue
        to, reason = rng.choice(choices)
        at = identified + (now - identified) * rng.uniform(0.3, 0.9)
        reclassify_person(
            ctx,
            actor,
            person_ids[row_number],
            to.value,
            reason=reason,
            occurred_at=at.isoformat(timespec="minutes"),
            source="demo",
            severity="moderate" if to is Status.CONFIRMED else None,
        )
        moved += 1
    return moved
