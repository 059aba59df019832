"""Running a scenario: on a database of its own from nothing (`run_scenario`), or on a city already there (`play`,
the demo's)."""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from admitall.clock import ManualClock
from admitall.domain.errors import Conflict
from admitall.services.context import Context, cli_actor, make_context
from admitall.services.reporting import set_schedule
from admitall.settings import Settings
from admitall.sim.city import SimCity, build_city, local_midnight
from admitall.sim.epidemic import simulate_outbreak
from admitall.sim.results import Results
from admitall.sim.runner import Run
from admitall.sim.scenario import Scenario, overridden
from admitall.store.db import init_database

Progress = Callable[[int, int], None]
OnHour = Callable[[Run, float], None]


@dataclass
class Finished:
    results: Results
    context: Context
    seconds: float
    peak_memory_mb: float  # the process's peak resident set size so far
    database: Any = None  # the temporary directory of the run's own database, kept while this is


def play(
    ctx: Context,
    scenario: Scenario,
    city: SimCity,
    *,
    hours: int | None = None,
    progress: Progress | None = None,
    on_hour: OnHour | None = None,
    stop: Callable[[], bool] | None = None,
) -> Results:
    """Play the scenario's outbreak on `city`, already in the database, from `city.start` for the scenario's
    days (or `hours`); `ctx.clock` is a ManualClock and is left at the end of the run."""
    for level, minutes in scenario.operations.report_every_minutes.items():
        set_schedule(ctx, cli_actor("sim"), level, period_minutes=minutes, grace_minutes=10)
    outbreak = simulate_outbreak(scenario, city.communities, city.populations, hours=hours)
    run = Run(ctx, scenario, outbreak, city)
    run.on_hour = on_hour
    return run.run(progress, stop)


def run_scenario(
    scenario: Scenario,
    *,
    settings: Settings | None = None,
    days: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    on_hour: OnHour | None = None,
    stop: Callable[[], bool] | None = None,
) -> Finished:
    """Run `scenario` on the database of `settings` (a fresh SQLite file in a temporary directory if none),
    which must be empty: a simulated city is never mixed into a real one."""
    scenario = overridden(scenario, days=days, seed=seed)
    keep: Any = None
    if settings is None:
        keep = tempfile.TemporaryDirectory(prefix="admitall-sim-")
        settings = Settings(database_url=f"sqlite:///{keep.name}/sim.db", run_jobs=False)
    started = time.perf_counter()
    probe = make_context(settings)
    init_database(probe.engine)
    with probe.uow() as uow:
        if uow.units.count():
            raise Conflict(
                "sim.database_not_empty",
                "模拟需要一个空数据库：此数据库已有单位",
                "A simulation needs an empty database: this one already holds units",
            )
    probe.engine.dispose()
    clock = ManualClock(local_midnight(probe, scenario) - timedelta(days=1))
    ctx = make_context(settings, clock)
    city = build_city(ctx, scenario)
    results = play(ctx, scenario, city, progress=progress, on_hour=on_hour, stop=stop)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds = time.perf_counter() - started
    results.scenario["wall_seconds"] = round(seconds, 1)
    return Finished(results, ctx, seconds, peak, keep)
