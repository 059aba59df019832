"""The demo city: Wuhan's real districts, streets and communities, facilities, officials and users, and the last
days of an outbreak in it, played up to now.

Districts and streets come from the packaged `divisions.csv`, and the 3,495 communities and villages with their
real codes from `data/wuhan-2020/communities.csv` (National Bureau of Statistics codes; sources in
`src/admitall/data/wuhan-2020/README.md`), read by the same reader as the digital twin's. Officials and users
are generated from a seed, and so are the cadres sent down to every community (services/demo_cadres.py); the
facilities' own staff and their supplies are the twin's (the `demo` scenario's [staffing] and [supplies]). The
people are the digital twin's, named by `domain/names.py`: the `demo` scenario is
played hour by hour through the real services (registration, allocation, the desks, hourly reports, the watch)
from midnight `days` days ago up to the last whole hour, so the boards, alerts and scorecards have a live city to
show. `load_demo` says what it is doing step by step (`DemoProgress`): the command line shows it.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from admitall.clock import ManualClock
from admitall.domain.errors import Conflict
from admitall.domain.people import Status
from admitall.domain.units import level_of
from admitall.services.auth import add_user
from admitall.services.boundaries import import_wuhan_districts
from admitall.services.context import Actor, Context
from admitall.services.demo_cadres import cadre_rows, send_down
from admitall.services.demo_facilities import facility_rows, import_demo_facilities
from admitall.services.demo_officials import load_demo_officials
from admitall.services.divisions import read_divisions
from admitall.services.simulations import record_run
from admitall.services.units import UNIT_HEADERS, import_units
from admitall.sim.city import existing_city, existing_facilities
from admitall.sim.reference import communities_by_street
from admitall.sim.run import play
from admitall.sim.scenario import load_scenario, shifted

DEMO_PASSWORD = "wuhan-demo-2020"
CITY = "420100000000"

# shares of the four categories among people found, and severities among the confirmed (China CDC, Feb 2020:
# 81% mild/moderate, 14% severe, 5% critical)
CATEGORY_MIX = ((Status.CONTACT, 0.42), (Status.CONFIRMED, 0.30), (Status.SUSPECTED, 0.14), (Status.FEVER, 0.14))
SEVERITY_MIX = (("mild", 0.40), ("moderate", 0.41), ("severe", 0.14), ("critical", 0.05))


COMMUNITY = "420102002003"  # 保成社区 of 大智街道: the `community` user's unit


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
    DemoUser("community", "unit_officer", COMMUNITY, "社区网格员 陈静"),
    DemoUser("dispatcher", "dispatcher", CITY, "市调度中心 刘洋"),
    DemoUser("facility", "facility_officer", CITY, "金银潭医院收治处 赵敏", "DH-JYT"),
    DemoUser("analyst", "analyst", CITY, "数据分析员 孙涛"),
)

# what load_demo does, in order: the command line numbers them "[3/7]"
STEPS = ("units", "facilities", "officials", "cadres", "users", "outbreak", "record")


class DemoProgress(Protocol):
    """Told what the demo is doing: a step as it starts, with its counts, and each tick of the outbreak played."""

    def step(self, key: str, counts: dict[str, int]) -> None: ...

    def played(self, done: int, total: int) -> None: ...


def demo_unit_rows(rng: random.Random) -> list[dict[str, str | None]]:
    """The demo city's units as an import's rows: the city, its districts and streets (each street placed near
    its district's centre) and every real community under its street."""
    divisions = read_divisions()
    centre = {
        d["code"][:6]: (float(d["approx_lat"]), float(d["approx_lon"])) for d in divisions if d["level"] == "district"
    }
    rows: list[dict[str, str | None]] = []
    for d in divisions:
        row: dict[str, str | None] = {k: d.get(src) for src, k in UNIT_HEADERS.items() if src in d}
        if d["level"] == "street":
            lat, lon = centre[d["code"][:6]]
            row["lat"], row["lon"] = f"{lat + rng.uniform(-0.04, 0.04):.4f}", f"{lon + rng.uniform(-0.04, 0.04):.4f}"
        rows.append(row)
    streets = {d["code"] for d in divisions if d["level"] == "street"}
    for street, members in sorted(communities_by_street().items()):
        if street in streets:
            rows.extend({"code": code, "name": name, "parent_code": street} for code, name in members)
    return rows


def load_demo(
    ctx: Context, actor: Actor, *, seed: int = 2020, days: int = 2, progress: DemoProgress | None = None
) -> dict[str, Any]:
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
    unit_rows = demo_unit_rows(rng)
    levels = Counter(level_of(str(r["code"])).value for r in unit_rows)
    _tell(progress, "units", {level: levels[level] for level in ("district", "street", "community")})
    units_summary = import_units(setup, actor, enumerate(unit_rows, start=2))
    import_wuhan_districts(setup, actor)  # the districts' boundaries: the command screen's map
    facility_table = facility_rows(rng, divisions, setup.clock.now())
    _tell(progress, "facilities", {"facilities": len(facility_table)})
    facilities = import_demo_facilities(setup, actor, facility_table)
    _tell(progress, "officials", {"units": units_summary.accepted})
    responsibility = load_demo_officials(
        ctx,
        actor,
        rng,
        since=setup.clock.now(),
        district_population={d["code"]: int(float(d["approx_population_10k"]) * 10_000) for d in districts},
    )
    cadres = cadre_rows(setup, rng, seed, CITY, first.date())
    _tell(progress, "cadres", {"cadres": len(cadres), "communities": len({r["community_code"] for r in cadres})})
    sent_down = send_down(setup, actor, cadres)
    _tell(progress, "users", {"users": len(DEMO_USERS)})
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
    _tell(progress, "outbreak", {"hours": hours, "days": days})
    scenario = shifted(replace(load_scenario("demo"), seed=seed), first.date(), days + 1)
    played = Context(ctx.engine, ManualClock(first), ctx.settings, ctx.policy, ctx.scoring)
    # the twin's staff and supplies serve the demo's own facilities (the scenario names none)
    scenario = replace(scenario, facilities=existing_facilities(played))
    city = existing_city(played, first)
    results = play(played, scenario, city, hours=hours, progress=progress.played if progress else None)
    _tell(progress, "record", {"people": results.summary["identified"]})
    run_id = record_run(ctx, actor, results)
    return {
        "loaded": True,
        "seed": seed,
        "units": units_summary.as_dict(),
        "facilities": facilities,
        "officials": responsibility,
        "cadres": sent_down,
        "simulated": {"from": first.isoformat(), "hours": hours, "run_id": run_id, **results.summary},
        "users": [u.username for u in DEMO_USERS],
        "password": DEMO_PASSWORD,
    }


def _tell(progress: DemoProgress | None, key: str, counts: dict[str, int]) -> None:
    if progress is not None:
        progress.step(key, counts)
