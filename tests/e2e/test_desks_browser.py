"""The desks in Chromium at 1440 px and on a 390 px phone (issue 14 §4): the facility desk's rows and the directives'
tables fit the screen with every action on it, a discharge is chosen and then confirmed, and the bed-count inputs
are named by their column and row. Screenshots: test-artifacts/desk-1440.png, desk-390.png, directives-1440.png,
directives-390.png."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, World, sign_in
from tests.e2e.test_desks_names import issue
from tests.e2e.test_desks_web import admitted_at_h1
from tests.factories import JIANGAN

pytestmark = pytest.mark.browser

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def signed_in(browser, world: World, username: str, viewport: dict):
    context = browser.new_context(base_url=world.url, viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    sign_in(page, username)
    return context, page


def no_sideways_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide at {width} px"


def on_screen(page, selector: str, width: int) -> int:
    """How many elements match; each must lie within the screen's width."""
    boxes = [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]
    for box in boxes:
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
    return len(boxes)


@pytest.fixture(scope="module")
def patients(world: World) -> dict[str, dict]:
    """One patient admitted at H1 and one on the way to it (bed reserved)."""
    inside = admitted_at_h1(world, "在院者")
    with world.client("jiangan") as c:
        pid = c.post(
            "/api/persons",
            json={
                "name": "待到者",
                "category": "confirmed",
                "severity": "severe",
                "unit_code": "420102002002",
                "phone": "13600000077",
            },
        ).json()["person"]["id"]
    with world.client("dispatcher") as c:
        item = next(a for a in c.get("/api/allocation/plan").json()["assignments"] if a["person"] == pid)
        c.post("/api/allocation/confirm", json={"items": [item]})
    return {"admitted": inside, "expected": {"id": pid}}


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1440", "390"])
def test_the_facility_desk_fits_the_screen_with_every_action_on_it(browser, world, patients, viewport):
    width = viewport["width"]
    context, page = signed_in(browser, world, "facility", viewport)
    page.goto("/facilities/H1")
    no_sideways_scroll(page, width)
    admitted = page.locator(f"#admitted tr[data-person='{patients['admitted']['id']}']")
    assert admitted.count() == 1
    assert on_screen(page, "#admitted tbody select, #admitted tbody button", width) >= 2
    assert on_screen(page, "#expected tbody button", width) >= 2
    assert on_screen(page, "#pools tbody input:not([type=hidden]), #pools tbody button", width) == 9
    row = admitted.bounding_box()
    assert row is not None and row["height"] < (90 if width == 390 else 60), row  # a card of a few lines, not a column
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"desk-{width}.png"), full_page=True)
    context.close()


def test_the_bed_count_inputs_are_named_by_their_column_and_row(browser, world):
    context, page = signed_in(browser, world, "facility", WIDE)
    page.goto("/facilities/H1")
    assert page.get_by_role("textbox", name="容量 重症床", exact=True).input_value() == "2"
    assert page.get_by_role("textbox", name="停用 重症监护床", exact=True).input_value() == "0"
    page.get_by_role("textbox", name="停用 普通病床", exact=True).fill("1")
    page.get_by_role("button", name="更新床位 普通病床").click()
    page.wait_for_load_state("load")
    assert page.locator("[role=status]").inner_text() == "床位数已更新"
    assert page.get_by_role("textbox", name="停用 普通病床", exact=True).input_value() == "1"
    page.get_by_role("textbox", name="停用 普通病床", exact=True).fill("0")
    page.get_by_role("button", name="更新床位 普通病床").click()
    context.close()


def test_a_discharge_is_chosen_then_confirmed_and_can_be_called_off(browser, world):
    person = admitted_at_h1(world, "出院者")
    context, page = signed_in(browser, world, "facility", PHONE)
    page.goto("/facilities/H1")
    row = page.locator(f"#admitted tr[data-person='{person['id']}']")
    assert row.locator("select").input_value() == ""
    row.locator("button.act-outcome").click()  # nothing chosen: the browser keeps the form (required)
    assert page.url.endswith("/facilities/H1") and row.count() == 1

    row.locator("select").select_option("dead")
    row.locator("button.act-outcome").click()
    page.wait_for_load_state("load")
    assert "确认为 出院者 办理“死亡”" in page.locator("#confirm-outcome").inner_text()
    page.click("#confirm-no")  # called off: back at the desk, nothing changed
    page.wait_for_load_state("load")
    assert page.locator(f"#admitted tr[data-person='{person['id']}']").count() == 1

    row = page.locator(f"#admitted tr[data-person='{person['id']}']")
    row.locator("select").select_option("recovered")
    row.locator("input[name=reason]").fill("两次核酸阴性")
    row.locator("button.act-outcome").click()
    page.wait_for_load_state("load")
    assert page.locator("#confirm-yes").inner_text() == "确认治愈出院"
    page.click("#confirm-yes")
    page.wait_for_load_state("load")
    assert page.locator("[role=status]").inner_text() == "已登记结局，床位已释放"
    assert page.locator(f"#admitted tr[data-person='{person['id']}']").count() == 0
    context.close()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1440", "390"])
def test_the_directives_fit_the_screen_with_acknowledge_and_complete_on_it(browser, world, viewport):
    width = viewport["width"]
    issue(world, f"全面排查辖区内发热病人并逐一登记上报（{width}）", JIANGAN)
    context, page = signed_in(browser, world, "jiangan", viewport)
    page.goto("/directives")
    no_sideways_scroll(page, width)
    assert on_screen(page, "#received button.act-ack", width) >= 1
    assert on_screen(page, "#received button.act-complete", width) >= 1
    assert "下达人：王忠 市指挥部副指挥长" in page.locator("#received").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"directives-{width}.png"), full_page=True)
    context.close()
    context, page = signed_in(browser, world, "commander", viewport)
    page.goto("/directives")
    no_sideways_scroll(page, width)
    context.close()
