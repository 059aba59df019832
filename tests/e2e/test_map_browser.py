"""The command screen's real map in a browser: the city's 13 districts drawn by their boundaries, each a named link
with its value, a legend of real breaks; a click opens the district, whose streets (no boundary of their own) are
points inside its outline; the map's colouring is kept from screen to screen; a district officer's map stops at the
district; screenshots at 1440 and 390 px."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.factories import CITY, JIANGAN, PASSWORD

pytest_plugins = ["tests.e2e.map_city"]  # the served city
JIANGAN_STREETS = 17


def signed_in(browser, url: str, username: str, width: int, height: int = 900):
    context = browser.new_context(base_url=url, viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto("/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return context, page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_the_city_screen_is_a_map_of_its_districts_and_a_click_opens_one_whose_streets_are_points(browser, map_city):
    context, page = signed_in(browser, map_city.url, "commander", 1440)
    try:
        assert page.url.endswith(f"/command/{CITY}")
        figure = page.locator("#command-map")
        expect(figure.locator("svg.choropleth")).to_be_visible()
        links = figure.locator("svg a")
        assert links.count() == 13
        assert figure.locator("svg a path").count() == 13
        # each district a link to its own screen, named with its value for those who cannot see the colours
        jiangan = figure.locator(f"svg a[href='/command/{JIANGAN}']")
        assert re.fullmatch(r"江岸区：待收治 9 · [\d.]+/万人", jiangan.get_attribute("aria-label") or "")
        names = page.eval_on_selector_all("#command-map svg text", "els => els.map(e => e.firstChild.textContent)")
        assert len(names) >= 10 and len(set(names)) == len(names)
        # the legend: a class of its own for 0, real breaks, the unit; not "≤ 0" and "> 0"
        legend = [li.inner_text() for li in figure.locator("ul.legend li").all()]
        assert legend[0] == "0/万人" and legend[-1] == "无数据" and len(legend) >= 4
        assert not any("≤" in x for x in legend)
        shot(page, "city-1440.png")
        jiangan.click()
        page.wait_for_url(f"**/command/{JIANGAN}")
        district = page.locator("#command-map svg")
        assert district.locator("path.backdrop").count() == 1  # the district's outline
        assert district.locator("a circle").count() == JIANGAN_STREETS
        assert district.locator("a path").count() == 0
        assert "没有边界" in page.locator("#command-map").inner_text()
        # the colouring chosen is kept when opening another unit
        page.click("#s-map a[href*='map=occupancy']")
        page.wait_for_url("**map=occupancy")
        href = district.locator("a").first.get_attribute("href") or ""
        assert href.endswith("?map=occupancy")
    finally:
        context.close()


def test_on_a_phone_the_map_fits_the_screen_and_every_district_can_be_reached(browser, map_city):
    context, page = signed_in(browser, map_city.url, "commander", 390, 844)
    try:
        page.goto(f"/command/{CITY}")
        box = page.locator("#command-map svg.choropleth").bounding_box()
        assert box is not None and box["width"] <= 390
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
        assert page.locator("#command-map svg.choropleth a").count() == 13
        page.locator("#s-map").scroll_into_view_if_needed()
        shot(page, "city-390.png")
    finally:
        context.close()


def test_a_district_officer_s_map_is_the_district_and_the_city_s_is_not_found(map_city):
    with httpx.Client(base_url=map_city.url, timeout=30) as client:
        token = client.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
        client.post("/login", data={"username": "jiangan", "password": PASSWORD, "login_csrf": token, "next": "/"})
        city = client.get(f"/command/{CITY}")
        assert city.status_code == 404
        own = client.get(f"/command/{JIANGAN}")
        assert own.status_code == 200
        drawn = own.text.split('id="command-map"')[1].split("</figure>")[0]
        assert 'class="backdrop"' in drawn and drawn.count("<circle") == JIANGAN_STREETS
        twin = client.get(f"/command/{JIANGAN}.json").json()
        assert all(r["boundary"] is False for r in twin["map"])
        assert "coordinates" not in str(twin)  # the twin holds the figures, not the shapes


def test_the_figures_say_what_they_are_compared_with_in_both_languages(map_city):
    with httpx.Client(base_url=map_city.url, timeout=30, follow_redirects=True) as client:
        token = client.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
        client.post("/login", data={"username": "commander", "password": PASSWORD, "login_csrf": token, "next": "/"})
        zh = client.get(f"/command/{CITY}").text
        tiles = zh.split('id="s-categories"')[1].split("</section>")[0]
        assert tiles.count("前24小时 <span") == 4  # "24小时新增 45 ▲ 前24小时 0": the second figure is labelled
        drawn = zh.split('id="command-map"')[1].split("</figure>")[0]
        assert "每万人待收治人数" in drawn and "per 10k" not in drawn and "waiting" not in drawn
        client.get("/lang/en", params={"next": f"/command/{CITY}"})
        en = client.get(f"/command/{CITY}").text
        tiles = en.split('id="s-categories"')[1].split("</section>")[0]
        assert tiles.count("the 24 h before: <span") == 4
        drawn = en.split('id="command-map"')[1].split("</figure>")[0]
        assert "Waiting per 10,000 residents" in drawn and "per 10k" in drawn and "nothing to measure" in drawn
        assert "万人" not in drawn and "待收治" not in drawn
