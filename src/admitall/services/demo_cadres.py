"""The demo's cadres sent down (下沉干部, issue 18 §3), so that its coverage page and community desks show a city at
work: about 45,000 cadres were sent down to Wuhan's communities for some 4.2 million households (the figures the
issue gives), about 10.7 per 1,000 households. Each demo community gets its households (the unit's population over
the policy's persons per household, as the coverage page counts them) times that rate, drawn between 0.85 and 1.25
times it, so that about one community in five falls under the policy's minimum and shows as a gap. Names and phones
come from domain/names.py with a seed of their own (never a patient's number); departments are the city's and
districts' own kinds of office; every cadre is stored through `add_cadres`, as an imported list is.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from admitall.domain.names import mobile_phone, person_name
from admitall.domain.units import UnitLevel
from admitall.services.cadres import add_cadres
from admitall.services.context import Actor, Context

PER_1000_HOUSEHOLDS = 45_000 / 4_210_000 * 1000
SPREAD = (0.85, 1.25)
CADRE_SEED = 4_500  # added to the demo's seed: the cadres' names and numbers are drawn apart from the people's
DEPARTMENTS = (
    "市发展和改革委员会", "市教育局", "市财政局", "市人力资源和社会保障局", "市自然资源和规划局",
    "市生态环境局", "市住房保障和房屋管理局", "市交通运输局", "市水务局", "市商务局", "市文化和旅游局",
    "市市场监督管理局", "市统计局", "市城市管理执法委员会", "市园林和林业局", "区委组织部", "区政府办公室",
    "区教育局", "区民政局", "区城管执法局",
)  # fmt: skip
ROLES = ("值守卡点", "入户排查", "物资配送", "信息登记", "就医协调", "代购代办")


def cadre_rows(ctx: Context, rng: random.Random, seed: int, city: str, starts_on: date) -> list[dict[str, Any]]:
    """The demo's assignments, community by community (in code order, so the same seed gives the same list)."""
    with ctx.uow() as uow:
        communities = [u for u in uow.units.in_subtree(city) if u.level is UnitLevel.COMMUNITY]
    per_household = PER_1000_HOUSEHOLDS / 1000 / ctx.policy.cadres.persons_per_household
    rows: list[dict[str, Any]] = []
    for unit in sorted(communities, key=lambda u: u.code):
        count = max(1, round((unit.population or 0) * per_household * rng.uniform(*SPREAD)))
        for _ in range(count):
            number = len(rows) + 1
            rows.append(
                {
                    "name": person_name(seed + CADRE_SEED, number, male=rng.random() < 0.55),
                    "department": rng.choice(DEPARTMENTS),
                    "phone": mobile_phone(seed + CADRE_SEED, number),
                    "community_code": unit.code,
                    "role": rng.choice(ROLES),
                    "starts_on": (starts_on - timedelta(days=rng.randint(0, 6))).isoformat(),
                }
            )
    return rows


def send_down(ctx: Context, actor: Actor, rows: list[dict[str, Any]]) -> int:
    """Store the assignments in one transaction (the import's own rules); how many were added."""
    result = add_cadres(ctx, actor, enumerate(rows, start=2), source="import")
    if result["rejected"]:
        raise RuntimeError(f"the demo's cadres were refused: {result['rejected'][:3]}")
    return int(result["added"])
