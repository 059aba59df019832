"""The referrals page pages with the real total (a page and its count from one query), the state filter kept
from page to page; another district sees none of ours."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admitall.domain.access import Role
from admitall.services.context import Actor
from admitall.services.registration import register_batch
from admitall.store.tables_referrals import registration_referrals
from tests.e2e.lists_world import every_page, paged_world, web
from tests.factories import WUCHANG, WUCHANG_1, id_number, person_row

__all__ = ["paged_world"]
REFERRED = 55


@pytest.fixture(scope="module")
def referred(paged_world) -> int:
    """武昌区 registers REFERRED of 大智's people (their ID numbers): each a referral to 幸福社区."""
    wuchang = Actor("wuchang-desk", Role.UNIT_OFFICER, WUCHANG)
    rows = [
        person_row(name=f"转来{i}", id_number=id_number(seq=100 + i), phone=None, unit_code=WUCHANG_1)
        for i in range(REFERRED)
    ]
    register_batch(paged_world.ctx, wuchang, list(enumerate(rows, start=2)), source="test")
    with paged_world.ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(registration_referrals)).scalar_one())


def test_every_page_of_referrals_together_is_every_referral_once(paged_world, referred):
    with web(paged_world, "dazhi") as c:
        rows, total = every_page(c, "/referrals.json", "referrals", state="all", size=20)
    ids = [r["id"] for r in rows]
    assert total == len(ids) == len(set(ids)) == referred >= REFERRED


def test_the_pager_keeps_the_state_and_says_of_how_many(paged_world, referred):
    with web(paged_world, "dazhi") as c:
        one = c.get("/referrals", params={"state": "open"}).text
        two = c.get("/referrals.json", params={"state": "open", "page": 2}).json()
        beyond = c.get("/referrals.json", params={"state": "open", "page": 9}).json()
    assert one.count('<tr data-referral="') == 50 and f"第 1–50 条，共 {referred} 条" in one
    assert 'href="/referrals?state=open&amp;page=2"' in one
    assert len(two["referrals"]) == referred - 50 and (two["page"], two["size"], two["total"]) == (2, 50, referred)
    assert beyond["referrals"] == [] and beyond["total"] == referred


def test_another_district_sees_none_of_ours(paged_world, referred):
    with web(paged_world, "jiangan") as c:
        ours = c.get("/referrals.json", params={"state": "all"}).json()
    with paged_world.client("dispatcher") as c:
        assert c.get("/api/referrals").status_code == 403
    assert ours["total"] == referred  # 江岸区 is 大智's district
    with web(paged_world, "yiyuan") as c:
        assert c.get("/referrals.json", params={"state": "all"}).json()["total"] == 0


def test_a_search_by_name_counts_what_it_finds_and_never_matches_an_id_number(paged_world, referred):
    with web(paged_world, "dazhi") as c:
        some = c.get("/referrals.json", params={"state": "all", "q": "列表00"}).json()
        html = c.get("/referrals", params={"state": "all", "q": "列表"}).text
        by_id = c.get("/referrals.json", params={"state": "all", "q": id_number(seq=100)}).json()
    assert some["total"] == 10 and {r["person"]["name"] for r in some["referrals"]} == {f"列表00{i}" for i in range(10)}
    assert by_id["total"] == 0
    assert f"第 1–50 条，共 {referred} 条" in html and "q=%E5%88%97%E8%A1%A8" in html
    with web(paged_world, "jiangan") as c:
        assert c.get("/referrals.json", params={"state": "all", "q": "列表武昌"}).json()["total"] == 0
