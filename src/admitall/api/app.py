"""The application: API routes, web pages and static assets over one `Context`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from admitall import __version__
from admitall.api import routes_admission, routes_auth, routes_registry
from admitall.api.errors import install_error_handlers
from admitall.services.context import Context, make_context
from admitall.web import pages, pages_admission
from admitall.web.assets import STATIC_DIR


def create_app(ctx: Context | None = None) -> FastAPI:
    # no /docs or /redoc: their pages load scripts from a CDN, and command networks have no internet
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="AdmitAll",
        version=__version__,
        description="应收尽收 — the outbreak admission command system. Every /api/ route except "
        "/api/auth/token needs a bearer token.",
    )
    app.state.ctx = ctx or make_context()
    install_error_handlers(app)
    app.include_router(routes_auth.router)
    app.include_router(routes_registry.router)
    app.include_router(routes_admission.router)
    app.include_router(pages.router)
    app.include_router(pages_admission.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
