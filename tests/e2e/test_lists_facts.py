"""The facts behind a scorecard's figure page with their whole count: no cap of 500 shown of more; each page goes
on where the last stopped; the API pages them the same way."""

from __future__ import annotations

from tests.e2e.lists_world import PEOPLE, every_page, paged_world, web
from tests.factories import DAZHI_1

__all__ = ["paged_world"]
WINDOW = {"kinds": "identified", "unit": DAZHI_1, "start": "2020-02-01", "end": "2020-02-06"}


def test_every_page_of_facts_together_is_every_fact_once(paged_world):
    with paged_world.client("jiangan") as c:
        rows, total = every_page(c, "/api/scorecards/facts", "facts", size=40, **WINDOW)
    refs = [f["ref"] for f in rows]
    assert total == len(refs) == len(set(refs)) == PEOPLE


def test_the_facts_page_shows_fifty_and_says_of_how_many(paged_world):
    with web(paged_world, "jiangan") as c:
        html = c.get("/scorecards/facts", params={**WINDOW, "page": 3}).text
    assert f"第 101–{PEOPLE} 条，共 {PEOPLE} 条" in html
    assert html.count('class="person"') == PEOPLE - 100
    assert "page=2" in html and "kinds=identified" in html
