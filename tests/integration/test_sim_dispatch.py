"""The twin's dispatch within its vehicles: no more people set off from a district in an hour than the scenario's
transport capacity; the others stay assigned in the registry and leave in a later hour; the engine's plan keeps
within each facility's admissions an hour."""

from __future__ import annotations

import math
from collections import Counter

from sqlalchemy import select

from admitall.services.verify import verify
from admitall.sim.run import run_scenario
from admitall.sim.scenario import load_scenario
from admitall.store.tables import facilities, person_events, persons


def events_of(finished, kind: str) -> list[tuple[int, str, object]]:
    with finished.context.engine.connect() as conn:
        return conn.execute(
            select(person_events.c.person_id, persons.c.unit_code, person_events.c.occurred_at)
            .join(persons, persons.c.id == person_events.c.person_id)
            .where(person_events.c.kind == kind)
            .order_by(person_events.c.occurred_at)
        ).all()


def test_no_more_set_off_from_a_district_in_an_hour_than_its_vehicles_carry_and_the_rest_wait_assigned() -> None:
    finished = run_scenario(load_scenario("small", ["operations.transport_per_district_hour=1"]), days=3)
    origin = min(at for _, _, at in events_of(finished, "assigned"))
    per_hour = Counter(
        (unit[:6], math.ceil((at - origin).total_seconds() / 3600 - 1e-9))
        for _, unit, at in events_of(finished, "departed")
    )
    assert per_hour and max(per_hour.values()) == 1
    assigned = {pid: at for pid, _, at in events_of(finished, "assigned")}
    departed = {pid: at for pid, _, at in events_of(finished, "departed")}
    waited = [departed[p] - assigned[p] for p in departed if p in assigned]
    assert max(w.total_seconds() for w in waited) > 3600  # some waited for a vehicle, assigned meanwhile
    assert verify(finished.context)["ok"]


def test_the_plan_admits_no_more_an_hour_at_a_facility_than_its_rate() -> None:
    finished = run_scenario(
        load_scenario("small", ["operations.admissions_per_100_beds_hour.designated_hospital=4"]), days=3
    )
    with finished.context.engine.connect() as conn:
        rates = dict(conn.execute(select(facilities.c.code, facilities.c.admissions_per_hour)).all())
        rows = conn.execute(
            select(person_events.c.occurred_at, person_events.c.data).where(person_events.c.kind == "assigned")
        ).all()
    assert rates["DH-JYT"] == 2 and rates["SH-WC"] == 4  # 31 beds at 4 for each 100; 60 at 6
    per_hour = Counter((data["facility_code"], at.replace(minute=0, second=0, microsecond=0)) for at, data in rows)
    assert per_hour and all(n <= rates[code] for (code, _), n in per_hour.items())
