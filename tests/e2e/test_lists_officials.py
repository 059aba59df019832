"""The officials page: 50 a page with the real total, searched by name, title or unit within the jurisdiction;
the units without a lead page on their own."""

from __future__ import annotations

from tests.e2e.lists_world import OFFICIALS, WUCHANG_OFFICIALS, every_page, paged_world, web
from tests.factories import JIANGAN

__all__ = ["paged_world"]


def recount(world, root=JIANGAN) -> int:
    """The subtree's officials counted by loading them all (the factories' leads besides ours)."""
    with world.ctx.uow() as uow:
        return len(uow.officials.in_subtree(root))


def test_every_page_of_officials_together_is_every_official_once(paged_world):
    with web(paged_world, "jiangan") as c:
        rows, total = every_page(c, "/officials.json", "officials")
    ids = [o["id"] for o in rows]
    assert len(ids) == len(set(ids)) == total == recount(paged_world) >= OFFICIALS
    assert not any(o["name"].startswith("武昌") for o in rows)


def test_the_officials_page_shows_fifty_of_the_total_and_page_two_goes_on_from_there(paged_world):
    with web(paged_world, "jiangan") as c:
        one = c.get("/officials.json").json()
        two = c.get("/officials.json", params={"page": 2}).json()
        html = c.get("/officials", params={"page": 2}).text
    total = recount(paged_world)
    assert (one["total"], one["page"], one["size"], one["pages"]) == (total, 1, 50, 3)
    assert len(one["officials"]) == len(two["officials"]) == 50
    assert not {o["id"] for o in one["officials"]} & {o["id"] for o in two["officials"]}
    assert f"第 51–100 条，共 {total} 条" in html
    assert html.count('<tr data-official="') == 50
    assert 'href="/officials?page=3"' in html and 'href="/officials"' in html  # next, and previous = page 1


def test_the_last_page_holds_the_rest_and_a_page_beyond_is_empty_with_the_total(paged_world):
    with web(paged_world, "jiangan") as c:
        last = c.get("/officials.json", params={"page": 3}).json()
        beyond = c.get("/officials.json", params={"page": 4}).json()
        html = c.get("/officials", params={"page": 40}).text
    assert len(last["officials"]) == recount(paged_world) - 100
    assert beyond["officials"] == [] and beyond["total"] == recount(paged_world)
    assert 'href="/officials?page=3"' in html and "此页之后已没有记录" in html


def test_search_by_name_title_or_unit_counts_what_it_finds(paged_world):
    with web(paged_world, "jiangan") as c:
        by_name = c.get("/officials.json", params={"q": "干部00"}).json()
        by_title = c.get("/officials.json", params={"q": "书记"}).json()
        by_unit = c.get("/officials.json", params={"q": "和平社区"}).json()
        by_code = c.get("/officials.json", params={"q": "420102002001"}).json()
        paged = c.get("/officials", params={"q": "书记", "page": 1}).text
    assert by_name["total"] == 10 and {o["name"] for o in by_name["officials"]} == {f"干部00{i}" for i in range(10)}
    assert by_title["total"] >= OFFICIALS // 2 and all("书记" in o["title"] for o in by_title["officials"])
    assert len([o for o in by_unit["officials"] if o["name"].startswith("干部")]) == len(range(2, OFFICIALS, 3))
    assert all(o["home_unit_name"] == "和平社区" for o in by_unit["officials"])
    assert all(o["home_unit"] == "420102002001" for o in by_code["officials"])
    assert by_code["total"] == len(range(1, OFFICIALS, 3))
    assert "q=%E4%B9%A6%E8%AE%B0&amp;page=2" in paged  # the next page keeps the search


def test_another_districts_search_finds_none_of_ours(paged_world):
    with web(paged_world, "jiangan") as c:
        theirs = c.get("/officials.json", params={"q": "武昌干部"}).json()
    with web(paged_world, "admin") as c:
        everyone = c.get("/officials.json", params={"q": "干部"}).json()
    assert theirs["total"] == 0 and theirs["officials"] == []
    assert everyone["total"] == OFFICIALS + WUCHANG_OFFICIALS


def test_a_search_never_matches_an_officials_phone(paged_world):
    with web(paged_world, "commander") as c:
        body = c.get("/officials.json", params={"q": "13500000001"}).json()
    assert body["total"] == 0


def test_the_api_pages_officials_the_same_way(paged_world):
    with paged_world.client("jiangan") as c:
        body = c.get("/api/officials", params={"size": 200}).json()
        vacant = c.get("/api/officials/vacancies", params={"size": 1}).json()
        assert c.get("/api/officials", params={"size": 201}).status_code == 422
    assert body["total"] == len(body["officials"]) == recount(paged_world)
    assert len(vacant["units"]) == 1 and vacant["total"] >= 1


def test_the_units_without_a_lead_page_on_their_own(paged_world):
    with web(paged_world, "jiangan") as c:
        page = c.get("/officials", params={"size": 2, "page": 2}).text
        body = c.get("/officials.json", params={"size": 2}).json()
    assert body["vacancies_total"] >= 3 and len(body["vacancies"]) == 2
    assert "vpage=2" in page and f"（{body['vacancies_total']}）" not in page
