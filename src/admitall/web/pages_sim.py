"""Pages for the digital twin's recorded runs: the list (and a form to compare two), one run with its charts and
tables, and two runs side by side (what-if). Each page calls the same service as its /api/ twin and links to it;
the charts are SVG drawn here (web.charts), each with its figures as a table beneath."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from admitall.api.deps import get_ctx, request_lang
from admitall.api.params import Id, Page, Size, path_id
from admitall.domain.errors import InvalidInput
from admitall.domain.facilities import BedType
from admitall.domain.people import FOUR_CATEGORIES, Status
from admitall.domain.policy import PriorityClass
from admitall.services import simulations
from admitall.store.paged import DEFAULT_SIZE
from admitall.web.charts import Series, line_chart, number, text_width
from admitall.web.i18n import translator
from admitall.web.rendering import render, session

router = APIRouter(include_in_schema=False)

# the headline figures of a run, in the order they are shown; those a what-if is judged by first
HEADLINE = (
    "deaths_waiting",
    "hours_to_clear_backlog",
    "peak_past_sla",
    "identified",
    "confirmed",
    "admitted",
    "refused",
    "deaths_in_bed",
    "deaths",
    "recovered",
    "waiting_at_end",
)
HIGHLIGHT = ("deaths_waiting", "hours_to_clear_backlog")
FOUND = ("case", "contact", "background")
STATES = ("waiting", "assigned", "in_transit", "admitted", "left", "dead")
WAIT_FIGURES = ("n", "median_h", "p90_h", "max_h", "past_sla")
TICK_HOURS = (1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720)


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def sim_time(value: str | None) -> str:
    """A simulated moment as the run wrote it, in the simulated city's own time: 'YYYY-MM-DD HH:MM' (what the
    run wrote, if it is not a moment)."""
    moment = _moment(value)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else str(value or "")


def _figure(row: Any, *keys: str) -> Any:
    """A figure of a recorded row, `None` where the run did not record it (a recorded run is read whatever it
    lacks: older runs, the demo's played run, results kept by hand)."""
    for key in keys:
        if not isinstance(row, dict):
            return None
        row = row.get(key)
    return row


def _queued(row: Any, category: str) -> Any:
    """People of a category waiting that day: none on a day the run did not count, 0 for a category that first
    appears later."""
    queue = _figure(row, "queue")
    return queue.get(category, 0) if isinstance(queue, dict) else None


def _total(row: Any, key: str) -> int | float | None:
    parts = _figure(row, key)
    if not isinstance(parts, dict):
        return None
    return sum(v for v in parts.values() if isinstance(v, int | float))


def hour_ticks(hours: list[str], room: float = 640) -> list[int]:
    """Which hours to label on an hourly axis: on the hour of a round step (6 h, 12 h, a day, …) so that the
    labels fit."""
    if not hours:
        return []
    fits = max(2, int(room // (text_width("2020-01-20 00:00") + 14)))
    moments = [_moment(h) for h in hours]
    for step in TICK_HOURS:
        if len(hours) / step <= fits:
            break
    first_day = next((m.date() for m in moments if m is not None), None)
    if first_day is None:
        return []
    return [
        i
        for i, m in enumerate(moments)
        if m is not None
        and m.minute == 0
        and (m.hour % step == 0 if step < 24 else m.hour == 0 and (m.date() - first_day).days % (step // 24) == 0)
    ]


def _kinds(rows: list[dict[str, Any]], key: str, order: tuple[str, ...]) -> list[str]:
    """The keys of a nested figure that any row has, in `order` first, the rest as they come."""
    seen = dict.fromkeys(k for r in rows if isinstance(r.get(key), dict) for k in r[key])
    return [k for k in order if k in seen] + [k for k in seen if k not in order]


def run_charts(data: dict[str, Any], lang: str) -> dict[str, Any]:
    """The run's charts: waiting by category, past the time target (hourly), found and admitted, deaths,
    beds by type, reports."""
    t = translator(lang)
    daily, hourly = data["daily"], data["hourly"]
    days = [r["day"] for r in daily]
    hours = [sim_time(r["hour"]) for r in hourly]
    day_axis, people = t("sim_axis_day"), t("sim_axis_people")
    categories = _kinds(daily, "queue", tuple(c.value for c in FOUR_CATEGORIES))
    queue = [
        *(Series(_status_label(c, lang), [_queued(r, c) for r in daily]) for c in categories),
        Series(t("sim_total"), [_total(r, "queue") for r in daily], colour="#1b1f24", dash="1 3"),
    ]
    charts: dict[str, Any] = {
        "queue": line_chart(
            "chart-queue",
            title=t("sim_chart_queue"),
            summary=t("sim_chart_queue_desc"),
            x_labels=days,
            series=queue,
            x_title=day_axis,
            y_title=people,
            lang=lang,
        ),
        "past_sla": line_chart(
            "chart-past-sla",
            title=t("sim_chart_past_sla"),
            summary=t("sim_chart_past_sla_desc"),
            x_labels=hours,
            series=[Series(t("sim_past_sla"), [_figure(r, "past_sla") for r in hourly], colour="#D55E00")],
            x_title=t("sim_axis_hour"),
            y_title=people,
            ticks=hour_ticks([r["hour"] for r in hourly]),
            lang=lang,
        ),
        "flows": line_chart(
            "chart-flows",
            title=t("sim_chart_flows"),
            x_labels=days,
            series=[
                Series(t("sim_identified"), [_figure(r, "identified") for r in daily]),
                Series(t("sim_admitted"), [_figure(r, "admitted") for r in daily]),
                Series(t("sim_deaths_waiting"), [_figure(r, "deaths_waiting") for r in daily]),
            ],
            x_title=day_axis,
            y_title=people,
            lang=lang,
        ),
        "deaths": line_chart(
            "chart-deaths",
            title=t("sim_chart_deaths"),
            x_labels=days,
            series=[
                Series(t("sim_deaths_waiting"), [_figure(r, "deaths_waiting") for r in daily], colour="#D55E00"),
                Series(t("sim_deaths_in_bed"), [_figure(r, "deaths_in_bed") for r in daily], colour="#0072B2"),
            ],
            x_title=day_axis,
            y_title=people,
            lang=lang,
        ),
        "reports": line_chart(
            "chart-reports",
            title=t("sim_chart_reports"),
            x_labels=days,
            series=[
                Series(t("sim_completeness"), [_figure(r, "reports", "completeness") for r in daily]),
                Series(t("sim_timeliness"), [_figure(r, "reports", "timeliness") for r in daily]),
            ],
            x_title=day_axis,
            y_title=t("sim_axis_percent"),
            y_max=100,
            lang=lang,
        ),
    }
    beds: list[Markup] = []
    for bed in _kinds(daily, "beds", tuple(b.value for b in BedType)):
        name = _bed_label(bed, lang)
        rows = [_figure(r, "beds", bed) for r in daily]
        beds.append(
            line_chart(
                f"chart-beds-{bed}",
                title=name,
                x_labels=days,
                series=[
                    Series(t("sim_occupied"), [_figure(b, "occupied") for b in rows], colour="#0072B2"),
                    Series(t("sim_reserved"), [_figure(b, "reserved") for b in rows], colour="#E69F00"),
                    Series(t("sim_capacity"), [_figure(b, "capacity") for b in rows], colour="#5b6572"),
                ],
                x_title=day_axis,
                y_title=t("sim_axis_beds"),
                lang=lang,
                width=480,
                height=260,
            )
        )
    charts["beds"] = beds
    return charts


def _status_label(value: str, lang: str) -> str:
    member = Status.parse(value)
    return member.label(lang) if member else value


def _bed_label(value: str, lang: str) -> str:
    member = BedType.parse(value)
    return member.label(lang) if member else value


def _class_order(waits: dict[str, Any]) -> list[str]:
    order = [c.value for c in PriorityClass]
    return [c for c in order if c in waits] + sorted(str(c) for c in waits if c not in order)


def helpers() -> dict[str, Any]:
    return {
        "num": number,
        "sim_time": sim_time,
        "headline": HEADLINE,
        "highlight": HIGHLIGHT,
        "found_kinds": FOUND,
        "state_names": STATES,
        "wait_figures": WAIT_FIGURES,
        "class_order": _class_order,
    }


@router.get("/sim")
@router.get("/sim.json")
@router.get("/sim/runs")
@router.get("/sim/runs.json")
def runs_page(request: Request, page: Page = 1, size: Size = DEFAULT_SIZE) -> Response:
    """The recorded runs, newest first, a page at a time with the total; the comparison picks from the page."""
    actor, csrf = session(request)
    data = simulations.list_runs(get_ctx(request), actor, page=page, size=size)
    runs = data["runs"]
    newest = runs[0] if runs else None
    base = None
    if newest is not None:
        alike = [
            r
            for r in runs[1:]
            if r["scenario"] == newest["scenario"] and r["seed"] == newest["seed"] and r["days"] == newest["days"]
        ]
        base = next(
            (r for r in alike if not r["settings"]), alike[0] if alike else (runs[1] if len(runs) > 1 else None)
        )
    data.update(pick_a=base["id"] if base else None, pick_b=newest["id"] if newest and base else None)
    if not request.url.path.endswith(".json"):  # the twin is the data; the helpers are the page's
        data.update(helpers())
    return render(request, "sim_runs.html", data, actor=actor, csrf=csrf)


@router.get("/sim/runs/{run_id}")
def run_page(request: Request, run_id: Id) -> Response:
    actor, csrf = session(request)
    data = simulations.get_run(get_ctx(request), actor, run_id)
    lang = request_lang(request)
    last = data["daily"][-1] if data["daily"] else {}
    data.update(
        **helpers(),
        charts=run_charts(data, lang),
        last_day=last,
        json_url=f"/api/sim/runs/{run_id}",
        csv_daily=f"/api/sim/runs/{run_id}/daily.csv",
        csv_hourly=f"/api/sim/runs/{run_id}/hourly.csv",
    )
    return render(request, "sim_run.html", data, actor=actor, csrf=csrf)


def _run_id(value: str, field: str) -> int:
    try:
        number = path_id(value.strip())
        if number is None:
            raise ValueError(value)
        return number
    except ValueError:
        raise InvalidInput(
            "sim.pick_two", "请选择两次要对比的运行", "Pick the two runs to compare", field=field
        ) from None


def compare_charts(data: dict[str, Any], lang: str) -> dict[str, Markup]:
    t = translator(lang)
    a, b = f"A #{data['a']['id']}", f"B #{data['b']['id']}"
    hourly, daily = data["hourly"], data["daily"]
    days = [r["day"] for r in daily]
    people = t("sim_axis_people")
    return {
        "past_sla": line_chart(
            "chart-cmp-past-sla",
            title=t("sim_chart_cmp_past_sla"),
            summary=t("sim_chart_past_sla_desc"),
            x_labels=[sim_time(r["hour"]) for r in hourly],
            series=_both(a, b, hourly, "past_sla"),
            x_title=t("sim_axis_hour"),
            y_title=people,
            ticks=hour_ticks([r["hour"] for r in hourly]),
            lang=lang,
        ),
        "deaths": line_chart(
            "chart-cmp-deaths",
            title=t("sim_chart_cmp_deaths"),
            x_labels=days,
            series=_both(a, b, daily, "deaths_waiting"),
            x_title=t("sim_axis_day"),
            y_title=people,
            lang=lang,
        ),
        "queue": line_chart(
            "chart-cmp-queue",
            title=t("sim_chart_cmp_queue"),
            x_labels=days,
            series=_both(a, b, daily, "queue"),
            x_title=t("sim_axis_day"),
            y_title=people,
            lang=lang,
        ),
    }


def _both(a: str, b: str, rows: list[dict[str, Any]], key: str) -> list[Series]:
    """The two runs' series of one figure: the base solid, the variant dashed (told apart without colour)."""
    return [
        Series(a, [r[key][0] for r in rows], colour="#0072B2", dash=""),
        Series(b, [r[key][1] for r in rows], colour="#D55E00", dash="6 3"),
    ]


@router.get("/sim/compare")
def compare_page(request: Request, a: str = "", b: str = "") -> Response:
    actor, csrf = session(request)
    ctx = get_ctx(request)
    data = simulations.compare_runs(ctx, actor, _run_id(a, "a"), _run_id(b, "b"))
    data.update(
        **helpers(),
        charts=compare_charts(data, request_lang(request)),
        runs=simulations.list_runs(ctx, actor, also=(data["a"]["id"], data["b"]["id"]))["runs"],
        json_url=f"/api/sim/compare?a={data['a']['id']}&b={data['b']['id']}",
    )
    return render(request, "sim_compare.html", data, actor=actor, csrf=csrf)
