"""The door-to-door survey the twin plays (issue 17 §3; 拉网式排查, 17–19 February 2020 in Wuhan), through the real
services: the campaign set by HQ over the whole city (services.survey.create_campaign), each community's listed
households (add_households), and the teams' visits (services.survey_visits.record_visits, the phone app's batch).

`SurveyTwin.on_hour` is the runner's hourly hook while the campaign runs. At its first hour HQ sets the campaign
and the communities list their households (`households_per_community` each: a listed household stands for many
real ones). Each household has its hour among the campaign's working hours (WORK_HOURS, every day); at that hour
the team visits it: nobody home (a share of visits, drawn per household and visit) → a revisit the next day at
the same hour, until the campaign's last day; someone home → the healthy people at home, counted as found with no
category, and the ill of the household: the outbreak's care-seeking cases of that community whose illness began
(their onset) and who have not come forward yet. They are found febrile and registered by the visit; the run tracks
them from then on (`Run.adopt`), and their own later coming forward is skipped. Which household an agent lives in
is fixed by its index; readings and absences are deterministic, drawing nothing from the outbreak's random stream.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from admitall.domain.access import Role
from admitall.domain.names import mobile_phone, person_name
from admitall.services.context import Actor, Context
from admitall.services.survey import add_households, create_campaign
from admitall.services.survey_progress import campaign_progress
from admitall.services.survey_visits import MAX_VISITS, record_visits
from admitall.sim.epidemic import CASE, Agent
from admitall.sim.scenario import SurveyPlan
from admitall.store.tables_survey import survey_households

HQ = Actor(username="sim-hq", role=Role.COMMANDER, unit_code=None, display_name="模拟：指挥部")
WORK_HOURS = tuple(range(8, 18))  # local hours at which the teams visit: 08:00 to 17:00


def draw(salt: str, *keys: object) -> float:
    """A number in [0, 1) fixed by what it is for and its keys."""
    text = ":".join([salt, *map(str, keys)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") / 2**64


def address(n: int) -> str:
    """The listed address of a community's household `n` (0-based): six flats a floor, ten floors a building."""
    return f"{n // 60 + 1}栋{n % 60 // 6 + 1}0{n % 6 + 1}室"


