"""The people list pages with real totals, longest waits first; its search stays within the jurisdiction and a
masked role's search never matches an ID or a phone."""

from __future__ import annotations

from tests.e2e.lists_world import PEOPLE, WUCHANG_PEOPLE, every_page, paged_world, web

__all__ = ["paged_world"]


def test_every_page_of_people_together_is_the_whole_list_once_and_the_total_is_a_recount(paged_world):
    with web(paged_world, "dazhi") as c:
        rows, total = every_page(c, "/people.json", "people")
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == total == PEOPLE


def test_page_two_continues_page_one_and_the_last_page_holds_the_rest(paged_world):
    with web(paged_world, "dazhi") as c:
        one = c.get("/people.json").json()
        two = c.get("/people.json", params={"page": 2}).json()
        last = c.get("/people.json", params={"page": 3}).json()
        small = [c.get("/people.json", params={"page": p, "size": 10}).json() for p in (1, 2)]
    assert (one["page"], one["size"], one["total"], one["pages"]) == (1, 50, PEOPLE, 3)
    assert len(one["people"]) == len(two["people"]) == 50 and len(last["people"]) == PEOPLE - 100
    assert [p["id"] for p in small[0]["people"] + small[1]["people"]] == [p["id"] for p in one["people"][:20]]


def test_a_page_beyond_the_last_is_empty_with_the_total_and_links_to_the_last_page(paged_world):
    with web(paged_world, "dazhi") as c:
        body = c.get("/people.json", params={"page": 9}).json()
        html = c.get("/people", params={"page": 9, "status": ""}).text
    assert body["people"] == [] and body["total"] == PEOPLE
    assert "此页之后已没有记录（共 123 条）" in html and 'href="/people?page=3"' in html


def test_the_pager_says_which_rows_of_how_many_and_keeps_the_search(paged_world):
    with web(paged_world, "dazhi") as c:
        zh = c.get("/people", params={"q": "列表", "page": 2}).text
        c.cookies.set("lang", "en")
        en = c.get("/people", params={"q": "列表", "page": 2}).text
    assert "第 51–100 条，共 123 条" in zh
    assert 'href="/people?q=%E5%88%97%E8%A1%A8&amp;page=3"' in zh and 'href="/people?q=%E5%88%97%E8%A1%A8"' in zh
    assert "51–100 of 123" in en


def test_a_size_out_of_bounds_is_refused(paged_world):
    with web(paged_world, "dazhi") as c:
        assert c.get("/people.json", params={"size": 201}).status_code == 422
        assert c.get("/people.json", params={"size": 0}).status_code == 422
        assert len(c.get("/people.json", params={"size": 200}).json()["people"]) == PEOPLE


def test_the_longest_waits_come_first_then_the_graver_case(paged_world):
    with web(paged_world, "dazhi") as c:
        rows, _ = every_page(c, "/people.json", "people", size=200)
        page = c.get("/people").text
    waits = [r["waiting_since"] for r in rows if r["waiting_since"]]
    assert waits and waits == sorted(waits)
    assert all(r["waiting_since"] for r in rows[: len(waits)])  # nobody waiting after someone not waiting
    assert rows[0]["name"] == "列表000"
    assert "等待最久的排在最前" in page


def test_another_districts_search_finds_none_of_ours(paged_world):
    with web(paged_world, "jiangan") as c:
        wuchang_name = c.get("/people.json", params={"q": "列表武昌"}).json()
    with web(paged_world, "admin") as c:
        everyone = c.get("/people.json").json()
    assert wuchang_name["total"] == 0 and wuchang_name["people"] == []
    assert everyone["total"] == PEOPLE + WUCHANG_PEOPLE


def test_a_masked_roles_search_never_matches_an_id_or_a_phone(paged_world):
    with web(paged_world, "commander") as c:
        by_phone = c.get("/people.json", params={"q": "13900000003"}).json()
        by_name = c.get("/people.json", params={"q": "列表武昌"}).json()
    assert by_phone["total"] == 0 and by_phone["people"] == [] and by_phone["note"]
    assert by_name["total"] == WUCHANG_PEOPLE and {p["phone"] for p in by_name["people"]} != {None}
    assert not any(p["phone"].startswith("137000") for p in by_name["people"])  # masked


def test_the_command_screen_links_its_longest_waits_to_the_whole_list_in_that_order(paged_world):
    with web(paged_world, "dazhi") as c:
        screen = c.get("/command/420102002000").text
        waiting = c.get("/people.json", params={"placement": "waiting", "unit": "420102002000"}).json()
    assert 'href="/people?placement=waiting&amp;unit=420102002000"' in screen
    waits = [p["waiting_since"] for p in waiting["people"]]
    assert waiting["total"] == PEOPLE and waits == sorted(waits)  # contacts wait for a quarantine place too
