"""A phone (390 px wide, Chromium): the navigation is a menu that opens on a tap, no navigation word is broken
across lines, the header takes at most two lines, and no page of the demo scrolls sideways for any demo user.

The demo city (one day played) is built once for the module. Each demo user signs in and walks the site breadth
first from `/` at 390 px, once per shape of address (the crawler's shapes), and every page is measured:
`document.scrollingElement.scrollWidth` must not exceed the viewport. Screenshots: test-artifacts/phone-390.png
(the command screen of the community user) and phone-menu-390.png (its menu open)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from admitall.clock import ManualClock
from admitall.services.context import cli_actor
from admitall.services.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from admitall.store.db import init_database
from tests.conftest import make_ctx
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_crawler_browser import DEMO_NOW, NOT_FOLLOWED, shapes
from tests.live_server import serving

pytestmark = pytest.mark.browser

WIDTH = 390
MAX_PAGES = 250
SKIPPED_SUFFIXES = (".json", ".csv", ".xlsx", ".pdf")
# how far a page reaches sideways, and the element that reaches furthest (to say what to fix)
MEASURE = """() => {
  const width = document.scrollingElement.scrollWidth;
  let widest = null, right = 0;
  if (width > window.innerWidth) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > right && r.width > 0 && !(el.parentElement && el.parentElement.closest('.scroll, svg'))) {
        right = r.right;
        const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim() : '';
        widest = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls;
      }
    }
  }
  return [width, widest, Math.round(right)];
}"""


@pytest.fixture(scope="module")
def demo_url(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("phone") / "demo.db"
    ctx = make_ctx(f"sqlite:///{path}", ManualClock(DEMO_NOW))
    init_database(ctx.engine)
    assert load_demo(ctx, cli_actor(), seed=7, days=1)["loaded"]
    with serving(ctx) as url:
        yield url
    ctx.engine.dispose()


def _phone(browser: Any, url: str, username: str, lang: str = "zh") -> tuple[Any, Any]:
    context = browser.new_context(
        base_url=url, viewport={"width": WIDTH, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url, username
    return context, page


def _links(page: Any, origin: str) -> Iterator[str]:
    for href in page.eval_on_selector_all("a[href]:not([download])", "els => els.map(a => a.href)"):
        target = urljoin(page.url, href).split("#", 1)[0]
        parts = urlsplit(target)
        if (
            parts.netloc == origin
            and not parts.path.startswith(NOT_FOLLOWED)
            and not parts.path.endswith(SKIPPED_SUFFIXES)
        ):
            yield target


@pytest.mark.parametrize(("lang", "alerts"), [("zh", "警报"), ("en", "Alerts")])
def test_the_navigation_is_a_menu_on_a_phone(browser, demo_url, lang, alerts):
    context, page = _phone(browser, demo_url, "community", lang)
    page.goto("/command")
    nav = page.locator("nav#nav-main")
    links = nav.locator("a")
    assert links.count() > 5
    assert not nav.is_visible(), "the navigation shows before the menu is opened"
    header = page.locator("header.top").bounding_box()
    line = page.locator(".brand").bounding_box()
    assert header is not None and line is not None
    assert header["height"] <= 2 * line["height"] + 40, f"the header takes {header['height']} px"
    ARTIFACTS.mkdir(exist_ok=True)
    if lang == "zh":
        page.screenshot(path=str(ARTIFACTS / "phone-390.png"))

    page.locator(".nav-button").click()
    assert nav.is_visible()
    one_line = None
    for i in range(links.count()):
        link = links.nth(i)
        assert link.is_visible(), link.inner_text()
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, link.inner_text()
        lines = link.evaluate("a => a.getClientRects().length")
        height = link.evaluate("a => a.getBoundingClientRect().height")
        one_line = one_line or height
        assert lines == 1 and height <= one_line * 1.2, f"{link.inner_text()} is broken across lines"
    if lang == "zh":
        page.screenshot(path=str(ARTIFACTS / "phone-menu-390.png"))
    assert page.evaluate("document.scrollingElement.scrollWidth") <= WIDTH, "the open menu scrolls sideways"
    with page.expect_navigation():
        links.filter(has_text=alerts).first.click()
    assert urlsplit(page.url).path == "/alerts"
    assert not page.locator("nav#nav-main").is_visible(), "the menu stays closed on the next page"
    context.close()


def test_the_menu_opens_from_the_keyboard(browser, demo_url):
    context, page = _phone(browser, demo_url, "dazhi")
    page.goto("/")
    page.locator("#nav-toggle").focus()
    page.keyboard.press("Space")
    assert page.locator("nav#nav-main").is_visible()
    context.close()


def test_the_navigation_is_a_line_of_links_on_a_desk(browser, demo_url):
    context = browser.new_context(base_url=demo_url, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", "commander")
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("nav#nav-main").is_visible()
    assert not page.locator(".nav-button").is_visible()
    context.close()


@pytest.mark.parametrize("username", [u.username for u in DEMO_USERS])
def test_no_page_scrolls_sideways_on_a_phone(browser, demo_url, username):
    context, page = _phone(browser, demo_url, username)
    origin = urlsplit(demo_url).netloc
    seen: set[str] = set(shapes("/"))
    queue: deque[str] = deque([demo_url + "/"])
    wide: list[str] = []
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        try:
            response = page.goto(url, wait_until="load")
        except Exception as e:  # a link to a download without the download attribute
            if "Download is starting" in str(e):
                continue
            raise
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited += 1
        width, widest, right = page.evaluate(MEASURE)
        if width > WIDTH:
            wide.append(f"{urlsplit(page.url).path}?{urlsplit(page.url).query}: {width} px ({widest} to {right})")
        for target in _links(page, origin):
            covers = shapes(target)
            if not covers <= seen:
                seen.update(covers)
                queue.append(target)
    context.close()
    assert visited > 10
    assert wide == [], "\n".join(wide)
