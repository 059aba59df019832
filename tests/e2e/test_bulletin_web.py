"""The public daily bulletin over real HTTP and in a real browser: it opens without signing in, shows exactly the
figures of its JSON twin, prints to PDF, moves between days, reads in English, and a bad day is a clear error page.

The world's three people were registered on 10 February (Wuhan time): 李四 confirmed and severe, 张三 suspected
(both in 江岸区), 王五 a close contact (武昌区). The clock is moved to the next morning, so 10 February is the latest
closed day."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import delete

from admitall.services import exports
from admitall.store.tables_security import printed_pdfs
from tests.e2e.conftest import ARTIFACTS
from tests.factories import JIANGAN, WUCHANG, id_number

DAY = "2020-02-10"


@pytest.fixture(scope="module", autouse=True)
def next_morning(world):
    world.clock.set(datetime(2020, 2, 11, 2, 0, tzinfo=UTC))  # 10:00 on 11 February in Wuhan


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"bulletin-{name}.png"), full_page=True)


def as_int(text: str) -> int:
    return int(text.strip().replace("−", "-").lstrip("+"))


def test_the_bulletin_and_its_json_are_public_and_hold_no_personal_data(world):
    with httpx.Client(base_url=world.url, timeout=30) as anonymous:
        page = anonymous.get("/bulletin")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "疫情每日通报" in page.text and f"统计截至 {DAY} 24时" in page.text
        data = anonymous.get(f"/bulletin/{DAY}.json").json()
        assert anonymous.get("/bulletin.json").json() == data
    assert data["day"] == DAY and data["next_day"] is None and data["previous_day"] is None  # the first record
    city = data["city"]["figures"]
    assert (city["new_confirmed"], city["existing_confirmed"], city["existing_severe"]) == (1, 1, 1)
    assert (city["existing_suspected"], city["existing_contact"], city["cumulative_dead"]) == (1, 1, 0)
    districts = {d["code"]: d["figures"] for d in data["districts"]}
    assert districts[JIANGAN]["existing_confirmed"] == 1 and districts[WUCHANG]["existing_contact"] == 1
    text = page.text + str(data)
    for secret in ("张三", "李四", "王五", id_number(), id_number(seq=2), "13812345678", "13900000002"):
        assert secret not in text


@pytest.mark.browser
def test_the_page_opens_without_signing_in_and_shows_exactly_the_json_figures(page, world):
    response = page.goto("/bulletin")
    assert response is not None and response.status == 200
    assert page.url.endswith("/bulletin") and page.locator("h1").inner_text() == "武汉市 疫情每日通报"
    data = httpx.get(f"{world.url}/bulletin/{DAY}.json", timeout=30).json()
    city = page.locator("#bulletin-city")
    for key, value in data["city"]["figures"].items():
        assert as_int(city.locator(f"td[data-figure='{key}']").inner_text()) == value, key
        assert as_int(city.locator(f"td[data-change='{key}']").inner_text()) == data["city"]["change"][key], key
    for tile in page.locator("#headline [data-figure]").all():
        assert as_int(tile.inner_text()) == data["city"]["figures"][tile.get_attribute("data-figure")]
    for district in data["districts"]:
        row = page.locator(f"#bulletin-districts tbody tr[data-unit='{district['code'] or 'other'}']")
        assert row.locator("th").inner_text() == district["name"]
        for key, value in district["figures"].items():
            assert as_int(row.locator(f"td[data-figure='{key}']").inner_text()) == value, (district["code"], key)
    for bed in data["beds"]:
        row = page.locator(f"#bulletin-beds tr[data-bed='{bed['bed_type']}']")
        for col in ("capacity", "occupied", "free"):
            assert as_int(row.locator(f"td[data-col='{col}']").inner_text()) == bed[col], (bed["bed_type"], col)
    assert page.locator("#bulletin-districts caption").inner_text() == "各区情况"
    assert page.locator("#bulletin-beds th[scope=col]").count() == 4
    assert page.locator("footer a").get_attribute("href") == f"/bulletin/{DAY}.json"
    assert page.locator("header.top nav").count() == 0  # nobody is signed in: no menu of the command pages
    shot(page, "day")
    page.emulate_media(media="print")
    assert not page.locator("#bulletin-form").is_visible() and page.locator("#bulletin-districts").is_visible()
    page.emulate_media(media="screen")


@pytest.mark.browser
def test_there_is_no_bulletin_before_the_first_record_and_the_picker_says_so(page, world):
    page.goto(f"/bulletin/{DAY}")
    assert page.locator("#next-day").count() == 0  # the next day is not over
    assert page.locator("#previous-day").count() == 0  # nobody was registered the day before
    page.fill("#bulletin-day", "2020-02-09")
    page.click("#bulletin-form button[type=submit]")
    assert page.url.endswith("/bulletin/2020-02-09")
    assert "尚无任何登记记录" in page.locator("main").inner_text() and "Traceback" not in page.content()
    assert page.goto("/bulletin/2020-02-09").status == 422
    page.goto(f"/bulletin?day={DAY}")
    assert page.url.endswith(f"/bulletin/{DAY}")
    assert page.locator("#bulletin").get_attribute("data-day") == DAY


@pytest.mark.browser
def test_the_bulletin_reads_on_a_phone_and_in_english(browser, world):
    context = browser.new_context(base_url=world.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    context.add_cookies([{"name": "lang", "value": "en", "url": world.url}])
    page = context.new_page()
    page.goto(f"/bulletin/{DAY}")
    assert page.locator("h1").inner_text() == "武汉市 Daily outbreak bulletin"
    assert page.locator("#bulletin-city th[scope=row]").first.inner_text() == "New confirmed"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # wide tables scroll inside their box, not the page
    shot(page, "phone-en")
    context.close()


def forget_printed(world) -> None:
    """Empty the store of printed PDFs (services.printing), so that the next request prints."""
    with world.ctx.engine.begin() as conn:
        conn.execute(delete(printed_pdfs))


def test_the_pdf_is_printed_by_the_servers_chromium(world):
    if exports.chromium() is None:
        pytest.skip("no chromium on this machine: the PDF endpoint answers 503 (see the error test)")
    response = httpx.get(f"{world.url}/bulletin/{DAY}.pdf", timeout=90)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bulletin.pdf").write_bytes(response.content)


def test_a_kept_days_pdf_is_printed_once_not_for_every_reader(world, monkeypatch):
    if exports.chromium() is None:
        pytest.skip("no chromium to print with")
    forget_printed(world)
    first = httpx.get(f"{world.url}/bulletin/{DAY}.pdf", timeout=90)
    monkeypatch.setattr(exports, "chromium", lambda: None)  # printing again would now fail
    again = httpx.get(f"{world.url}/bulletin/{DAY}.pdf", timeout=30)
    assert first.status_code == again.status_code == 200 and again.content == first.content


def test_without_chromium_the_pdf_is_a_clear_503(world, monkeypatch):
    monkeypatch.setattr(exports, "chromium", lambda: None)  # the server runs in this process
    forget_printed(world)  # nothing printed before
    response = httpx.get(f"{world.url}/bulletin/{DAY}.pdf", timeout=30)
    assert response.status_code == 503 and 'data-code="pdf.no_browser"' in response.text
    assert "未安装 Chromium" in response.text


def test_a_bad_or_unfinished_day_is_a_clear_error_and_never_a_stack_trace(world):
    with httpx.Client(base_url=world.url, timeout=30) as anonymous:
        bad = anonymous.get("/bulletin/2020-02-31")
        assert bad.status_code == 422 and 'data-code="bulletin.bad_day"' in bad.text
        assert "日期格式应为 YYYY-MM-DD" in bad.text and "Traceback" not in bad.text
        today = anonymous.get("/bulletin/2020-02-11")
        assert today.status_code == 422 and "尚未结束" in today.text and "最近一期是 2020-02-10" in today.text
        twin = anonymous.get("/bulletin/not-a-day.json")
        assert twin.status_code == 422 and twin.json()["error"]["code"] == "bulletin.bad_day"
        picked = anonymous.get("/bulletin", params={"day": "2020-02-09"}, follow_redirects=False)
        assert picked.status_code == 303 and picked.headers["location"] == "/bulletin/2020-02-09"
        assert anonymous.get("/bulletin/2020-02-31.pdf").status_code == 422
    with httpx.Client(base_url=world.url, timeout=30, cookies={"lang": "en"}) as english:
        today = english.get("/bulletin/2020-02-11")
        assert today.status_code == 422 and "is not over yet" in today.text and "The latest is 2020-02-10" in today.text


@pytest.mark.browser
def test_the_error_page_for_a_bad_day_shows_the_message(page, world):
    response = page.goto("/bulletin/2020-13-01")
    assert response is not None and response.status == 422
    assert "日期格式应为 YYYY-MM-DD" in page.locator("[role=alert]").inner_text()
    shot(page, "bad-day")
