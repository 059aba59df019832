"""The demo city's officials (包保): a lead for the city and every district, street and community, a few city
officials sunk to districts, a few handovers in the past days, the demo users linked to the officials they are,
residents spread over streets and communities, and HQ's first directives."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from admitall.domain.access import Role
from admitall.domain.names import given_name, surname
from admitall.domain.officials import LeadAssignment, Official
from admitall.domain.units import UnitLevel, level_of
from admitall.services.context import Actor, Context
from admitall.services.directives import issue

TITLES = {
    UnitLevel.CITY: "市防控指挥部副指挥长",
    UnitLevel.DISTRICT: "区委副书记",
    UnitLevel.STREET: "街道党工委书记",
    UnitLevel.COMMUNITY: "社区党委书记",
}
# the demo users who sign in as the lead of these units
USERS_AS_LEADS = {
    "420100000000": "commander",
    "420102000000": "jiangan",
    "420102002000": "dazhi",
    "420102002003": "community",
}
SUNK_DISTRICTS = ("420104000000", "420111000000")  # 硚口区, 洪山区: led by city officials sunk to them
HQ = Actor("commander", Role.COMMANDER, "420100000000", display_name="市指挥部")


def _name(rng: random.Random) -> str:
    return surname(rng) + given_name(rng, male=rng.random() < 0.6)


def _populations(codes: list[str], district_population: dict[str, int], rng: random.Random) -> dict[str, int]:
    """Approximate residents per street and community: each district's people shared out with some spread."""
    result: dict[str, int] = {}
    for level in (UnitLevel.STREET, UnitLevel.COMMUNITY):
        children: dict[str, list[str]] = {}
        for code in codes:
            if level_of(code) is level:
                parent = code[:6] + "000000" if level is UnitLevel.STREET else code[:9] + "000"
                children.setdefault(parent, []).append(code)
        for parent, kids in children.items():
            total = district_population.get(parent) if level is UnitLevel.STREET else result.get(parent)
            if not total:
                continue
            weights = [rng.uniform(0.6, 1.4) for _ in kids]
            for kid, w in zip(kids, weights, strict=True):
                result[kid] = int(total * w / sum(weights))
    return result


def load_demo_officials(
    ctx: Context,
    actor: Actor,
    rng: random.Random,
    *,
    since: datetime,
    district_population: dict[str, int],
) -> dict[str, Any]:
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        codes = [u.code for u in uow.units.in_subtree("420100000000")]
        uow.units.set_populations(_populations(codes, district_population, rng))
        leads: list[LeadAssignment] = []
        officials = 0
        for code in codes:
            level = level_of(code)
            home = "420100000000" if code in SUNK_DISTRICTS else code
            title = "市直机关下沉干部" if code in SUNK_DISTRICTS else TITLES[level]
            official = Official(None, _name(rng), title, home, None, USERS_AS_LEADS.get(code))
            official_id = uow.officials.add(official, since)
            officials += 1
            leads.append(LeadAssignment(code, official_id, since))
        handed = rng.sample([lead for lead in leads if level_of(lead.unit_code) is UnitLevel.STREET], 3)
        handover_at = since + (now - since) / 2
        for old in handed:
            successor = Official(None, _name(rng), TITLES[UnitLevel.STREET], old.unit_code)
            new_id = uow.officials.add(successor, handover_at)
            officials += 1
            leads.remove(old)
            leads.append(LeadAssignment(old.unit_code, old.official_id, since, handover_at))
            leads.append(LeadAssignment(old.unit_code, new_id, handover_at))
        uow.officials.start_many(sorted(leads, key=lambda a: (a.unit_code, a.starts_at)), actor.username)
        uow.commit()
    first = issue(
        ctx,
        HQ,
        title="24小时内危重症患者全部收治入院",
        body="各区对辖区内危重症患者逐一核实，确保24小时内全部收治到定点医院ICU或重症床位。",
        due_at=(now + timedelta(hours=24)).isoformat(),
        broadcast_level="district",
        target={"kind": "none_waiting", "priority_class": "critical"},
    )
    second = issue(
        ctx,
        HQ,
        title="完成辖区发热人员拉网式排查",
        body="各区组织街道、社区对辖区内发热人员开展拉网式排查，并报告排查户数。",
        due_at=(now + timedelta(hours=12)).isoformat(),
        broadcast_level="district",
    )
    return {"officials": officials, "handovers": len(handed), "directives": [first["id"], second["id"]]}
