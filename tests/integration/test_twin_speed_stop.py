"""A run with a deadline (the bench's `--until`) ends at the first local midnight it is asked after, with the
days it ran: their daily rows as a whole run would have them."""

from __future__ import annotations

from admitall.sim.run import run_scenario
from admitall.sim.scenario import load_scenario
from tests.sim_results import small_run


def test_a_run_told_to_stop_ends_at_the_next_local_midnight_with_the_days_it_ran() -> None:
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return True

    stopped = run_scenario(load_scenario("small"), days=2, stop=stop).results.as_dict()
    assert len(asked) == 1  # asked at the first midnight only, not after the last day
    assert [d["day"] for d in stopped["daily"]] == [small_run().daily[0]["day"]]
    assert stopped["daily"][0] == small_run().daily[0]


def test_a_run_never_told_to_stop_runs_every_day() -> None:
    whole = run_scenario(load_scenario("small"), days=2, stop=lambda: False).results
    assert len(whole.daily) == 2