@dataclass
class SurveyTwin:
    """The campaign the twin plays: its households' ids, the visits due by hour, the ill by household."""

    ctx: Context
    field_actor: Actor
    plan: SurveyPlan
    start: datetime  # the run's hour 0 (local midnight, aware)
    seed: int
    campaign_id: int | None = None
    households: dict[tuple[str, int], int] = field(default_factory=dict)  # (community, n) → household id
    due: dict[int, list[tuple[str, int, int]]] = field(default_factory=dict)  # hour → (community, n, visit number)
    ill: dict[tuple[str, int], list[Agent]] = field(default_factory=dict)  # (community, n) → agents living there
    registered: int = 0  # agents the visits registered before they came forward
    refused: Counter[str] = field(default_factory=Counter)  # visits refused or not stored, by status
    cpu_seconds: float = 0.0  # what the hook took (the caller measures; kept here for the outputs)

    @property
    def first_hour(self) -> int:
        return (self.plan.starts - self.start.date()).days * 24

    @property
    def last_day(self) -> date:
        return self.plan.starts + timedelta(days=self.plan.days - 1)

    def on_hour(self, run: Any, now: float) -> dict[int, int]:
        """The runner's hourly hook: set the campaign up at its first hour, then the hour's visits. Returns the
        agents the visits registered (agent index → person id) for the run to track."""
        hour = round(now)
        if hour < self.first_hour or hour >= self.first_hour + 24 * self.plan.days:
            return {}
        if self.campaign_id is None:
            city = next(code for code, level in run.city.units.items() if level == "city")
            self.setup(city, run.city.communities, run.agents.values(), hour)
        visits = self.due.pop(hour, [])
        if not visits:
            return {}
        return self.visit(run.tracked, hour, visits)

    def setup(self, city: str, communities: list[str], agents: Any, hour: int) -> None:
        """HQ's campaign over the city, each community's households listed, each household's first visit hour,
        and the outbreak's cases who may be at home ill during the campaign, by household."""
        plan = self.plan
        made = create_campaign(
            self.ctx, HQ, name=f"全市拉网式排查（{plan.starts.month}月{plan.starts.day}日起{plan.days}天）",
            starts_on=plan.starts, ends_on=self.last_day, units_codes=[city],
            absent_visits_done=plan.absent_visits_done,
        )  # fmt: skip
        self.campaign_id = made["id"]
        n = plan.households_per_community
        for code in communities:
            add_households(self.ctx, self.field_actor, code, ((k + 1, {"address": address(k)}) for k in range(n)))
        ids = {(code, addr): hid for hid, code, addr in self._listed()}
        slots = [self.first_hour + h for h in WORK_HOURS]  # the first day's working hours
        for code in communities:
            for k in range(n):
                self.households[(code, k)] = ids[(code, address(k))]
                first = slots[int(draw("slot", self.seed, code, k) * len(slots))]
                day = int(draw("day", self.seed, code, k) * plan.days)
                self.due.setdefault(first + 24 * day, []).append((code, k, 0))
        end = self.first_hour + 24 * plan.days
        for a in agents:
            if a.kind == CASE and a.identified > hour and a.onset < end:
                self.ill.setdefault((a.community, int(draw("home", self.seed, a.index) * n)), []).append(a)

    def _listed(self) -> list[Any]:
        h = survey_households.c
        with self.ctx.uow() as uow:
            return list(uow.conn.execute(select(h.id, h.community_code, h.address)).all())

    def visit(self, tracked: Any, hour: int, due: list[tuple[str, int, int]]) -> dict[int, int]:
        """The hour's visits as the phones send them (batches of at most MAX_VISITS); the ill found are
        registered by the visits."""
        at = (self.start + timedelta(hours=hour)).astimezone(UTC)
        plan = self.plan
        visits: list[dict[str, Any]] = []
        who: dict[str, list[Agent]] = {}
        for code, k, number in due:
            key = f"sim-{self.campaign_id}-{self.households[(code, k)]}-{number}"
            ill = [a for a in self.ill.get((code, k), ()) if a.onset <= hour and a.index not in tracked]
            if not ill and draw("absent", self.seed, code, k, number) < plan.absent_share:
                visits.append({"key": key, "household_id": self.households[(code, k)], "community": code,
                               "outcome": "absent", "occurred_at": at.isoformat()})  # fmt: skip
                if hour + 24 < self.first_hour + 24 * plan.days:
                    self.due.setdefault(hour + 24, []).append((code, k, number + 1))
                continue
            low, high = plan.people_at_home
            healthy = low + int(draw("home", self.seed, code, k, number) * (high - low + 1))
            people = [{"temperature": round(36.2 + 0.8 * draw("t", self.seed, code, k, i), 1), "category": "none"}
                      for i in range(healthy)]  # fmt: skip
            for a in ill:
                people.append({
                    "name": person_name(self.seed, a.index, male=a.male), "phone": mobile_phone(self.seed, a.index),
                    "temperature": round(37.5 + 1.4 * draw("fever", self.seed, a.index), 1), "category": "fever",
                })  # fmt: skip
            who[key] = ill
            visits.append({"key": key, "household_id": self.households[(code, k)], "community": code,
                           "outcome": "visited", "people": people, "occurred_at": at.isoformat()})  # fmt: skip
        adopted: dict[int, int] = {}
        for part in range(0, len(visits), MAX_VISITS):
            outcome = record_visits(self.ctx, self.field_actor, visits[part : part + MAX_VISITS])
            for r in outcome["results"]:
                if r["status"] != "stored":
                    self.refused[r["status"]] += 1
                    continue
                ill = who.get(r["key"], [])
                registered = [p["person_id"] for p in r["people"] if p["category"] != "none"]
                for a, pid in zip(ill, registered, strict=True):
                    if pid is not None:
                        adopted[a.index] = pid
        self.registered += len(adopted)
        return adopted

    def outcome(self) -> dict[str, Any]:
        """The campaign's result for the run's outputs: households done, visited and planned, visits, people
        found by category (the registry's own progress figures), and what the twin registered through it."""
        if self.campaign_id is None:
            return {"campaign": None}
        progress = campaign_progress(self.ctx, HQ, self.campaign_id)
        total = progress["total"]
        return {
            "campaign": self.campaign_id,
            "starts_on": progress["campaign"]["starts_on"],
            "ends_on": progress["campaign"]["ends_on"],
            "households_planned": total["planned"],
            "households_visited": total["visited"],
            "households_done": total["done"],
            "visits": total["visits"],
            "found": dict(total["found"]),
            "registered_before_coming_forward": self.registered,
            "visits_not_stored": dict(self.refused),
            "cpu_seconds": round(self.cpu_seconds, 2),
        }
