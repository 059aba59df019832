"""The twin with supplies (issue 18 §1 and §5, sim.supplies): facilities stocked when they open and supplied on a
schedule, consumption recorded by occupancy, and the engine held to what is on hand — a twin whose ICU beds have no
ventilator and whose oxygen is never resupplied puts nobody in an ICU bed and admits fewer people than one
supplied in full."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import text

from admitall.sim.run import Finished, run_scenario
from admitall.sim.runner import Run
from admitall.sim.scenario import load_scenario

DAYS = 6
SHORT = [
    "supplies.on=true",
    "supplies.ventilators_per_icu_bed=0",
    "supplies.opening_days=1",
    "supplies.resupply_share=0",
]


def _peaks(seen: Counter[str]):
    def watch(run: Run, hour: float) -> None:
        with run.ctx.engine.connect() as conn:
            for bed, used in conn.execute(
                text("SELECT bed_type, sum(occupied + reserved) FROM bed_pools GROUP BY bed_type")
            ).all():
                seen[bed] = max(seen[bed], int(used or 0))

    return watch


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[Finished, Counter[str]]]:
    found = {}
    for name, settings in (("full", ["supplies.on=true"]), ("short", SHORT)):
        seen: Counter[str] = Counter()
        found[name] = (run_scenario(load_scenario("small", settings), days=DAYS, on_hour=_peaks(seen)), seen)
    return found


def test_every_facility_is_stocked_and_its_beds_use_what_it_holds(runs) -> None:
    finished, _ = runs["full"]
    outcome = finished.results.summary["supplies"]
    assert outcome["facilities_stocked"] >= 3 and outcome["receipts"] > 0 and outcome["consumption"] > 0
    with finished.context.engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT kind, count(*) FROM supply_movements GROUP BY kind")).all())
        lowest = conn.execute(
            text("SELECT min(q) FROM (SELECT sum(quantity) AS q FROM supply_movements GROUP BY site_id, item_code) s")
        ).scalar_one()
    assert set(kinds) == {"receipt", "consumption"}  # nothing counted at 0: every item was given
    assert lowest >= 0  # consumption never takes more than a site holds


def test_without_ventilators_and_oxygen_nobody_gets_an_icu_bed_and_fewer_are_admitted(runs) -> None:
    full, full_peaks = runs["full"]
    short, short_peaks = runs["short"]
    assert full_peaks["icu"] > 0 and short_peaks["icu"] == 0
    assert short.results.summary["admitted"] < full.results.summary["admitted"]
    with short.context.engine.connect() as conn:
        counts = conn.execute(
            text("SELECT item_code, count(*) FROM supply_movements WHERE kind = 'count' GROUP BY site_id, item_code")
        ).all()
    # counted at 0 once, when the facility opened (a resupply of nothing is no count)
    assert (
        counts and {item for item, _ in counts} <= {"ventilator", "oxygen_cylinder"} and all(n == 1 for _, n in counts)
    )


def test_a_bad_supplies_setting_is_refused_in_words() -> None:
    from admitall.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        load_scenario("small", ["supplies.on=true", "supplies.resupply_every_days=0"])
    assert "supplies.resupply_every_days" in refused.value.en
