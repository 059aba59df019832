"""The discrepancies between what units reported and what the registry shows have a page (/discrepancies and its
JSON twin; the API /api/reports/discrepancies): newest first, a page at a time with the real total, within the
jurisdiction, over a window of hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from admitall.domain.access import Role
from admitall.services import reporting
from admitall.services.context import Actor
from admitall.services.reporting_rules import ReportInput
from admitall.store.tables import discrepancies
from tests.e2e.lists_world import every_page, paged_world, web
from tests.factories import DAZHI_1, WUCHANG_1

__all__ = ["paged_world"]
NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
RECENT = 57  # 大智's within the last day
OLDER = 6  # 大智's three days ago


def _report(ctx, unit: str) -> int:
    actor = Actor("desk", Role.UNIT_OFFICER, unit)
    stored = reporting.submit(ctx, actor, ReportInput(unit, NOW, {}, "值班员", True))
    return int(stored["id"])


@pytest.fixture(scope="module")
def found(paged_world) -> None:
    """RECENT + OLDER discrepancies of 幸福社区 and three of 长春社区 (武昌区), each figure its own."""
    ctx = paged_world.ctx
    ours, theirs = _report(ctx, DAZHI_1), _report(ctx, WUCHANG_1)
    rows = [
        {
            "report_id": ours,
            "unit_code": DAZHI_1,
            "period_start": NOW - timedelta(minutes=20 * i),
            "figure": "found.contact" if i % 2 else "waiting.confirmed",
            "reported": i,
            "registry": i + 5,
        }
        for i in range(RECENT)
    ]
    rows += [
        {
            "report_id": ours,
            "unit_code": DAZHI_1,
            "period_start": NOW - timedelta(days=3),
            "figure": "admitted",
            "reported": 1,
            "registry": 9,
        }
    ] * OLDER
    rows += [
        {
            "report_id": theirs,
            "unit_code": WUCHANG_1,
            "period_start": NOW,
            "figure": "admitted",
            "reported": 0,
            "registry": 3,
        }
    ] * 3
    with ctx.uow(write=True) as uow:
        uow.reports.add_discrepancies(rows)
        uow.commit()


def recount(world, *conditions) -> int:
    with world.ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(discrepancies).where(*conditions)).scalar_one())


def test_every_page_together_is_every_discrepancy_of_the_window_once_newest_first(paged_world, found):
    with web(paged_world, "dazhi") as c:
        rows, total = every_page(c, "/discrepancies.json", "discrepancies", size=25)
    ids = [d["id"] for d in rows]
    window = discrepancies.c.period_start >= NOW - timedelta(hours=24)
    assert total == len(ids) == len(set(ids)) == recount(paged_world, window, discrepancies.c.unit_code == DAZHI_1)
    assert total >= RECENT and ids == sorted(ids, reverse=True)


def test_the_page_says_which_rows_of_how_many_and_keeps_the_window(paged_world, found):
    with web(paged_world, "dazhi") as c:
        week = c.get("/discrepancies.json", params={"hours": 168}).json()
        html = c.get("/discrepancies", params={"hours": 168, "page": 2}).text
        c.cookies.set("lang", "en")
        en = c.get("/discrepancies", params={"hours": 168, "page": 2, "size": 10})
    total = recount(paged_world, discrepancies.c.unit_code == DAZHI_1)
    assert week["total"] == total and len(week["discrepancies"]) == 50
    assert f"第 51–{total} 条，共 {total} 条" in html and html.count('<tr data-discrepancy="') == total - 50
    assert 'href="/discrepancies?hours=168"' in html  # previous, the window kept
    assert "等待收治" in html or "当前待收治" in html
    assert f"11–20 of {total}" in en.text


def test_a_figure_filter_counts_what_it_finds(paged_world, found):
    with web(paged_world, "dazhi") as c:
        admitted = c.get("/discrepancies.json", params={"hours": 168, "figure": "admitted"}).json()
    assert admitted["total"] == OLDER and {d["figure"] for d in admitted["discrepancies"]} == {"admitted"}


def test_another_district_sees_none_of_ours_and_a_unit_elsewhere_is_not_found(paged_world, found):
    with web(paged_world, "jiangan") as c:
        ours = c.get("/discrepancies.json").json()
        elsewhere = c.get("/discrepancies.json", params={"unit": WUCHANG_1})
    assert all(d["unit_code"].startswith("420102") for d in ours["discrepancies"])
    assert elsewhere.status_code == 404
    with paged_world.client("jiangan") as c:
        api = c.get("/api/reports/discrepancies", params={"size": 5, "page": 2}).json()
    assert api["total"] == ours["total"] and len(api["discrepancies"]) == 5


def test_the_reports_board_links_to_the_discrepancies(paged_world, found):
    with web(paged_world, "dazhi") as c:
        board = c.get("/reports").text
    assert 'id="to-discrepancies"' in board
