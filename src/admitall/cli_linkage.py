"""`admitall link`: record linkage over the registry (issue 16 §2), run as the console operator."""

from __future__ import annotations

import csv
from pathlib import Path

import typer

from admitall.cli_common import context, emit, errors

PAIR_COLUMNS = ("person_a", "person_b", "source_refs_a", "source_refs_b", "probability", "decision")


def link(
    unit: str | None = typer.Option(None, "--unit", help="only the people of this unit's subtree"),
    as_json: bool = typer.Option(False, "--json"),
    out: Path | None = typer.Option(None, "--out", help="write every candidate pair to this CSV file"),
    no_merge: bool = typer.Option(False, "--no-merge", help="queue the sure pairs for review instead of merging"),
) -> None:
    """Find records of the same person: queue the likely pairs for review, merge the sure ones."""
    from admitall.services.context import cli_actor
    from admitall.services.linkage import run_link

    with errors(as_json):
        run = run_link(context(), cli_actor(), unit, merge=not no_merge, with_refs=out is not None)
        if out is not None:
            with out.open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=PAIR_COLUMNS)
                writer.writeheader()
                writer.writerows(run.rows())
    summary = run.summary()
    if out is not None:
        summary["out"] = str(out)
    emit(
        as_json,
        summary,
        [
            f"{run.people} people, {run.candidates} candidate pairs ({summary['model']} model): "
            f"{run.merged} merged, {run.review} to review, {run.distinct} distinct"
        ],
    )
