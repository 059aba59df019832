"""For the operator: /healthz (the process answers; no database), /readyz (the database answers, its schema is at
the newest migration, a watch round finished less than three minutes ago) and /metrics (Prometheus). JSON, no
sign-in, no data: readiness names the check that failed and answers 503 then.

/metrics: with ADMITALL_METRICS_TOKEN set, only a request bearing it; without, only a client on this machine. Its
figures are counts (never a person), but they are the outbreak's before it is published: not for everyone."""

from __future__ import annotations

import hmac
import ipaddress
import os
from datetime import timedelta
from functools import lru_cache
from typing import Any

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from admitall.api.deps import get_ctx as ctx_of
from admitall.domain.errors import Forbidden
from admitall.services.ops_metrics import scrape
from admitall.services.watch_rounds import last_round
from admitall.store.db import MIGRATIONS, current_revision

router = APIRouter(include_in_schema=False)
# a round a minute: three minutes without one is a watch that stopped (or never started)
WATCH_STALE = timedelta(minutes=3)
NO_STORE = {"Cache-Control": "no-store"}


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration this code knows."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


@router.get("/healthz")
def healthz() -> Response:
    """The process answers; with its process id, so that an operator (and the tests) can tell the workers apart."""
    return JSONResponse({"status": "ok", "pid": os.getpid()}, headers=NO_STORE)


@router.get("/readyz")
def readyz(request: Request) -> Response:
    ctx = ctx_of(request)
    checks: dict[str, dict[str, Any]] = {}
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as e:  # any failure to reach it is the answer
        checks["database"] = {"ok": False, "error": type(e).__name__}
    if checks["database"]["ok"]:
        current, head = current_revision(ctx.engine), head_revision()
        checks["migrations"] = {"ok": current == head, "current": current or None, "head": head}
        now = ctx.clock.now()
        try:
            with ctx.engine.connect() as conn:
                last = last_round(conn)
        except Exception as e:  # the table itself missing: migrations are behind
            last, checks["watch"] = None, {"ok": False, "error": type(e).__name__}
        if "watch" not in checks:
            age = (now - last["started_at"]).total_seconds() if last is not None else None
            checks["watch"] = {
                "ok": age is not None and age < WATCH_STALE.total_seconds(),
                "last_round_started_at": last["started_at"].isoformat() if last is not None else None,
                "age_seconds": round(age, 1) if age is not None else None,
                "stale_after_seconds": int(WATCH_STALE.total_seconds()),
            }
    else:
        checks["migrations"] = {"ok": False, "error": "database unreachable"}
        checks["watch"] = {"ok": False, "error": "database unreachable"}
    failed = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "ready" if not failed else "not ready", "failed": failed, "checks": checks}
    return JSONResponse(body, status_code=503 if failed else 200, headers=NO_STORE)


def _may_scrape(request: Request) -> bool:
    token = ctx_of(request).settings.metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@router.get("/metrics")
def metrics(request: Request) -> Response:
    if not _may_scrape(request):
        raise Forbidden(
            "metrics.forbidden",
            "无权读取运行指标",
            "Metrics are for the monitoring system only (a bearer token, or this machine)",
        )
    return Response(scrape(ctx_of(request)), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
