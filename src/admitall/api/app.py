"""The application: API routes, web pages and static assets over one `Context`."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from admitall import __version__
from admitall.api import (
    routes_accountability,
    routes_admission,
    routes_auth,
    routes_boundaries,
    routes_cadres,
    routes_command,
    routes_help,
    routes_imports,
    routes_linkage,
    routes_observation,
    routes_ops,
    routes_referrals,
    routes_registry,
    routes_reporting,
    routes_simulation,
    routes_staffing,
    routes_supplies,
    routes_survey,
)
from admitall.api.docs import install_api_docs
from admitall.api.errors import install_error_handlers
from admitall.api.ops_middleware import GZIP_MINIMUM, NOT_GZIPPED, OpsMiddleware
from admitall.api.security_headers import install_security_headers
from admitall.api.uploads import BodyLimit
from admitall.services.context import Context, make_context
from admitall.services.watch import run_every_minute
from admitall.web import (
    pages,
    pages_accountability,
    pages_admission,
    pages_bulletin,
    pages_cadres,
    pages_command,
    pages_help,
    pages_imports,
    pages_linkage,
    pages_lists,
    pages_observation,
    pages_referrals,
    pages_reporting,
    pages_scorecards,
    pages_sim,
    pages_staffing,
    pages_supplies,
    pages_survey,
)
from admitall.web.assets import STATIC_DIR


def create_app(ctx: Context | None = None) -> FastAPI:
    context = ctx or make_context()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """The chain watcher runs beside the server (one runner at a time across servers: see watch)."""
        stop = threading.Event()
        if context.settings.jobs_in_server:
            threading.Thread(target=run_every_minute, args=(context, stop), daemon=True, name="chain-watch").start()
        yield
        stop.set()

    # /docs and /redoc are ours (api/docs.py): FastAPI's load their scripts from a CDN and start them inline
    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        title="AdmitAll",
        version=__version__,
        description="应收尽收 — the outbreak admission command system. Every /api/ route except "
        "/api/auth/token needs a bearer token.",
    )
    app.state.ctx = context
    install_error_handlers(app)
    install_security_headers(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM, compresslevel=6, exclude_content_types=NOT_GZIPPED)
    app.add_middleware(OpsMiddleware)  # outermost of ours: the request id is set before anything logs
    app.include_router(routes_ops.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_command.router)
    app.include_router(routes_registry.router)
    app.include_router(routes_boundaries.router)
    app.include_router(routes_imports.router)
    app.include_router(routes_referrals.router)
    app.include_router(routes_observation.router)
    app.include_router(routes_help.router)
    app.include_router(routes_linkage.router)
    app.include_router(routes_admission.router)
    app.include_router(routes_reporting.router)
    app.include_router(routes_accountability.router)
    app.include_router(routes_simulation.router)
    app.include_router(routes_survey.router)
    app.include_router(pages.router)
    app.include_router(pages_command.router)
    app.include_router(pages_referrals.router)
    app.include_router(pages_observation.router)
    app.include_router(pages_help.router)
    app.include_router(pages_linkage.router)
    app.include_router(pages_imports.router)
    app.include_router(pages_admission.router)
    app.include_router(pages_bulletin.router)
    app.include_router(pages_reporting.router)
    app.include_router(pages_accountability.router)
    app.include_router(pages_scorecards.router)
    app.include_router(pages_sim.router)
    app.include_router(pages_lists.router)
    app.include_router(pages_survey.router)
    app.include_router(routes_supplies.router)  # issue 18 §1
    app.include_router(pages_supplies.router)
    app.include_router(routes_cadres.router)  # issue 18 §3–4
    app.include_router(pages_cadres.router)
    app.include_router(routes_staffing.router)  # issue 18 §2
    app.include_router(pages_staffing.router)
    install_api_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
