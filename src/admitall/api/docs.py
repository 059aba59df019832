"""The API's interactive documentation, served offline: Swagger UI at `/docs` and ReDoc at `/redoc`.

FastAPI's own pages load their scripts from a CDN and start them with an inline script; command networks have no
internet and our Content-Security-Policy allows no inline script. So the assets come from the installed
`fastapi-offline` package (served at `/docs-assets/`), the pages are our templates, and Swagger UI is started by
`web/static/api-docs.js`. Both pages describe the routes (`/openapi.json`, also their twin at `/docs.json`), never
data: they are public, as the schema is; every operation still needs a bearer token from `/api/auth/token`.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from admitall.api.deps import request_lang
from admitall.web.rendering import templates

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"


def install_api_docs(app: FastAPI) -> None:
    """`/docs`, `/redoc` and their assets; call after the routers, so that the schema lists every route."""

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> Response:
        return _page(request, "api_docs.html")

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> Response:
        return _page(request, "api_redoc.html")

    @app.get("/docs.json", include_in_schema=False)
    @app.get("/redoc.json", include_in_schema=False)
    def twin() -> JSONResponse:
        """The pages' JSON twin: the schema they show."""
        return JSONResponse(app.openapi())

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")


def _page(request: Request, template: str) -> Response:
    context = {"lang": request_lang(request), "assets": ASSETS_URL, "schema": request.app.openapi_url}
    return templates.TemplateResponse(request, template, context)
