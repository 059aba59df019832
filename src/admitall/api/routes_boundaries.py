"""Units' boundaries over HTTP: import a GeoJSON file (the same import, checks and audit as `admitall import
boundaries`), and read one unit's boundary back as a GeoJSON feature, within the caller's jurisdiction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile

from admitall.api.deps import current_actor, get_ctx, request_lang
from admitall.api.params import Code, Short
from admitall.domain.access import Permission
from admitall.services.boundaries import import_boundaries, parse_document, unit_boundary
from admitall.services.context import Actor, Context

router = APIRouter(prefix="/api", tags=["units"])


@router.post("/units/boundaries", summary="Import units' boundaries (GeoJSON), matched by code or unique name")
def import_unit_boundaries(
    file: UploadFile = File(...),
    source: Short = Form(""),
    within: Short = Form(""),
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
    lang: str = Depends(request_lang),
) -> dict[str, Any]:
    actor.require(Permission.MANAGE_UNITS)
    document = parse_document(
        file.file.read(ctx.settings.max_upload_mb * 2**20 + 1), ctx.settings.max_upload_mb * 2**20
    )
    summary = import_boundaries(
        ctx, actor, document, source=source or file.filename or "upload", within=within or None
    ).as_dict()
    for u in summary["unmatched_features"]:
        u["reason"] = u["reason_en"] if lang == "en" else u["reason"]
    return summary


@router.get("/units/{code}/boundary", summary="A unit's boundary as a GeoJSON feature (404 when it has none)")
def unit_boundary_feature(
    code: Code, actor: Actor = Depends(current_actor), ctx: Context = Depends(get_ctx)
) -> dict[str, Any]:
    return unit_boundary(ctx, actor, code)
