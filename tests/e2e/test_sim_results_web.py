"""The digital twin's results in the browser: a commander finds a recorded run from the menu, reads its charts
(SVG drawn by the server, each with its figures as a table) and headline figures (the same as its JSON twin),
downloads its CSV, compares it with a variant and sees the difference in deaths while waiting; the same pages in
English; an unknown run."""

from __future__ import annotations

import pytest

from admitall.services import simulations
from admitall.services.context import cli_actor
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.sim_results import small_run, variant

CHANGE = "facilities.DH-HSS.opens=2020-01-25"
RUN_CHARTS = ("chart-queue", "chart-past-sla", "chart-flows", "chart-deaths", "chart-reports")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"sim-{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def runs(world):
    """A real run of the small scenario, and a variant of it with two deaths while waiting."""
    real = small_run()
    worse = variant(real, CHANGE, deaths_waiting={20: 1, 30: 1}, past_sla={h: 2 for h in range(10, 30)})
    return {
        "a": simulations.record_run(world.ctx, cli_actor(), real),
        "b": simulations.record_run(world.ctx, cli_actor(), worse),
        "real": real,
    }


def figure(page, selector: str) -> float | None:
    text = page.locator(selector).inner_text().strip().replace(",", "")
    return None if text == "—" else float(text)


@pytest.mark.browser
def test_a_commander_opens_a_recorded_run_and_reads_its_charts_and_figures(page, world, runs):
    sign_in(page, "commander")
    page.click("nav a[href='/sim']")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "模拟推演结果"
    assert page.locator(f"#runs tr[data-run='{runs['b']}']").inner_text().count(CHANGE) == 1
    page.click(f"#runs tr[data-run='{runs['a']}'] td >> nth=0 >> a")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/sim/runs/{runs['a']}")
    assert page.locator("h1").inner_text().startswith(f"模拟运行 #{runs['a']} · 小城演练")
    stored = page.request.get(f"/api/sim/runs/{runs['a']}").json()  # the page's JSON twin, on the same session
    assert page.locator("footer a").get_attribute("href") == f"/api/sim/runs/{runs['a']}"
    assert page.locator("#run-seed").inner_text() == str(stored["scenario"]["seed"])
    for key in ("deaths_waiting", "identified", "confirmed", "admitted", "deaths", "peak_past_sla", "waiting_at_end"):
        assert figure(page, f"#summary [data-key={key}] .n") == stored["summary"][key], key
    assert figure(page, "#summary [data-key=hours_to_clear_backlog] .n") == stored["summary"]["hours_to_clear_backlog"]

    for chart in RUN_CHARTS:
        svg = page.locator(f"#{chart} svg[role=img]")
        assert svg.count() == 1, chart
        assert svg.get_attribute("aria-label") == svg.locator("title").first.text_content()
        assert svg.locator("desc").first.text_content()
        assert svg.locator("path").count() >= 1
    beds = {b for day in stored["daily"] for b in day["beds"]}
    assert page.locator("#beds-charts svg[role=img]").count() == len(beds)
    # the figures behind a chart, as a table under it
    page.click("#chart-flows summary")
    table = page.locator("#chart-flows-table")
    assert table.locator("tbody tr").count() == len(stored["daily"])
    first = table.locator("tbody tr").first.locator("td")
    assert [int(first.nth(i).inner_text()) for i in range(3)] == [
        stored["daily"][0][k] for k in ("identified", "admitted", "deaths_waiting")
    ]
    assert page.locator("#chart-past-sla-table tbody tr").count() == len(stored["hourly"])
    waits = stored["daily"][-1]["waits"]
    assert page.locator("#waits tbody tr").count() == len(waits)
    shot(page, "run")

    csv_text = page.request.get(page.locator("#csv-daily").get_attribute("href") or "").text()
    assert csv_text.splitlines()[0].startswith("day,identified,")
    assert len(csv_text.splitlines()) == 1 + len(stored["daily"])


@pytest.mark.browser
def test_the_commander_compares_two_runs_and_sees_the_difference_in_deaths_while_waiting(page, world, runs):
    sign_in(page, "commander")
    page.goto("/sim")
    page.select_option("#compare-form #a", str(runs["a"]))
    page.select_option("#compare-form #b", str(runs["b"]))
    page.click("#compare-submit")
    page.wait_for_load_state("load")
    assert f"/sim/compare?a={runs['a']}&b={runs['b']}" in page.url
    assert page.locator("h1").inner_text() == f"对比两次运行 · #{runs['a']} / #{runs['b']}"
    assert page.locator("#difference [data-key=deaths_waiting] [data-difference]").inner_text() == "+2"
    row = page.locator("#figures tr[data-key=deaths_waiting]")
    assert "highlight" in (row.get_attribute("class") or "")
    deaths = runs["real"].summary["deaths_waiting"]
    assert row.locator("[data-side=a]").inner_text() == str(deaths)
    assert row.locator("[data-side=b]").inner_text() == str(deaths + 2)
    assert CHANGE in page.locator("#change").inner_text()
    assert page.locator("#figures tr[data-key=hours_to_clear_backlog] [data-side=b]").inner_text() == "20"
    for chart in ("chart-cmp-past-sla", "chart-cmp-deaths"):
        assert page.locator(f"#{chart} svg[role=img] path").count() >= 2, chart
    page.click("#chart-cmp-deaths summary")
    cells = page.locator("#chart-cmp-deaths-table tbody tr").first.locator("td")
    assert int(cells.nth(1).inner_text()) - int(cells.nth(0).inner_text()) == 1
    assert page.locator("[role=alert]").count() == 0  # same scenario, seed and days: a like-for-like what-if
    assert page.locator("footer a").get_attribute("href") == f"/api/sim/compare?a={runs['a']}&b={runs['b']}"
    shot(page, "compare")


@pytest.mark.browser
def test_the_pages_read_in_english(page, world, runs):
    sign_in(page, "analyst")
    page.click("text=English")
    page.goto("/sim")
    assert page.locator("h1").inner_text() == "Simulation runs"
    assert "Deaths while waiting" in page.locator("#runs thead").inner_text()
    page.goto(f"/sim/runs/{runs['a']}")
    assert page.locator("h1").inner_text().startswith(f"Simulation run #{runs['a']} · A small city drill")
    assert page.locator("#chart-past-sla figcaption").inner_text() == "People past their time target, hour by hour"
    assert "Headline figures" in page.locator("main").inner_text()
    assert "sim_" not in page.locator("body").inner_text()  # every label found in both languages
    shot(page, "run-en")
    page.goto(f"/sim/compare?a={runs['a']}&b={runs['b']}")
    assert "Deaths while waiting" in page.locator("#difference").inner_text()
    assert "sim_" not in page.locator("body").inner_text()


@pytest.mark.browser
def test_an_unknown_run_is_not_found(page, world, runs):
    sign_in(page, "commander")
    response = page.goto("/sim/runs/9999")
    assert response is not None and response.status == 404
    assert page.locator("[role=alert]").get_attribute("data-code") == "sim_run.not_found"
