"""`admitall officials …`, `admitall scorecards …` and `admitall import officials`: thin commands over the
accountability services, run as the console operator (an administrator over the whole registry)."""

from __future__ import annotations

from pathlib import Path

import typer

from admitall.cli_common import context, emit, errors, lang
from admitall.services.context import cli_actor

officials_app = typer.Typer(help="Officials and the units they lead (包保).", no_args_is_help=True)
scorecards_app = typer.Typer(help="Scorecards: compute a day, show a unit's card.", no_args_is_help=True)


@officials_app.command("add")
def officials_add(
    name: str = typer.Argument(...),
    unit: str = typer.Option(..., "--unit", help="the official's home unit"),
    title: str = typer.Option("", "--title"),
    phone: str | None = typer.Option(None, "--phone"),
    username: str | None = typer.Option(None, "--username", help="the user account that signs in as them"),
    lead: bool = typer.Option(False, "--lead", help="make them the lead of their home unit from now"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Register an official (and, with --lead, hand them their home unit)."""
    from admitall.services.officials import add_official, assign_lead

    with errors(as_json):
        ctx = context()
        official = add_official(
            ctx, cli_actor(), name=name, title=title, home_unit=unit, phone=phone, username=username
        )
        if lead:
            official["lead"] = assign_lead(ctx, cli_actor(), official["home_unit"], official["id"])
    emit(as_json, official, [f"official {official['id']}: {official['name']} ({official['home_unit']})"])


@officials_app.command("assign")
def officials_assign(
    unit: str = typer.Argument(..., help="the unit to lead"),
    official_id: int = typer.Argument(...),
    reason: str | None = typer.Option(None, "--reason"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Make an official the unit's lead from now; the previous lead's term ends now."""
    from admitall.services.officials import assign_lead

    with errors(as_json):
        result = assign_lead(context(), cli_actor(), unit, official_id, reason=reason)
    emit(as_json, result, [f"{result['unit_code']}: lead {result['official_id']} from {result['starts_at']}"])


@officials_app.command("list")
def officials_list(
    unit: str | None = typer.Option(None, "--unit"),
    q: str = typer.Option("", "--search", help="part of a name, title or unit name, or a unit code"),
    page: int = typer.Option(1, "--page"),
    size: int = typer.Option(200, "--size", help="officials a page (at most 200)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A page of the officials and the units each leads now; then the units without a lead."""
    from admitall.services.officials import list_officials, vacancies

    with errors(as_json):
        ctx = context()
        found = list_officials(ctx, cli_actor(), unit, q=q, page=page, size=size)
        vacant = vacancies(ctx, cli_actor(), unit)["units"]
    lines = [
        f"{o['id']:>6} {o['name']} {o['title']} ({o['home_unit']}): " + ", ".join(u["code"] for u in o["leads"])
        for o in found["officials"]
    ]
    shown = (found["page"] - 1) * found["size"]
    lines.append(f"officials {shown + 1}-{shown + len(found['officials'])} of {found['total']} (page {found['page']})")
    lines.append(f"units without a lead: {len(vacant)}")
    emit(as_json, {**found, "vacancies": vacant}, lines)


def import_officials_command(
    file: Path = typer.Argument(..., help="CSV or XLSX: name,title,home_unit[,phone,username,leads]"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import officials; each row accepted or rejected with its row, field and reason."""
    from admitall.services.officials_import import import_officials_file

    with errors(as_json):
        summary = import_officials_file(context(), cli_actor(), file).as_dict()
    key = "reason_en" if lang() == "en" else "reason"
    lines = [
        f"rows {summary['rows']}: accepted {summary['accepted']}, rejected {summary['rejected']}, "
        f"leads assigned {summary['leads_assigned']}"
    ]
    lines += [f"  row {r['row']} [{r['field']}]: {r[key]}" for r in summary["rejections"]]
    emit(as_json, summary, lines)


@scorecards_app.command("compute")
def scorecards_compute(
    day: str | None = typer.Option(None, "--day", help="YYYY-MM-DD in the city's time zone; today if left out"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Compute and store a day's scorecards for every unit and official (the server does it by itself)."""
    from admitall.services.scorecard_views import window_of
    from admitall.services.scorecards import store_day

    with errors(as_json):
        ctx = context()
        first, _, _ = window_of(ctx, day, None, None)
        result = store_day(ctx, first)
    emit(
        as_json,
        result,
        [f"{result['day']}: {result['units']} units, {result['officials']} officials, final {result['final']}"],
    )


@scorecards_app.command("show")
def scorecards_show(
    unit: str | None = typer.Argument(None, help="unit code; the top of the tree if left out"),
    day: str | None = typer.Option(None, "--day"),
    start: str | None = typer.Option(None, "--from"),
    end: str | None = typer.Option(None, "--to"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A unit's scorecard for a day (stored) or a window of days (computed now)."""
    from admitall.services.scorecard_views import unit_card

    with errors(as_json):
        view = unit_card(context(), cli_actor(), unit, day=day, start=start, end=end)
    card = view["card"]
    lines = [
        f"{view['subject']['code']} {card.get('name')} {view['window']['from']}…{view['window']['to']}: "
        f"score {card['score']} rank {card.get('rank')}/{card.get('ranked')}"
    ]
    lines += [
        f"  {c}: {p['value']} ({p['numerator']}/{p['denominator']}, weight {p['weight']})"
        for c, p in card["components"].items()
    ]
    lines += [f"  flag {f['flag']}: {f['rule']} = {f['value']} (threshold {f['threshold']})" for f in card["flags"]]
    emit(as_json, view, lines)
