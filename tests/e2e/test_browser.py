"""The pages in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


def test_an_officer_signs_in_and_finds_a_person(page, world):
    sign_in(page, "dazhi")
    assert page.locator("h1").first.inner_text().startswith("大智街道")
    page.click("text=人员")
    page.fill("#q", "李四")
    page.click("form[role=search] button")
    rows = page.locator("#people tbody tr")
    assert rows.count() == 1
    rows.first.locator("a").click()
    page.wait_for_load_state("load")
    assert "李四" in page.locator("h1").inner_text()
    assert page.locator("#phone").inner_text() == "13900000002"
    assert page.locator("#history tbody tr").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "person.png"), full_page=True)


def test_a_wrong_password_is_said_on_the_page(page):
    page.goto("/login")
    page.fill("#username", "dazhi")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()


def test_the_commander_sees_masked_numbers_and_english_is_complete(page, world):
    sign_in(page, "commander")
    page.click("text=English")
    page.goto(f"/people/{world.ids['li']}")
    assert page.locator("#phone").inner_text() == "139****0002"
    assert "Personal data is masked" in page.content()
    assert page.locator("button", has_text="Sign out").count() == 1


def test_an_officer_reclassifies_on_the_person_page(page, world):
    sign_in(page, "dazhi")
    page.goto(f"/people/{world.ids['zhang']}")
    page.select_option("#to", "confirmed")
    page.select_option("#rc-severity", "moderate")
    page.fill("#rc-reason", "核酸阳性")
    page.click("form[action$=reclassify] button")
    page.wait_for_load_state("load")
    assert page.locator("[role=status]").count() == 1
    assert "核酸阳性" in page.locator("#history").inner_text()


def test_an_impossible_change_is_refused_with_the_rule_on_the_page(page, world):
    sign_in(page, "dazhi")
    page.goto(f"/people/{world.ids['li']}")
    page.select_option("#to", "contact")
    page.fill("#rc-reason", "试试")
    page.click("form[action$=reclassify] button")
    assert "confirmed_stays_confirmed" in page.locator("[role=alert]").inner_text()


def test_the_registration_form_works_on_a_phone(browser, world):
    context = browser.new_context(base_url=world.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in(page, "dazhi")
    page.goto("/people/new")
    page.fill("#f-name", "郑十")
    page.select_option("#f-category", "fever")
    page.fill("#f-unit_code", "420102002002")
    page.fill("#f-phone", "13700000010")
    page.click("form.stack button")
    page.wait_for_load_state("load")
    assert "郑十" in page.locator("h1").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "registered-phone.png"), full_page=True)
    context.close()


def test_an_officer_imports_a_list_in_the_browser_and_sees_every_row_accounted_for(page, world, tmp_path):
    path = tmp_path / "名单.csv"
    path.write_bytes(
        "姓名,手机号,类别,社区编码\n上传甲,13600000001,密接,420102002001\n上传乙,123,密接,420102002001\n".encode(
            "gb18030"
        )
    )
    sign_in(page, "dazhi")
    page.click("text=导入")
    page.set_input_files("#persons-file", str(path))
    page.click("#upload-persons")
    page.wait_for_load_state("load")
    assert page.locator("[data-figure=rows]").inner_text() == "2"
    assert page.locator("[data-figure=accepted]").inner_text() == "1"
    assert page.locator("[data-figure=rejected]").inner_text() == "1"
    assert "联系电话" in page.locator("#rejections").inner_text()  # the field in the page's language (issue 14)
    # a street officer manages no facilities
    assert page.locator("#facilities-file").count() == 0
