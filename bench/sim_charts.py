"""Charts of a Wuhan run beside the published figures it was given, as plain SVG (no plotting library needed).

    python bench/sim_charts.py RESULTS.json [--out docs/images] [--note "commit abc1234"]

RESULTS.json is a run's whole results (`admitall sim run wuhan-2020 --out DIR`, or `bench/sim_wuhan.py
--json-out`). Three charts: confirmations (the run's cumulative against the published series, its testing
capacity), beds (the designated-hospital totals published against the run's beds open and occupied, and the
shelters'), and the patients (confirmed in beds and waiting, deaths and discharges, the suspected stock).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from admitall.sim.reference import capacity_events, daily_cases

W, H, LEFT, RIGHT, TOP, BOTTOM = 760, 360, 70, 190, 40, 40
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")

Series = tuple[str, list[tuple[date, float]], bool]  # label, points, dashed (a published figure)


def _round_up(highest: float) -> float:
    """The axis's top: four gridline steps of a round multiple of a power of ten, so every label is round."""
    power = 10 ** max(0, len(str(int(highest / 4))) - 1)
    step = next(m * power for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * power * 4 >= highest)
    return step * 4


def chart(title: str, series: list[Series], days: list[date], note: str) -> str:
    """A line chart of the series over the run's days; published series dashed."""
    top = _round_up(max((v for _, points, _ in series for _, v in points), default=1) or 1)
    first, span = days[0], max(1, (days[-1] - days[0]).days)

    def x(d: date) -> float:
        return LEFT + (W - LEFT - RIGHT) * (d - first).days / span

    def y(v: float) -> float:
        return H - BOTTOM - (H - TOP - BOTTOM) * v / top

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<text x="{W - 10}" y="{H - 6}" text-anchor="end" fill="#666">{escape(note)}</text>',
    ]
    for k in range(5):
        v = top * k / 4
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
    for d in days:
        if d.day in (1, 10, 20):
            out.append(f'<text x="{x(d):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{d:%d %b}</text>')
    for i, (label, points, dashed) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        dash = ' stroke-dasharray="5,4"' if dashed else ""
        if points:
            path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        ly = TOP + 16 * i
        out.append(
            f'<line x1="{W - RIGHT + 10}" x2="{W - RIGHT + 30}" y1="{ly}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
        )
        out.append(f'<text x="{W - RIGHT + 34}" y="{ly + 4}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def published_designated(days: list[date]) -> list[tuple[date, float]]:
    """The published designated-hospital bed totals, as a step on the days they held."""
    totals = sorted(
        (date.fromisoformat(e["date"]), int(e["beds"]))
        for e in capacity_events()
        if e["kind"] == "designated_beds_total"
    )
    points = []
    for d in days:
        known = [beds for since, beds in totals if since <= d]
        if known:
            points.append((d, float(known[-1])))
    return points


def charts(results: dict, note: str) -> dict[str, str]:
    daily = results["daily"]
    days = [date.fromisoformat(r["day"]) for r in daily]
    published, running = [], 0
    in_run = set(days)
    for d, new, _ in daily_cases():
        if d in in_run:
            running += new
            published.append((d, float(running)))
    confirmed, total = [], 0
    for d, r in zip(days, daily, strict=True):
        total += r["confirmed"]
        confirmed.append((d, float(total)))

    def kind(name: str, figure: str) -> list[tuple[date, float]]:
        return [(d, float(r["by_kind"].get(name, {}).get(figure, 0))) for d, r in zip(days, daily, strict=True)]

    def of(get) -> list[tuple[date, float]]:
        return [(d, float(get(r))) for d, r in zip(days, daily, strict=True)]

    return {
        "wuhan-2020-confirmed.svg": chart(
            "Confirmed since 20 Jan: published (the run's testing capacity) and the run",
            [("published", published, True), ("run", confirmed, False)],
            days,
            note,
        ),
        "wuhan-2020-beds.svg": chart(
            "Beds: designated hospitals and shelters, open and occupied",
            [
                ("designated, published", published_designated(days), True),
                ("designated open", kind("designated_hospital", "open"), False),
                ("designated occupied", kind("designated_hospital", "occupied"), False),
                ("shelter open", kind("shelter_hospital", "open"), False),
                ("shelter occupied", kind("shelter_hospital", "occupied"), False),
            ],
            days,
            note,
        ),
        "wuhan-2020-patients.svg": chart(
            "Confirmed patients in beds and waiting; deaths, discharges; suspected (24:00)",
            [
                ("confirmed in beds", of(lambda r: sum(r["in_beds_confirmed_by_severity"].values())), False),
                ("confirmed waiting", of(lambda r: sum(r["queue_confirmed_by_severity"].values())), False),
                (
                    "severe+critical waiting",
                    of(
                        lambda r: (
                            r["queue_confirmed_by_severity"]["severe"] + r["queue_confirmed_by_severity"]["critical"]
                        )
                    ),
                    False,
                ),
                ("deaths (total)", of(lambda r: r["deaths_total"]), False),
                ("discharged (total)", of(lambda r: r["discharged_total"]), False),
                ("suspected", of(lambda r: r["suspected_stock"]), False),
            ],
            days,
            note,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    results = json.loads(args.results.read_text(encoding="utf-8"))
    args.out.mkdir(parents=True, exist_ok=True)
    for name, svg in charts(results, args.note).items():
        (args.out / name).write_text(svg, encoding="utf-8")
        print(args.out / name)


if __name__ == "__main__":
    main()
