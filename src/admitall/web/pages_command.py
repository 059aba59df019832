"""The command screen's page: `/command/{code}` (its JSON twin at `.json`, the same figures), with the map, the
charts and the lists drawn on the server. The page reloads its own sections every `refresh` seconds (a small
script the application serves; without it the page is still whole). `?kiosk=1` is the wall display: no menus,
large figures, dark."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from admitall.api.deps import get_ctx, request_lang
from admitall.domain.facilities import BedType
from admitall.services.command import REFRESH_SECONDS, command_screen
from admitall.services.units import scope_root
from admitall.web.bars import BED_COLOURS, stacked_bars
from admitall.web.charts import Series, line_chart, number
from admitall.web.i18n import translator
from admitall.web.rendering import render, session
from admitall.web.treemap import Region, class_bounds, treemap

router = APIRouter(include_in_schema=False)
MAP_MODES = ("backlog", "occupancy")


@router.get("/command")
def command_home(request: Request) -> Response:
    actor, _csrf = session(request)
    return RedirectResponse(f"/command/{scope_root(get_ctx(request), actor).code}", status_code=303)


@router.get("/command/{code}")
def command_page(request: Request, code: str, kiosk: bool = False, map: str = "backlog", refresh: int = 0) -> Response:
    actor, csrf = session(request)
    ctx = get_ctx(request)
    as_json = code.endswith(".json")
    data = command_screen(ctx, actor, code.removesuffix(".json"))
    if as_json:
        return render(request, "command.html", data)
    lang = request_lang(request)
    mode = map if map in MAP_MODES else "backlog"
    views = {
        "kiosk": kiosk,
        "map_mode": mode,
        "refresh": max(2, min(refresh, 600)) if refresh else REFRESH_SECONDS,
        "map_svg": _map(data, mode, lang, kiosk),
        "charts": _charts(data, lang, ctx.settings.tz),
    }
    return render(request, "command.html", {**data, **views}, actor=actor, csrf=csrf)


def _hour_label(value: str, tz: Any) -> str:
    return datetime.fromisoformat(value).astimezone(tz).strftime("%d日%H时")


def _charts(data: dict[str, Any], lang: str, tz: Any) -> dict[str, Markup]:
    t = translator(lang)
    trend = data["trend"]
    # an hour is labelled by its end; the last is the hour now running
    hours = [_hour_label(h, tz) if lang != "en" else _en_hour(h, tz) for h in trend["hours"]]
    every_six = list(range(len(hours) - 1, -1, -6))[::-1]  # ending at the hour now running
    chain = data["chain"]["by_hour"]
    beds = data["beds"]["rows"]
    bed_labels = [(BedType.parse(r["bed_type"]) or BedType.ICU).label(lang) for r in beds]
    return {
        "waiting": line_chart(
            "chart-waiting",
            title=t("command_chart_waiting"),
            summary=t("command_chart_waiting_desc"),
            x_labels=hours,
            series=[Series(t("stock"), trend["waiting"], colour="#b3261e")],
            ticks=every_six,
            x_title=t("command_axis_hour"),
            y_title=t("command_axis_people"),
            lang=lang,
        ),
        "flows": line_chart(
            "chart-flows",
            title=t("command_chart_flows"),
            x_labels=hours,
            series=[Series(t("inflow"), trend["inflow"]), Series(t("admissions_per_hour"), trend["admissions"])],
            ticks=every_six,
            x_title=t("command_axis_hour"),
            y_title=t("command_axis_people"),
            lang=lang,
        ),
        "beds": stacked_bars(
            "chart-beds",
            title=t("command_chart_beds"),
            labels=bed_labels,
            parts=[
                (t("occupied"), [r["occupied"] for r in beds], BED_COLOURS[0]),
                (t("reserved"), [r["reserved"] for r in beds], BED_COLOURS[1]),
                (t("free"), [r["free"] for r in beds], BED_COLOURS[2]),
            ],
            category_title=t("bed_type"),
            lang=lang,
        ),
        "chain": line_chart(
            "chart-chain",
            title=t("command_chart_chain"),
            summary=t("command_chart_chain_desc"),
            x_labels=[
                _hour_label(h["period_start"], tz) if lang != "en" else _en_hour(h["period_start"], tz) for h in chain
            ],
            series=[
                Series(
                    t("completeness"),
                    [round(h["completeness"] * 100, 1) if h["completeness"] is not None else None for h in chain],
                    colour="#0072B2",
                )
            ],
            x_title=t("command_axis_period"),
            y_title="%",
            y_max=100,
            lang=lang,
        ),
    }


def _en_hour(value: str, tz: Any) -> str:
    return datetime.fromisoformat(value).astimezone(tz).strftime("%d %H:00")


def _map(data: dict[str, Any], mode: str, lang: str, kiosk: bool) -> Markup | None:
    """Regions sized by residents (by people in the four categories where residents are not known), coloured by
    waiting per 10,000 residents, or by the share of beds in use."""
    if not data["map"]:
        return None
    t = translator(lang)
    suffix = "?kiosk=1" if kiosk else ""

    def value(r: dict[str, Any]) -> float | None:
        if mode == "occupancy":
            return float(round(100 * r["beds_in_use"] / r["beds"], 1)) if r["beds"] else None
        if r["population"]:
            return float(round(10_000 * r["waiting"] / r["population"], 2))
        return float(r["waiting"])

    def text(r: dict[str, Any]) -> str:
        if mode == "occupancy":
            v = value(r)
            return t("map_beds_text", share=number(v), beds=number(r["beds"])) if v is not None else t("map_no_beds")
        return t("map_waiting_text", waiting=number(r["waiting"]))

    def region(r: dict[str, Any]) -> Region:
        weight = r["population"] or 1
        return Region(
            r["code"],
            r["name"],
            weight,
            value(r),
            text(r),
            f"/command/{r['code']}{suffix}",
            [region(c) for c in r["children"]],
        )

    regions = [region(r) for r in data["map"]]
    leaves = [c for r in regions for c in (r.children or [r])]
    bounds = class_bounds([c.value for c in leaves])
    unit = "%" if mode == "occupancy" else t("map_per_10k") if any(r["population"] for r in data["map"]) else ""

    def legend(low: float | None, high: float | None) -> str:
        if low is None and high is None:
            return t("map_no_value")
        if low is None:
            return f"≤ {number(high)}{unit}"
        if high is None:
            return f"> {number(low)}{unit}"
        return f"{number(low)}–{number(high)}{unit}"

    return treemap(
        "command-map",
        regions,
        title=t("map_title_occupancy") if mode == "occupancy" else t("map_title_backlog"),
        bounds=bounds,
        legend=legend,
        caption_note=t("map_note"),
    )
