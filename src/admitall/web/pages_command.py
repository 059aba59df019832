"""The command screen's page: `/command/{code}` (its JSON twin at `.json`, the same figures), with the map, the
charts and the lists drawn on the server. The page reloads its own sections every `refresh` seconds (a small
script the application serves; without it the page is still whole). `?kiosk=1` is the wall display: no menus,
large figures, dark, the map and the key figures side by side on one screen. The map is the units' boundaries
where they were imported (web.choropleth), else the treemap of the unit tree (web.treemap)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from admitall.api.deps import get_ctx, request_lang
from admitall.domain.facilities import BedType
from admitall.services.boundaries import map_geometry
from admitall.services.command import REFRESH_SECONDS
from admitall.services.context import Actor, Context
from admitall.services.screen_cache import cached_command_screen, matches, variant
from admitall.services.units import scope_root
from admitall.web.bars import BED_COLOURS, stacked_bars
from admitall.web.charts import Series, line_chart, number
from admitall.web.choropleth import Area, choropleth, positions
from admitall.web.i18n import translator
from admitall.web.map_legend import Classes, classes_for
from admitall.web.rendering import render, session
from admitall.web.treemap import Region, treemap

router = APIRouter(include_in_schema=False)
MAP_MODES = ("backlog", "occupancy")


@router.get("/command")
def command_home(request: Request) -> Response:
    """Into the screen of the user's own unit, keeping how it was asked for (wall display, map, refresh)."""
    actor, _csrf = session(request)
    kept = {k: v for k, v in request.query_params.items() if k in ("kiosk", "map", "refresh")}
    query = f"?{urlencode(kept)}" if kept else ""
    return RedirectResponse(f"/command/{scope_root(get_ctx(request), actor).code}{query}", status_code=303)


@router.get("/command/{code}")
def command_page(request: Request, code: str, kiosk: bool = False, map: str = "backlog", refresh: int = 0) -> Response:
    actor, csrf = session(request)
    ctx = get_ctx(request)
    as_json = code.endswith(".json")
    cached = cached_command_screen(ctx, actor, code.removesuffix(".json"))
    data = cached.data
    lang = request_lang(request)
    # the same figures in the same representation: 304 (services.screen_cache)
    etag = (
        variant(cached.etag, "json") if as_json else variant(cached.etag, lang, request.url.query, actor.user_id, csrf)
    )
    headers = {"ETag": etag}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if as_json:
        response = render(request, "command.html", data)
        response.headers.update(headers)
        return response
    mode = map if map in MAP_MODES else "backlog"
    seconds = max(2, min(refresh, 600)) if refresh else REFRESH_SECONDS
    # what the links to other units' screens carry along: the wall display, the map's colouring, the refresh
    carried = {"kiosk": "1" if kiosk else "", "map": mode if mode != "backlog" else "", "refresh": refresh or ""}
    carry = urlencode({k: v for k, v in carried.items() if v})
    views = {
        "kiosk": kiosk,
        "map_mode": mode,
        "refresh": seconds,
        "carry": f"?{carry}" if carry else "",
        "map_svg": _map(ctx, actor, data, mode, lang, f"?{carry}" if carry else ""),
        "charts": _charts(data, lang, ctx.settings.tz),
    }
    response = render(request, "command.html", {**data, **views}, actor=actor, csrf=csrf)
    response.headers.update(headers)
    return response


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


def _map(ctx: Context, actor: Actor, data: dict[str, Any], mode: str, lang: str, carry: str) -> Markup | None:
    """The units below coloured by waiting per 10,000 residents (by the number waiting where some unit's residents
    are not known: one measure on one map), or by the share of beds in use: their boundaries where imported, else
    the treemap."""
    if not data["map"]:
        return None
    t = translator(lang)
    leaves = [c for r in data["map"] for c in (r["children"] or [r])]
    geometry = map_geometry(ctx, actor, data["unit"]["code"], [r["code"] for r in data["map"]])
    shown = data["map"] if geometry is not None else leaves
    per_10k = all(r["population"] for r in shown)

    def value(r: dict[str, Any]) -> float | None:
        if mode == "occupancy":
            return float(round(100 * r["beds_in_use"] / r["beds"], 1)) if r["beds"] else None
        if per_10k:
            return float(round(10_000 * r["waiting"] / r["population"], 2))
        return float(r["waiting"])

    def text(r: dict[str, Any]) -> str:
        if mode == "occupancy":
            v = value(r)
            return t("map_beds_text", share=number(v), beds=number(r["beds"])) if v is not None else t("map_no_beds")
        waiting = t("map_waiting_text", waiting=number(r["waiting"]))
        return f"{waiting} · {number(value(r))}{t('map_per_10k')}" if per_10k else waiting

    if mode == "occupancy":
        title, unit = t("map_title_occupancy"), "%"
    elif per_10k:
        title, unit = t("map_title_backlog"), t("map_per_10k")
    else:
        title, unit = t("city_map_title_waiting"), t("city_map_people")
    classes = classes_for([value(r) for r in shown], unit)
    if geometry is not None:
        return _choropleth(data, geometry, classes, title, value, text, carry, t)

    def region(r: dict[str, Any]) -> Region:
        return Region(
            r["code"],
            r["name"],
            r["population"] or 1,
            value(r),
            text(r),
            f"/command/{r['code']}{carry}",
            [region(c) for c in r["children"]],
        )

    return treemap(
        "command-map",
        [region(r) for r in data["map"]],
        title=title,
        classes=classes,
        no_value=t("map_no_value"),
        caption_note=t("map_note"),
    )


def _choropleth(
    data: dict[str, Any],
    geometry: Any,
    classes: Classes,
    title: str,
    value: Any,
    text: Any,
    carry: str,
    t: Any,
) -> Markup:
    regions = data["map"]
    backdrop = geometry.root.shape if geometry.root else None
    where = positions(
        [r["code"] for r in regions],
        {c: b.shape for c, b in geometry.children.items()},
        geometry.centres,
        backdrop,
    )
    areas = []
    for r in regions:
        shape, point, placed = where[r["code"]]
        label = geometry.children[r["code"]].label if r["code"] in geometry.children else None
        areas.append(
            Area(r["code"], r["name"], value(r), text(r), f"/command/{r['code']}{carry}", shape, point, placed, label)
        )
    placed = sum(1 for a in areas if a.placed)
    off = sum(1 for a in areas if a.shape is None and a.point is None)
    notes = [
        t("city_map_note"),
        t("city_map_placed", n=placed) if placed else "",
        t("city_map_off_map", n=off) if off else "",
    ]
    return choropleth(
        "command-map", areas, title=title, classes=classes, no_value=t("map_no_value"), backdrop=backdrop, notes=notes
    )
