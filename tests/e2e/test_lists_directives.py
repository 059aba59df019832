"""The directives page and an official's desk (/me) count what they list for real: the directives received and
issued each page with the whole total, filtered by status and by which list; the desk says how many more there
are beyond what it lists, and where to see them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from admitall.domain.access import Role
from admitall.services import directives, officials
from admitall.services.context import Actor, cli_actor
from tests.e2e.lists_world import every_page, paged_world, web
from tests.factories import CITY, DAZHI, JIANGAN

__all__ = ["paged_world"]
FROM_CITY = 53  # the city to 江岸区
FROM_DISTRICT = 56  # 江岸区 to 大智街道
DUE = datetime(2020, 2, 12, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def issued(paged_world) -> None:
    ctx = paged_world.ctx
    city = Actor("commander", Role.COMMANDER, CITY)
    district = Actor("jiangan", Role.UNIT_OFFICER, JIANGAN)
    for i in range(FROM_CITY):
        directives.issue(ctx, city, title=f"市令{i}", due_at=DUE, units=[JIANGAN])
    for i in range(FROM_DISTRICT):
        directives.issue(ctx, district, title=f"区令{i}", due_at=DUE, units=[DAZHI])
    # 大智's officer is the official who leads 大智街道: the desk at /me is theirs
    official = officials.add_official(
        ctx, cli_actor(), name="大智书记", title="书记", home_unit=DAZHI, username="dazhi"
    )
    officials.assign_lead(ctx, cli_actor(), DAZHI, official["id"])


def test_every_page_of_what_was_received_and_issued_is_the_whole_once(paged_world, issued):
    with web(paged_world, "jiangan") as c:
        received, received_total = every_page(c, "/directives.json", "received", size=20)
        first = c.get("/directives.json", params={"size": 20}).json()
        issued_ids = []
        for ipage in range(1, 4):
            issued_ids += [
                d["id"] for d in c.get("/directives.json", params={"ipage": ipage, "size": 20}).json()["issued"]
            ]
    assert received_total == len(received) == len({x["id"] for x in received}) == FROM_CITY
    assert first["issued_total"] == len(issued_ids) == len(set(issued_ids)) == FROM_DISTRICT
    assert {x["title"] for x in received} == {f"市令{i}" for i in range(FROM_CITY)}


def test_the_page_shows_fifty_of_the_total_and_pages_each_list_by_itself(paged_world, issued):
    with web(paged_world, "jiangan") as c:
        html = c.get("/directives").text
        second = c.get("/directives", params={"ipage": 2}).text
    assert f'<span data-figure="received_total">{FROM_CITY}</span>' in html
    assert f'<span data-figure="issued_total">{FROM_DISTRICT}</span>' in html
    assert f"第 1–50 条，共 {FROM_CITY} 条" in html and f"第 1–50 条，共 {FROM_DISTRICT} 条" in html
    assert 'href="/directives?page=2"' in html and 'href="/directives?ipage=2"' in html
    assert second.count('<tr data-directive="') == FROM_DISTRICT - 50


def test_the_status_and_list_filters_count_what_they_find(paged_world, issued):
    with web(paged_world, "dazhi") as c:
        pending = c.get("/directives.json", params={"status": "pending"}).json()
        done = c.get("/directives.json", params={"status": "completed"}).json()
        only_issued = c.get("/directives.json", params={"show": "issued"}).json()
        bad = c.get("/directives.json", params={"status": "nonsense"})
    assert pending["total"] == FROM_DISTRICT and done["total"] == 0
    assert only_issued["received"] == [] and only_issued["issued_total"] == 0
    assert bad.status_code == 422


def test_another_district_sees_none_of_ours(paged_world, issued):
    with web(paged_world, "yiyuan") as c:
        theirs = c.get("/directives.json").json()
    assert theirs["total"] == 0 and theirs["issued_total"] == 0


def test_the_desk_counts_every_open_directive_and_says_how_many_it_does_not_list(paged_world, issued):
    with web(paged_world, "dazhi") as c:
        desk = c.get("/me").text
    with paged_world.client("dazhi") as c:
        api = c.get("/api/me/desk").json()
    assert api["directives_total"] == FROM_DISTRICT and len(api["directives"]) == 50
    assert api["problems_total"] == len(api["problems"]) == 0
    assert f'<span data-figure="directives_total">{FROM_DISTRICT}</span>' in desk
    assert f"另有 {FROM_DISTRICT - 50} 条未列出" in desk and 'href="/directives?status=pending"' in desk


def test_a_search_by_title_pages_what_it_finds_in_both_lists(paged_world, issued):
    with web(paged_world, "jiangan") as c:
        found = c.get("/directives.json", params={"q": "市令1"}).json()
        mine = c.get("/directives.json", params={"q": "区令5"}).json()
        html = c.get("/directives", params={"q": "令", "page": 2}).text
    assert found["total"] == len([i for i in range(FROM_CITY) if str(i).startswith("1")]) and found["issued_total"] == 0
    assert mine["total"] == 0 and mine["issued_total"] == len([i for i in range(FROM_DISTRICT) if str(i)[0] == "5"])
    assert "q=%E4%BB%A4" in html and f"第 51–{FROM_CITY} 条，共 {FROM_CITY} 条" in html


def test_the_api_pages_both_lists_as_the_page_does(paged_world, issued):
    with paged_world.client("jiangan") as c:
        api = c.get("/api/directives", params={"size": 20, "page": 3, "ipage": 2}).json()
        assert c.get("/api/directives", params={"size": 0}).status_code == 422
    assert (api["total"], api["issued_total"], api["page"], api["ipage"]) == (FROM_CITY, FROM_DISTRICT, 3, 2)
    assert len(api["received"]) == FROM_CITY - 40 and len(api["issued"]) == 20
