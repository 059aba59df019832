"""The demo: Wuhan's districts and streets with generated communities, and a city in motion — the last days of an
outbreak played up to now through the real services, so the boards, alerts and scorecards have something to show."""

from collections import Counter
from datetime import timedelta

from admitall.services.context import cli_actor
from admitall.services.demo import DEMO_USERS, load_demo
from admitall.services.simulations import list_runs
from admitall.services.verify import verify
from admitall.store.tables import persons, reports, units


def test_the_demo_city_is_wuhan_in_motion_up_to_now(sqlite_ctx, clock):
    clock.advance(timedelta(hours=5))  # 15:00 in Wuhan: a day and fifteen hours are played
    result = load_demo(sqlite_ctx, cli_actor(), seed=7, days=1)
    assert result["loaded"] and result["simulated"]["hours"] == 24 + 15
    with sqlite_ctx.uow() as uow:
        levels = Counter(r.level for r in uow.conn.execute(units.select()))
        by_street = Counter(r.parent_code for r in uow.conn.execute(units.select().where(units.c.level == "community")))
        categories = Counter(r.status for r in uow.conn.execute(persons.select()))
        placements = Counter(r.placement for r in uow.conn.execute(persons.select()))
        latest_report = max(r.received_at for r in uow.conn.execute(reports.select()))
        assert all(uow.users.by_username(u.username) is not None for u in DEMO_USERS)
    assert (levels["city"], levels["district"], levels["street"]) == (1, 13, 193)
    assert len(by_street) == 193 and min(by_street.values()) >= 8 and max(by_street.values()) <= 20
    assert sum(categories.values()) == result["simulated"]["identified"] > 500
    assert all(categories[c] > 0 for c in ("confirmed", "suspected", "fever", "contact"))
    assert placements["admitted"] > 0
    assert latest_report.replace(tzinfo=None) <= clock.now().replace(tzinfo=None)
    assert latest_report.replace(tzinfo=None) > (clock.now() - timedelta(hours=2)).replace(tzinfo=None)
    assert verify(sqlite_ctx)["ok"]
    recorded = list_runs(sqlite_ctx, cli_actor())["runs"]
    assert [r["id"] for r in recorded] == [result["simulated"]["run_id"]] and recorded[0]["scenario"] == "demo"
    assert load_demo(sqlite_ctx, cli_actor(), seed=7)["loaded"] is False
