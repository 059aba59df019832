"""The twin's daily outputs, under the names the comparison with published figures relies on: each figure of a
day's row equals a recount from the registry at that day's 24:00 (persons, bed pools, events and reports)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from admitall.sim.results import SEVERITIES
from admitall.sim.run import run_scenario
from admitall.sim.runner import Run
from admitall.sim.scenario import load_scenario
from admitall.store.tables import bed_pools, facilities, person_events, persons, reports

NAMES = (
    "in_beds_confirmed_by_severity",
    "queue_confirmed_by_severity",
    "queue",
    "in_beds",
    "by_kind",
    "deaths_total",
    "discharged_total",
    "suspected_stock",
)
QUEUED = ("waiting", "assigned", "in_transit")


def recount(run: Run, now: datetime) -> dict[str, Any]:
    """The day's figures counted afresh from the registry's tables."""
    with run.ctx.engine.connect() as conn:
        people = conn.execute(
            select(persons.c.placement, persons.c.status, persons.c.severity, func.count()).group_by(
                persons.c.placement, persons.c.status, persons.c.severity
            )
        ).all()
        types = dict(conn.execute(select(facilities.c.code, facilities.c.type)).all())
        opening = {r.code: (r.opens_at, r.closes_at) for r in conn.execute(select(facilities))}
        in_beds_by_kind = Counter[str]()
        for code, n in conn.execute(
            select(persons.c.facility_code, func.count())
            .where(persons.c.placement == "admitted")
            .group_by(persons.c.facility_code)
        ):
            in_beds_by_kind[types[code]] += n
        held = Counter[str]()
        for code, n in conn.execute(
            select(persons.c.held_facility_code, func.count())
            .where(persons.c.held_facility_code.is_not(None))
            .group_by(persons.c.held_facility_code)
        ):
            held[types[code]] += n
        capacity = conn.execute(select(bed_pools.c.facility_code, bed_pools.c.capacity)).all()
        recovered = conn.execute(
            select(person_events.c.person_id, person_events.c.data).where(person_events.c.kind == "reclassified")
        ).all()
    queue, in_beds, queue_sev, beds_sev = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    dead = suspected = 0
    for placement, status, severity, n in people:
        if status == "dead":
            dead += n
            continue
        if status == "suspected":
            suspected += n
        if placement in QUEUED:
            queue[status] += n
            if status == "confirmed":
                queue_sev[severity] += n
        if placement == "admitted":
            in_beds[status] += n
            if status == "confirmed":
                beds_sev[severity] += n

    def is_open(code: str) -> bool:
        opens, closes = opening[code]
        return (opens is None or opens <= now) and (closes is None or now < closes)

    open_beds = Counter[str]()
    for code, n in capacity:
        if is_open(code):
            open_beds[types[code]] += n
    kinds = sorted(set(types.values()))
    return {
        "in_beds_confirmed_by_severity": {s: beds_sev[s] for s in SEVERITIES},
        "queue_confirmed_by_severity": {s: queue_sev[s] for s in SEVERITIES},
        "queue": dict(sorted(queue.items())),
        "in_beds": dict(sorted(in_beds.items())),
        "by_kind": {k: {"open": open_beds[k], "occupied": in_beds_by_kind[k] + held[k]} for k in kinds},
        "deaths_total": dead,
        "discharged_total": len({pid for pid, data in recovered if data.get("to") == "recovered"}),
        "suspected_stock": suspected,
    }


def test_each_day_s_outputs_have_their_stable_names_and_equal_a_recount_from_the_registry() -> None:
    counted: dict[str, dict[str, Any]] = {}

    def at_midnight(run: Run, hour: float) -> None:
        if round(hour) % 24 == 0:
            now = run.moment(hour)
            day = (now - timedelta(hours=1)).astimezone(run.city.start.tzinfo).date().isoformat()
            counted[day] = recount(run, now)

    finished = run_scenario(load_scenario("small"), days=3, on_hour=at_midnight)
    daily = finished.results.daily
    assert [d["day"] for d in daily] == sorted(counted) and len(daily) == 3
    for day in daily:
        assert set(NAMES) <= set(day) and "completeness" in day["reports"]
        assert {k: day[k] for k in NAMES} == counted[day["day"]], day["day"]
    last = daily[-1]
    # the run did something worth counting: people in beds by severity, deaths or discharges aside
    assert sum(last["in_beds_confirmed_by_severity"].values()) > 0
    assert last["by_kind"]["designated_hospital"]["open"] > 0


def test_completeness_is_the_share_of_the_day_s_due_reports_that_the_registry_holds() -> None:
    finished = run_scenario(load_scenario("small"), days=2)
    with finished.context.engine.connect() as conn:
        stored = Counter(
            str(p.astimezone(finished.context.settings.tz).date())
            for (p,) in conn.execute(select(reports.c.period_start).where(reports.c.version == 1))
        )
    for day in finished.results.daily[:1]:  # the first day: its late reports have all come in by the run's end
        r = day["reports"]
        due = r["on_time"] + r["late"] + r["missing"]
        assert stored[day["day"]] == r["on_time"] + r["late"]
        assert r["missing"] > 0 and r["completeness"] == round(100 * stored[day["day"]] / due, 1)
