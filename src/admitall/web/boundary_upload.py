"""The imports page's boundaries upload (`POST /imports/boundaries`): the same import, checks and audit as
`admitall import boundaries` and the API, its summary in the page's terms (a feature per row)."""

from __future__ import annotations

from typing import IO, Any

from admitall.domain.access import Permission
from admitall.services.boundaries import import_boundaries, parse_document
from admitall.services.context import Actor, Context


def boundary_upload(ctx: Context, actor: Actor, file: IO[bytes], name: str, lang: str) -> dict[str, Any]:
    actor.require(Permission.MANAGE_UNITS)
    limit = ctx.settings.max_upload_mb * 2**20
    summary = import_boundaries(ctx, actor, parse_document(file.read(limit + 1), limit), source=name)
    return {
        "rows": summary.features,
        "accepted": summary.matched,
        "updated": summary.replaced,
        "rejected": summary.unmatched,
        "rejections": [
            {
                "row": u["feature"],
                "field": u["name"] or u["code"] or "—",
                "reason": u["reason_en"] if lang == "en" else u["reason"],
            }
            for u in summary.unmatched_features
        ],
    }
