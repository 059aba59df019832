"""The wall display (`/command?kiosk=1`, named in the README) in a browser at 1920×1080: the redirect keeps how it
was asked for, the whole screen fits without scrolling, the map on the left and the key figures beside it on the
right, and every link keeps the wall display; screenshot for review."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import ARTIFACTS
from tests.factories import CITY, JIANGAN, PASSWORD

pytest_plugins = ["tests.e2e.map_city"]  # the served city


def test_the_redirect_to_the_user_s_own_screen_keeps_the_wall_display_the_map_and_the_refresh(map_city):
    with httpx.Client(base_url=map_city.url, timeout=30) as client:
        token = client.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
        client.post("/login", data={"username": "jiangan", "password": PASSWORD, "login_csrf": token, "next": "/"})
        moved = client.get("/command?kiosk=1&map=occupancy&refresh=60&other=x")
        assert moved.status_code == 303
        assert moved.headers["location"] == f"/command/{JIANGAN}?kiosk=1&map=occupancy&refresh=60"
        assert client.get("/command").headers["location"] == f"/command/{JIANGAN}"


def test_the_wall_display_fits_one_screen_with_the_map_and_the_figures_side_by_side(browser, map_city):
    context = browser.new_context(base_url=map_city.url, viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        page.goto("/")
        page.fill("#username", "commander")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        page.goto("/command?kiosk=1")
        assert page.url.endswith(f"/command/{CITY}?kiosk=1")
        assert "kiosk" in (page.get_attribute("body", "class") or "")
        assert page.evaluate("document.scrollingElement.scrollHeight") <= 1080
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 1920
        map_box = page.locator("#command-map").bounding_box()
        assert map_box is not None
        assert map_box["x"] < 100 and map_box["x"] + map_box["width"] <= 1000  # the left half
        assert map_box["height"] > 700  # and most of its height
        for section in ("#s-categories", "#s-backlog", "#s-beds", "#s-chain", "#s-alerts"):
            box = page.locator(section).bounding_box()
            assert box is not None and box["x"] >= 960, section  # the right half
            assert box["y"] + box["height"] <= 1080, section
        # the wall keeps itself: every unit's link stays on the wall display
        hrefs = page.eval_on_selector_all("#command-map a", "els => els.map(e => e.getAttribute('href'))")
        assert len(hrefs) == 13 and all(h.endswith("?kiosk=1") for h in hrefs)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "wall-1920.png"))
    finally:
        context.close()
