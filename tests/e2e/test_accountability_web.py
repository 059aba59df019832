"""Responsibility and accountability in the browser: an official's desk, directives issued, acknowledged and
completed, the ranking and its workbook, a flag's facts, the printable brief and its PDF, the officials page, the
same pages in English, and the refusals.

The tests share one world (a module-scoped server), so they run in order: the directives issued early are the
ones acknowledged and refused later, and the day's scorecards are stored before the ranking is read."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from admitall.services.scorecards import store_day
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import DAZHI_1, DAZHI_2, JIANGAN, WUCHANG

TOLD = "完成全部发热病人排查并上报"
MEASURED = "清零待收治人员"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"acc-{name}.png"), full_page=True)


def signed_in(browser, world, username: str, **options):
    context = browser.new_context(base_url=world.url, **{"viewport": {"width": 1280, "height": 900}, **options})
    page = context.new_page()
    sign_in(page, username)
    return context, page


def alert_text(page) -> str:
    return page.locator("[role=alert]").inner_text()


@pytest.mark.browser
def test_a_community_official_reads_their_desk_on_a_phone(browser, world):
    context, page = signed_in(browser, world, "community", viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto("/me")
    assert page.locator("h1").inner_text().startswith("我的工作台 · 刘幸")
    assert page.locator(f"#my-units li[data-unit='{DAZHI_1}']").inner_text().startswith("幸福社区")
    score = page.locator("#my-score")
    assert "我的得分" in score.locator("h2").first.inner_text()
    assert score.locator("section[data-day]").count() == 2  # today and yesterday
    assert score.locator("#components-today tbody tr").count() == 7
    assert "收治率" in score.locator("#components-today").inner_text()
    assert "得分如何计算" in score.locator("#explain").inner_text()
    assert page.locator("footer a").get_attribute("href") == "/api/me/desk"
    shot(page, "my-desk-phone")
    context.close()


@pytest.mark.browser
def test_a_user_who_is_not_an_official_is_told_so(page, world):
    sign_in(page, "analyst")
    response = page.goto("/me")
    assert response is not None and response.status == 404
    assert page.locator("#not-official [role=alert]").get_attribute("data-code") == "official.not_you"
    assert "没有关联干部身份" in alert_text(page)
    assert page.locator("nav a[href='/me']").count() == 0


@pytest.mark.browser
def test_the_commander_issues_a_directive_and_the_district_acknowledges_and_completes_it(browser, world):
    context, page = signed_in(browser, world, "commander")
    page.goto("/directives")
    page.fill("#title", TOLD)
    page.fill("#body", "今日18时前完成辖区内发热病人全面排查")
    page.fill("#due_at", "2020-02-10T18:00")
    page.select_option("#units", JIANGAN)
    page.select_option("#target_kind", "reported")
    page.click("#issue-submit")
    page.wait_for_load_state("load")
    assert page.locator("[role=status]").inner_text() == "指令已下达"
    issued = page.locator("#issued tr", has_text=TOLD)
    assert issued.locator("[data-count=open]").inner_text().endswith("1")
    shot(page, "directives-issued")

    district, desk = signed_in(browser, world, "jiangan")
    desk.goto("/me")
    row = desk.locator("#todo tr", has_text=TOLD)
    assert "由接收单位报告完成" in row.inner_text() and "2020-02-10 18:00" in row.inner_text()
    row.locator("button.act-ack").click()
    desk.wait_for_load_state("load")
    assert desk.locator("[role=status]").inner_text() == "已签收"
    row = desk.locator("#todo tr", has_text=TOLD)
    assert row.get_attribute("data-status") == "acknowledged"
    shot(desk, "my-desk-directive")
    row.locator("input[name=note]").fill("已排查发热病人112名，全部登记")
    row.locator("button.act-complete").click()
    desk.wait_for_load_state("load")
    assert desk.locator("[role=status]").inner_text() == "已报告完成"
    assert desk.locator("#todo tr", has_text=TOLD).count() == 0
    district.close()

    page.goto("/directives")
    issued = page.locator("#issued tr", has_text=TOLD)
    assert issued.locator("[data-count=completed]").inner_text().endswith("1")
    issued.locator("summary").click()
    assert "已排查发热病人112名" in issued.locator(f"li[data-unit='{JIANGAN}']").inner_text()
    context.close()


@pytest.mark.browser
def test_a_measurable_directive_is_refused_as_done_while_people_still_wait(browser, world):
    context, page = signed_in(browser, world, "commander")
    page.goto("/directives")
    page.fill("#title", MEASURED)
    page.fill("#due_at", "2020-02-10T20:00")
    page.fill("#unit_codes", JIANGAN)
    page.select_option("#target_kind", "none_waiting")
    page.click("#issue-submit")
    page.wait_for_load_state("load")
    assert "危重型" not in page.locator("#issued tr", has_text=MEASURED).inner_text()  # any class
    context.close()

    context, page = signed_in(browser, world, "jiangan")
    page.goto("/directives")
    row = page.locator("#received tr", has_text=MEASURED)
    row.locator("input[name=note]").fill("已全部收治")
    row.locator("button.act-complete").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "出错了 (409)"
    assert "系统显示尚未达到完成标准" in alert_text(page) and "仍有 2 人待收治" in alert_text(page)
    shot(page, "directive-refused")
    page.goto("/directives")
    assert page.locator("#received tr", has_text=MEASURED).get_attribute("data-status") == "open"
    context.close()


@pytest.mark.browser
def test_the_analyst_sees_no_issue_form_and_posting_it_is_refused(page, world):
    sign_in(page, "analyst")
    page.goto("/directives")
    assert page.locator("#issue-form").count() == 0
    assert page.locator("#issued tr", has_text=TOLD).count() == 1  # the analyst reads, never orders
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    form = {"csrf_token": token, "title": "越权指令", "due_at": "2020-02-10T18:00", "units": JIANGAN}
    with page.expect_navigation():
        page.evaluate(
            """fields => {
                const form = Object.assign(document.createElement('form'), {method: 'post', action: '/directives'});
                for (const [name, value] of Object.entries(fields)) {
                    form.appendChild(Object.assign(document.createElement('input'), {name, value}));
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            form,
        )
    assert page.locator("[role=alert]").get_attribute("data-code") == "forbidden.role"
    assert "您的账号（分析员）不能下达指令" in alert_text(page)
    shot(page, "directive-forbidden")
    with world.client("commander") as c:
        titles = [d["title"] for d in c.get("/api/directives").json()["issued"]]
    assert "越权指令" not in titles


@pytest.mark.browser
def test_the_ranking_shows_the_districts_and_downloads_as_a_workbook(page, world):
    store_day(world.ctx, world.clock.now().astimezone(world.ctx.settings.tz).date())
    sign_in(page, "commander")
    page.goto("/scorecards/ranking?level=district")
    assert page.locator("h1").inner_text().startswith("红黑榜")
    table = page.locator("#ranking")
    assert table.locator(f"tr[data-subject='{JIANGAN}']").inner_text().startswith("1")
    assert "江岸区" in table.inner_text() and "武昌区" in table.inner_text()
    assert page.locator(f"#black-list tr[data-subject='{WUCHANG}']").count() == 1  # no one placed: a low score
    assert page.locator("#ranking-state").count() == 1
    shot(page, "ranking")
    with page.expect_download() as download:
        page.click("#xlsx")
    assert download.value.suggested_filename == "scorecards-unit-district-2020-02-10.xlsx"
    saved = ARTIFACTS / "acc-ranking.xlsx"
    download.value.save_as(saved)
    workbook = load_workbook(saved)
    names = [row[2] for row in workbook["排名"].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(["江岸区", "武昌区"])
    assert {"排名", "红榜", "黑榜", "计分方法"} <= set(workbook.sheetnames)


@pytest.mark.browser
def test_a_flag_on_the_unit_scorecard_links_to_its_facts(page, world):
    sign_in(page, "commander")
    page.goto(f"/scorecards/units/{JIANGAN}")
    assert page.locator("h1").inner_text().startswith("评分卡 · 江岸区")
    assert "已存档" in page.locator("#window").inner_text()
    assert page.locator("#components tbody tr").count() == 7
    assert page.locator("#leads").inner_text().startswith("干部")
    assert page.locator("#children a").count() == 2  # the two streets, to drill down
    shot(page, "scorecard-unit")
    flag = page.locator("li.flag[data-flag=review]").first
    flag.locator("a.facts-link").click()
    page.wait_for_load_state("load")
    assert "/scorecards/facts" in page.url and f"unit={JIANGAN}" in page.url
    assert page.locator("h1").inner_text() == "事实明细"
    facts = page.locator("#facts")
    assert facts.locator("tbody tr").count() >= 2
    assert facts.locator("a.person", has_text="张三").count() >= 1
    shot(page, "facts")
    page.click("#back-to-card")
    page.locator("#leads a").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith("干部评分卡 · 李江")
    assert page.locator(f"#units-led tr[data-unit='{JIANGAN}']").count() == 1


@pytest.mark.browser
def test_the_daily_brief_prints_on_a4_and_downloads_as_pdf(page, world):
    sign_in(page, "commander")
    page.goto("/briefs/daily")
    assert page.locator("h1").inner_text() == "每日问责简报"
    assert "江岸区" in page.locator("#ranking-district").inner_text()
    assert page.locator("#brief-vacancies").count() == 1
    shot(page, "brief")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible() and not page.locator("#brief-form").is_visible()
    page.emulate_media(media="screen")
    response = page.request.get(page.locator("#pdf").get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "acc-brief.pdf").write_bytes(body)


@pytest.mark.browser
def test_a_community_worker_cannot_open_another_communitys_scorecard(page, world):
    sign_in(page, "community")
    response = page.goto(f"/scorecards/units/{DAZHI_2}")
    assert response is not None and response.status == 404
    assert "找不到单位" in alert_text(page)
    response = page.goto(f"/scorecards/units/{DAZHI_1}")
    assert response is not None and response.status == 200


@pytest.mark.browser
def test_the_commander_registers_an_official_and_hands_a_community_over(page, world):
    sign_in(page, "commander")
    page.goto("/officials")
    assert "李江" in page.locator("#officials").inner_text()
    assert page.locator("#no-vacancies").count() == 1
    page.fill("#o-name", "何新")
    page.fill("#o-title", "社区书记")
    page.fill("#o-home", DAZHI_2)
    page.click("#add-official-submit")
    page.wait_for_load_state("load")
    assert page.locator("[role=status]").inner_text() == "干部已登记"
    page.fill("#l-unit", DAZHI_2)
    option = page.locator("#l-official option", has_text="何新")
    page.select_option("#l-official", option.get_attribute("value"))
    page.fill("#l-reason", "原书记调任")
    page.click("#assign-lead-submit")
    page.wait_for_load_state("load")
    assert page.locator("[role=status]").inner_text() == "负责人已指定"
    assert page.locator("#officials tr", has_text="何新").locator(f"[data-lead='{DAZHI_2}']").count() == 1
    shot(page, "officials")
    with world.client("commander") as c:
        history = c.get(f"/api/units/{DAZHI_2}/leads").json()["history"]
    ended = {h["official_name"]: h["ends_at"] for h in history}
    assert set(ended) == {"陈和", "何新"} and ended["陈和"] is not None and ended["何新"] is None


@pytest.mark.browser
def test_the_pages_read_in_english(page, world):
    sign_in(page, "jiangan")
    page.click("text=English")
    page.goto("/me")
    assert page.locator("h1").inner_text().startswith("My desk")
    assert "How the score is computed" in page.locator("#explain").inner_text()
    page.goto("/directives")
    assert page.locator("h1").inner_text() == "Directives"
    assert "completed" in page.locator("#received tr", has_text=TOLD).inner_text()
    assert "nobody left waiting" in page.locator("#received tr", has_text=MEASURED).inner_text()
    page.goto(f"/scorecards/units/{JIANGAN}")
    assert page.locator("h1").inner_text().startswith("Scorecard")
    assert "Placement" in page.locator("#components").inner_text()
    shot(page, "scorecard-en")
    page.goto("/scorecards/ranking")
    assert page.locator("h1").inner_text().startswith("Ranking: commended and for review")
    assert "大智街道" in page.locator("#ranking").inner_text()  # the streets below the district
    page.goto("/briefs/daily")
    assert page.locator("h1").inner_text() == "Daily accountability brief"
    shot(page, "brief-en")
    page.goto("/officials")
    assert page.locator("h1").inner_text() == "Officials and the units they lead"
    page.goto(f"/scorecards/facts?kinds=demand&unit={JIANGAN}")
    assert "needed a bed" in page.locator("#facts").inner_text()
