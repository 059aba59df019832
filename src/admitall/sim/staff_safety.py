"""The twin's health-worker infections (issue 18 §4–5): each day, the staff of the facilities treating confirmed
patients are infected in proportion to the patients they care for, and each infection is recorded as a desk
records one (services.staff_safety.record_event), so the registry, the rates per 1,000 staff and the watch's
alerts see them like any other.

How many (decided here): `per_bed_day` infections per occupied treatment bed-day (ICU, severe, general and shelter
beds), 0.002 by default — about 3,000 infections over some 1.5 million bed-days in Hubei's first two months. What
each facility is owed accumulates from day to day and a whole infection is recorded when it reaches one, so the
figures are deterministic (nothing is drawn from the outbreak's random stream). Who: the facility's roster rows not
yet tracked, lowest number first; a facility whose staff came only as a team's headcount gets a roster row in that
team for the infected member (a team's headcount already counts its members, so the count of staff is unchanged).
A facility with neither is skipped.

The call for the runner (sim/runner.py, S3's wiring): build `SafetyTwin(ctx, FIELD)` when the scenario asks, and
call `twin.on_day(now)` once a simulated day; its `recorded` is the run's total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select

from admitall.domain.facilities import BedType
from admitall.services.context import Actor, Context
from admitall.services.staff_safety import record_event
from admitall.store.tables import bed_pools
from admitall.store.tables_staffing import medical_teams, staff_members

TREATMENT = (BedType.ICU.value, BedType.SEVERE.value, BedType.GENERAL.value, BedType.SHELTER.value)
_b, _s, _t = bed_pools.c, staff_members.c, medical_teams.c


@dataclass
class SafetyTwin:
    ctx: Context
    actor: Actor  # who records: a desk whose jurisdiction holds the facilities
    per_bed_day: float = 0.002
    owed: dict[str, float] = field(default_factory=dict)
    recorded: int = 0

    def on_day(self, now: datetime) -> int:
        """Record the day's infections; returns how many."""
        day = now.astimezone(self.ctx.settings.tz).date()
        with self.ctx.uow() as uow:
            beds = uow.conn.execute(
                select(_b.facility_code, func.sum(_b.occupied))
                .where(_b.bed_type.in_(TREATMENT), _b.occupied > 0)
                .group_by(_b.facility_code)
                .order_by(_b.facility_code)
            ).all()
        due: dict[str, int] = {}
        for code, occupied in beds:
            owed = self.owed.get(code, 0.0) + int(occupied) * self.per_bed_day
            due[code], self.owed[code] = int(owed), owed - int(owed)
        made = 0
        for code, n in due.items():
            for staff_id in self._staff(code, n, now):
                record_event(self.ctx, self.actor, kind="infection", status="confirmed", staff_id=staff_id,
                             occurred_on=day.isoformat(), protection="surgical_mask", place="病区")  # fmt: skip
                made += 1
        self.recorded += made
        return made

    def _staff(self, code: str, n: int, now: datetime) -> list[int]:
        """`n` roster rows of the facility not yet tracked (made in a team there if it has too few)."""
        if n <= 0:
            return []
        with self.ctx.uow(write=True) as uow:
            found = list(
                uow.conn.execute(
                    select(_s.id).where(_s.site_code == code, _s.person_id.is_(None)).order_by(_s.id).limit(n)
                ).scalars()
            )
            team = uow.conn.execute(select(_t.id).where(_t.facility_code == code).order_by(_t.id)).scalar()
            if len(found) < n and team is not None:
                rows = [
                    {"name": f"医护人员{code}-{i}", "role": "nurse", "site_code": code, "team_id": team,
                     "active_from": now.date(), "source": "desk", "created_by": self.actor.username, "created_at": now}
                    for i in range(len(found), n)
                ]  # fmt: skip
                found += list(uow.conn.execute(insert(staff_members).returning(_s.id), rows).scalars())
            uow.commit()
        return found
