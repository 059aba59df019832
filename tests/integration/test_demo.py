"""The demo: Wuhan's real districts, streets and communities, and a city in motion — the last days of an outbreak
played up to now through the real services, so the boards, alerts and scorecards have something to show."""

import re
from collections import Counter
from datetime import timedelta

from admitall.services.auth import authenticate, shown_names
from admitall.services.cadres_coverage import coverage
from admitall.services.context import cli_actor
from admitall.services.demo import COMMUNITY, DEMO_PASSWORD, DEMO_USERS, STEPS, load_demo
from admitall.services.simulations import list_runs
from admitall.services.staffing_views import overview as staffing_overview
from admitall.services.supplies import shortages
from admitall.services.verify import verify
from admitall.sim.reference import communities_by_street
from admitall.store.tables import persons, reports, units


class Recorded:
    """A DemoProgress that keeps what it was told."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, dict[str, int]]] = []
        self.ticks: list[tuple[int, int]] = []

    def step(self, key: str, counts: dict[str, int]) -> None:
        self.steps.append((key, counts))

    def played(self, done: int, total: int) -> None:
        self.ticks.append((done, total))


def test_the_demo_city_is_wuhan_in_motion_up_to_now(ctx, clock):
    clock.advance(timedelta(hours=5))  # 15:00 in Wuhan: a day and fifteen hours are played
    progress = Recorded()
    result = load_demo(ctx, cli_actor(), seed=7, days=1, progress=progress)
    assert result["loaded"] and result["simulated"]["hours"] == 24 + 15
    with ctx.uow() as uow:
        rows = list(uow.conn.execute(units.select()))
        people = list(uow.conn.execute(persons.select()))
        latest_report = max(r.received_at for r in uow.conn.execute(reports.select()))
        assert all(uow.users.by_username(u.username) is not None for u in DEMO_USERS)
        hq = uow.officials.by_username("commander")  # one person, one name: the header says what /me says
        shown = shown_names(uow, [u.username for u in DEMO_USERS])
        assert uow.units.get(COMMUNITY) is not None
    levels = Counter(r.level for r in rows)
    communities = {r.code: (r.name, r.parent_code) for r in rows if r.level == "community"}
    # the real city: every community and village of Wuhan under its street, by its own code and name
    assert (levels["city"], levels["district"], levels["street"], levels["community"]) == (1, 13, 193, 3495)
    real = {code: (name, street) for street, members in communities_by_street().items() for code, name in members}
    assert communities == real and communities["420102002003"] == ("保成社区", "420102002000")
    # people with realistic names and mobile numbers, never two with the same number
    categories = Counter(r.status for r in people)
    assert sum(categories.values()) == result["simulated"]["identified"] > 500
    assert all(categories[c] > 0 for c in ("confirmed", "suspected", "fever", "contact"))
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", r.name) for r in people), [r.name for r in people[:5]]
    assert len({r.name for r in people}) > 0.8 * len(people)
    assert all(re.fullmatch(r"(\+86)?1[3-9]\d{9}", r.phone) for r in people)
    assert len({r.phone for r in people}) == len(people)
    assert Counter(r.placement for r in people)["admitted"] > 0
    assert latest_report.replace(tzinfo=None) <= clock.now().replace(tzinfo=None)
    assert latest_report.replace(tzinfo=None) > (clock.now() - timedelta(hours=2)).replace(tzinfo=None)
    assert verify(ctx)["ok"]
    # the support measures a city keeps (issue 18): cadres sent down to every community, some short of the policy's
    # minimum; the hospitals' own staff on their rosters; supplies delivered and used, read as a city reads them
    cover = coverage(ctx, cli_actor())
    assert cover["totals"]["communities"] == 3495 and cover["totals"]["on_duty"] == result["cadres"] > 30_000
    assert 0.05 * 3495 < cover["totals"]["gaps"] < 0.5 * 3495
    staff = staffing_overview(ctx, cli_actor(), size=200)
    on_shift = [f for f in staff["facilities"] if f["on_shift"]]
    assert {f["type"] for f in on_shift} >= {"designated_hospital", "fever_clinic"}
    stock = shortages(ctx, cli_actor(), only_short=False, size=500)
    assert stock["total"] > 80 and stock["short"] > 0  # the busiest facilities under 3 days of cover
    assert all(r["on_hand"] >= 0 for r in stock["rows"])
    # what it said as it went: every step once and in order, with its counts, then the outbreak to its end
    assert [key for key, _ in progress.steps] == list(STEPS)
    told = dict(progress.steps)
    assert told["units"] == {"district": 13, "street": 193, "community": 3495}
    assert told["officials"] == {"units": 3702} and told["outbreak"] == {"hours": 39, "days": 1}
    assert told["cadres"] == {"cadres": result["cadres"], "communities": 3495}
    assert told["record"] == {"people": len(people)}
    assert progress.ticks and progress.ticks[-1][0] == progress.ticks[-1][1]
    recorded = list_runs(ctx, cli_actor())["runs"]
    assert [r["id"] for r in recorded] == [result["simulated"]["run_id"]] and recorded[0]["scenario"] == "demo"
    assert load_demo(ctx, cli_actor(), seed=7)["loaded"] is False
    assert hq is not None and hq.title == "市防控指挥部副指挥长"
    assert shown["commander"] == f"{hq.name} {hq.title}" != "市指挥部 王指挥"
    assert authenticate(ctx, "commander", DEMO_PASSWORD).display_name == shown["commander"]
    assert shown["dispatcher"] == "市调度中心 刘洋"  # no official: the account's own display name
