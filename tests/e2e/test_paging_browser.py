"""The officials page in a real browser at 1440 px: 50 officials of the whole, the pager saying so, a page of
bounded height that does not scroll sideways, and a next link that goes on from row 51 and keeps the search."""

from __future__ import annotations

from tests.e2e.conftest import ARTIFACTS, browser, sign_in
from tests.e2e.lists_world import OFFICIALS, paged_world

__all__ = ["browser", "paged_world"]


def _open(browser, world):
    context = browser.new_context(base_url=world.url, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    sign_in(page, "jiangan")
    return context, page


def test_the_officials_page_is_one_page_of_fifty_with_a_next_link_that_works(browser, paged_world):
    context, page = _open(browser, paged_world)
    try:
        page.goto("/officials")
        assert page.locator("#officials tbody tr").count() == 50
        assert page.locator("nav.pager .pager-count").first.inner_text() == f"第 1–50 条，共 {OFFICIALS} 条"
        width, height = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert width <= 1440 and height < 8000, (width, height)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "lists-officials-1440.png"), full_page=True)
        first = page.locator("#officials tbody tr").first.get_attribute("data-official")
        page.locator("nav.pager a[rel=next]").first.click()
        page.wait_for_load_state("load")
        assert "page=2" in page.url
        assert page.locator("nav.pager .pager-count").first.inner_text() == f"第 51–100 条，共 {OFFICIALS} 条"
        assert page.locator("#officials tbody tr").count() == 50
        assert page.locator(f'#officials tr[data-official="{first}"]').count() == 0
        page.locator("nav.pager a[rel=prev]").first.click()
        page.wait_for_load_state("load")
        assert page.locator("#officials tbody tr").first.get_attribute("data-official") == first
    finally:
        context.close()


def test_a_search_in_the_browser_pages_what_it_found(browser, paged_world):
    context, page = _open(browser, paged_world)
    try:
        page.goto("/officials")
        page.fill("#officials-q", "书记")
        page.locator("#officials-search button[type=submit]").click()
        page.wait_for_load_state("load")
        count = page.locator("nav.pager .pager-count").first.inner_text()
        assert count.startswith("第 1–50 条，共 ") and page.locator("#officials tbody tr").count() == 50
        page.locator("nav.pager a[rel=next]").first.click()
        page.wait_for_load_state("load")
        assert "q=" in page.url and "page=2" in page.url
        assert all("书记" in t for t in page.locator("#officials tbody tr td:nth-child(2)").all_inner_texts())
    finally:
        context.close()
