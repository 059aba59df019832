"""The demo city: Wuhan's real districts and streets, generated communities, facilities, officials and users,
and the last days of an outbreak in it, played up to now.

Districts and streets come from the packaged `divisions.csv` (National Bureau of Statistics codes; see
`../shared/data/wuhan-2020/README.md`). Communities (8–20 per street, codes street prefix + 3-digit serial) and
users are generated from a seed. The people are the digital twin's: the `demo` scenario is played hour by hour
through the real services (registration, allocation, the desks, hourly reports, the watch) from midnight `days`
days ago up to the last whole hour, so the boards, alerts and scorecards have a live city to show.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from admitall.clock import ManualClock
from admitall.domain.errors import Conflict
from admitall.domain.people import Status
from admitall.domain.units import Unit
from admitall.services.auth import add_user
from admitall.services.context import Actor, Context
from admitall.services.demo_facilities import load_demo_facilities
from admitall.services.demo_officials import load_demo_officials
from admitall.services.divisions import read_divisions
from admitall.services.simulations import record_run
from admitall.services.units import UNIT_HEADERS, import_units
from admitall.sim.city import existing_city
from admitall.sim.run import play
from admitall.sim.scenario import load_scenario, shifted

DEMO_PASSWORD = "wuhan-demo-2020"
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


def _community_units(rng: random.Random, streets: list[dict[str, str]]) -> list[Unit]:
    result: list[Unit] = []
    for street in streets:
        words = rng.sample(COMMUNITY_WORDS, rng.randint(8, 20))
        for serial, word in enumerate(words, start=1):
            result.append(Unit(street["code"][:9] + f"{serial:03d}", f"{word}社区"))
    return result


def load_demo(ctx: Context, actor: Actor, *, seed: int = 2020, days: int = 2) -> dict[str, Any]:
    """Build the demo city and bring it to life: the last `days` days of an outbreak, played hour by hour up to
    now through the real services by the simulator (scenario `demo`). Refuses nothing: an already loaded demo
    is reported and left as it is."""
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
    now = ctx.clock.now()
    today = now.astimezone(ctx.settings.tz).date()
    first = datetime.combine(today - timedelta(days=days), time(0), tzinfo=ctx.settings.tz)
    hours = int((now - first).total_seconds() // 3600)
    # the city, its facilities and officials are in place a day before the outbreak's days begin
    setup = Context(ctx.engine, ManualClock(first - timedelta(days=1)), ctx.settings, ctx.policy, ctx.scoring)
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
    units_summary = import_units(setup, actor, enumerate(unit_rows, start=2))
    facilities = load_demo_facilities(setup, actor, rng, divisions)
    responsibility = load_demo_officials(
        ctx,
        actor,
        rng,
        since=setup.clock.now(),
        surnames=SURNAMES,
        given=GIVEN,
        district_population={d["code"]: int(float(d["approx_population_10k"]) * 10_000) for d in districts},
    )
    for user in DEMO_USERS:
        add_user(
            setup,
            actor,
            username=user.username,
            password=DEMO_PASSWORD,
            role=user.role,
            unit_code=user.unit_code,
            display_name=user.display_name,
            facility_code=user.facility_code,
        )
    scenario = shifted(replace(load_scenario("demo"), seed=seed), first.date(), days + 1)
    played = Context(ctx.engine, ManualClock(first), ctx.settings, ctx.policy, ctx.scoring)
    results = play(played, scenario, existing_city(played, first), hours=hours)
    run_id = record_run(ctx, actor, results)
    return {
        "loaded": True,
        "seed": seed,
        "units": units_summary.as_dict(),
        "facilities": facilities,
        "officials": responsibility,
        "simulated": {"from": first.isoformat(), "hours": hours, "run_id": run_id, **results.summary},
        "users": [u.username for u in DEMO_USERS],
        "password": DEMO_PASSWORD,
    }
