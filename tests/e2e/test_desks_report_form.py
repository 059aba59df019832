"""The report form says what it is (issue 14 §4): titled by the unit's own schedule (每日报告 for a community that
reports daily, 每小时报告 for an hourly street), with the period's both dates and times, in zh and en."""

from __future__ import annotations

import re
from contextlib import closing

from tests.e2e.conftest import World
from tests.e2e.test_desks_web import pages
from tests.e2e.test_forbidden_pages import visible_text


def form(world: World, username: str, lang: str = "zh") -> tuple[str, str]:
    """The form's heading and its period line."""
    client, _ = pages(world, username)
    with closing(client):
        page = client.get(f"/reports/new?lang={lang}").text
    heading = re.search(r"<h1>([^<]+)</h1>", page)
    period = re.search(r'<p class="muted" id="period">(.*?)</p>', page, re.S)
    assert heading is not None and period is not None
    return heading.group(1), " ".join(visible_text(period.group(1)).split())


def test_a_daily_community_gets_a_daily_report_with_both_dates(world):
    with world.client("admin") as c:
        sent = c.put("/api/reporting/schedules/community", json={"period_minutes": 1440, "grace_minutes": 120})
    assert sent.status_code == 200, sent.text
    try:
        heading, period = form(world, "community")
        assert heading == "每日报告 · 幸福社区"
        # 2020-02-10 02:00 UTC is 10:00 in Wuhan: today's period, from midnight to midnight, due at 02:00
        assert period == "周期 2020-02-10 00:00 – 2020-02-11 00:00 · 截止 2020-02-11 02:00"
        heading, period = form(world, "community", "en")
        assert heading == "Daily report · 幸福社区"
        assert period == "Period 2020-02-10 00:00 – 2020-02-11 00:00 · Deadline 2020-02-11 02:00"
    finally:
        with world.client("admin") as c:
            c.put("/api/reporting/schedules/community", json={"period_minutes": 60, "grace_minutes": 10})


def test_an_hourly_street_gets_an_hourly_report(world):
    heading, period = form(world, "dazhi")
    assert heading == "每小时报告 · 大智街道"
    assert period == "周期 2020-02-10 10:00 – 2020-02-10 11:00 · 截止 2020-02-10 11:10"


def test_a_schedule_of_some_hours_says_how_many(world):
    with world.client("admin") as c:
        c.put("/api/reporting/schedules/street", json={"period_minutes": 240, "grace_minutes": 30})
    try:
        assert form(world, "dazhi")[0] == "每4小时报告 · 大智街道"
        assert form(world, "dazhi", "en")[0] == "Report every 4 hours · 大智街道"
    finally:
        with world.client("admin") as c:
            c.put("/api/reporting/schedules/street", json={"period_minutes": 60, "grace_minutes": 10})
