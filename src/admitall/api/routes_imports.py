"""The persons import's files through the API: the template, and an import's rejected rows (only the importer's).
The upload is POST /api/persons/import (api.routes_registry), whose answer names `import_id` and `rejects_url`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from admitall.api.deps import current_actor, get_ctx, request_lang
from admitall.api.params import Id
from admitall.services.context import Actor, Context
from admitall.services.registration.rejects import rejects_file
from admitall.services.registration.sheets import TEMPLATE_NAME, XLSX, import_template

router = APIRouter(prefix="/api", tags=["registry"])


def _attachment(content: bytes, name: str) -> Response:
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(
    "/persons/import/template",
    summary="The persons import template (XLSX): headers in my language, ID and phone columns formatted as text",
    response_class=Response,
)
def template(actor: Actor = Depends(current_actor), lang: str = Depends(request_lang)) -> Response:
    return _attachment(import_template(actor, lang), TEMPLATE_NAME)


@router.get(
    "/imports/{import_id}/rejects",
    summary="The rows my import rejected (XLSX), with row, field and reason, to fix and import again",
    response_class=Response,
)
def rejects(
    import_id: Id,
    actor: Actor = Depends(current_actor),
    ctx: Context = Depends(get_ctx),
    lang: str = Depends(request_lang),
) -> Response:
    return _attachment(rejects_file(ctx, actor, import_id, lang), f"import-{import_id}-rejected-rows.xlsx")
