"""The digital twin's recorded runs over HTTP: record one, list them, read one whole (JSON, daily and hourly CSV),
and compare two. The pages under /sim link here for their data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from admitall.api.deps import current_actor, get_ctx
from admitall.api.params import MAX_ID, Id, Page, Size, Word
from admitall.services import simulations
from admitall.services.context import Actor, Context
from admitall.store.paged import DEFAULT_SIZE

router = APIRouter(prefix="/api/sim", tags=["simulation"])
CSV = "text/csv; charset=utf-8"


@router.get("/runs", summary="The recorded simulation runs, newest first, each with its summary")
def list_runs(
    page: Page = 1, size: Size = DEFAULT_SIZE, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    """A page of them, with how many there are in all."""
    return simulations.list_runs(ctx, actor, page=page, size=size)


@router.post("/runs", status_code=201, summary="Record a run: the JSON `admitall sim run --json` prints")
def record_run(
    results: dict[str, Any] = Body(..., description="scenario, summary, daily, hourly and refused of a run"),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    run_id = simulations.record_run(ctx, actor, results)
    return {"id": run_id, "url": f"/sim/runs/{run_id}"}


@router.get("/runs/{run_id}", summary="A run's results whole: scenario, summary, daily and hourly rows")
def get_run(run_id: Id, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)) -> dict[str, Any]:
    return simulations.get_run(ctx, actor, run_id)


@router.get("/runs/{run_id}/{which}.csv", summary="A run's daily or hourly rows as CSV")
def run_csv(
    run_id: Id, which: Word, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> Response:
    text = simulations.run_csv(ctx, actor, run_id, which)
    name = f"sim-run-{run_id}-{which}.csv"  # the service has checked `which`
    return Response(text, media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/compare", summary="Two runs side by side: each headline figure of both and the difference (b − a)")
def compare(
    a: Annotated[int, Query(ge=1, le=MAX_ID, description="the base run")],
    b: Annotated[int, Query(ge=1, le=MAX_ID, description="the variant run")],
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
) -> dict[str, Any]:
    return simulations.compare_runs(ctx, actor, a, b)
