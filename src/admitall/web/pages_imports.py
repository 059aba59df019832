"""The persons import's files on the web: the template to fill in, and an import's rejected rows to fix (only for
the user who imported). The upload itself is web.pages_admission's /imports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from admitall.api.deps import get_ctx, request_lang
from admitall.api.params import Id
from admitall.services.facilities import FACILITY_HEADERS
from admitall.services.registration.rejects import rejects_file
from admitall.services.registration.sheets import TEMPLATE_NAME, XLSX, import_template
from admitall.services.tabular import column_names
from admitall.web.rendering import session

router = APIRouter(include_in_schema=False)

# a facility row's fields that are no column of their own
_FACILITY_FIELDS = {"capacity": ("床位数", "beds")}


def facility_field_name(key: str, lang: str) -> str:
    """What a facilities file's field is called in `lang`: its header (the English one is the key itself)."""
    zh, en = _FACILITY_FIELDS.get(key) or column_names(key, FACILITY_HEADERS)
    return en if lang == "en" else zh


def attachment(content: bytes, name: str) -> Response:
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/imports/template.xlsx")
def template_download(request: Request) -> Response:
    actor, _csrf = session(request)
    return attachment(import_template(actor, request_lang(request)), TEMPLATE_NAME)


@router.get("/imports/{import_id}/rejects.xlsx")
def rejects_download(request: Request, import_id: Id) -> Response:
    actor, _csrf = session(request)
    content = rejects_file(get_ctx(request), actor, import_id, request_lang(request))
    return attachment(content, f"import-{import_id}-rejected-rows.xlsx")
