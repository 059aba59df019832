"""Health, readiness and metrics over HTTP (the real application, in process): /healthz needs no database, /readyz
names the check that failed with 503 (database, migrations, the watch's last round), /metrics is for the monitoring
system only and labels requests by route template, never by raw path; every response carries a request id, the
500 page shows it as its incident id; pages and JSON are gzipped, downloads already compressed are not."""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from fastapi.responses import Response
from fastapi.testclient import TestClient

from admitall.api.app import create_app
from admitall.ops_logging import JsonFormatter, RequestIdFilter, request_id_from
from admitall.services import watch
from admitall.services.context import Context, cli_actor
from admitall.services.registration import register_batch
from admitall.settings import Settings
from admitall.store.db import alembic_config, make_engine
from tests.factories import load_small_city, person_row

LOCAL = ("127.0.0.1", 50000)


def client(ctx: Context, address: tuple[str, int] = LOCAL) -> TestClient:
    return TestClient(create_app(ctx), client=address, raise_server_exceptions=False)


def test_healthz_answers_without_a_database(tmp_path: Path, clock):
    url = f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}"
    settings = Settings(database_url=url, secret_key="k" * 40, run_jobs=False)
    ctx = Context(engine=make_engine(url), clock=clock, settings=settings)
    with client(ctx) as http:
        assert http.get("/healthz").json() == {"status": "ok", "pid": os.getpid()}
        ready = http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failed"] == ["database", "migrations", "watch"]


def test_readiness_needs_a_watch_round_younger_than_three_minutes(ctx, clock):
    with client(ctx) as http:
        first = http.get("/readyz")
        assert first.status_code == 503 and first.json()["failed"] == ["watch"]
        assert first.json()["checks"]["migrations"]["ok"]
        watch.watch(ctx)
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready", ready.json()
        clock.advance(timedelta(minutes=2, seconds=59))
        assert http.get("/readyz").status_code == 200
        clock.advance(timedelta(seconds=2))
        stale = http.get("/readyz").json()
    assert stale["failed"] == ["watch"] and stale["checks"]["watch"]["age_seconds"] == 181.0


def test_readiness_names_migrations_behind(sqlite_ctx):
    config = alembic_config(sqlite_ctx.engine)
    command.downgrade(config, "0020_phone_numbers")
    with client(sqlite_ctx) as http:
        body = http.get("/readyz").json()
    assert body["failed"] == ["migrations", "watch"]
    assert body["checks"]["migrations"]["current"] == "0020_phone_numbers"


def test_a_failed_round_does_not_count_as_ready(ctx, clock, monkeypatch):
    def broken(_ctx):
        raise RuntimeError("census unavailable")

    monkeypatch.setattr(watch, "refresh", broken)
    with pytest.raises(RuntimeError):
        watch.watch(ctx)
    with client(ctx) as http:
        assert http.get("/readyz").json()["failed"] == ["watch"]
    with ctx.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT outcome, error, finished_at FROM watch_rounds").one()
    assert row[0] == "failed" and "census unavailable" in row[1] and row[2] is not None


def test_metrics_only_for_this_machine_or_the_token(ctx):
    with client(ctx, ("10.1.2.3", 40000)) as http:
        assert http.get("/metrics").status_code == 403
    with client(ctx) as http:
        assert http.get("/metrics").status_code == 200
    ctx.settings.metrics_token = "s3cret-token"
    with client(ctx) as http:
        assert http.get("/metrics").status_code == 403
        assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert http.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


def test_metrics_label_route_templates_and_read_the_database(ctx, clock):
    load_small_city(ctx, leads=False)
    rows = [person_row(), person_row(name="", id_number=None)]
    register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="t", filename="a.csv", sha256="0" * 64)
    watch.watch(ctx)
    with client(ctx) as http:
        http.get("/people/12345")
        http.get("/healthz")
        text = http.get("/metrics").text
    labels = re.findall(r'route="([^"]*)"', text)
    assert "/people/{person_id}" in labels and not [label for label in labels if "12345" in label]
    assert 'admitall_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'admitall_backlog_people{class="suspected"} 1.0' in text
    assert 'admitall_import_rows_total{kind="persons",outcome="accepted"} 1.0' in text
    assert 'admitall_import_rows_total{kind="persons",outcome="rejected"} 1.0' in text
    assert "# TYPE admitall_open_alerts gauge" in text and "# TYPE admitall_reports_recent gauge" in text
    assert "admitall_watch_round_duration_seconds_count" in text
    assert "admitall_watch_last_round_age_seconds 0.0" in text


def test_every_response_carries_a_request_id(ctx):
    with client(ctx) as http:
        fresh = http.get("/healthz").headers["x-request-id"]
        assert len(fresh) == 32
        assert http.get("/healthz", headers={"X-Request-ID": "proxy-abc-12345"}).headers["x-request-id"] == (
            "proxy-abc-12345"
        )
        odd = http.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"}).headers["x-request-id"]
    assert odd != "<script>alert(1)</script>" and len(odd) == 32


def test_the_500_page_shows_the_request_id_as_its_incident(ctx):
    app = create_app(ctx)

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("bug")

    with TestClient(app, client=LOCAL, raise_server_exceptions=False) as http:
        answer = http.get("/api/boom", headers={"X-Request-ID": "req-0000-1111"})
    assert answer.status_code == 500
    assert answer.headers["x-request-id"] == "req-0000-1111"
    assert answer.json()["error"]["incident"] == "req-0000-1111"


def test_pages_and_json_are_gzipped_downloads_already_compressed_are_not(ctx):
    load_small_city(ctx, leads=False)
    with client(ctx) as http:
        page = http.get("/login", headers={"Accept-Encoding": "gzip"})
        assert page.headers.get("content-encoding") == "gzip"
        schema = http.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
        assert schema.headers.get("content-encoding") == "gzip" and schema.json()["paths"]
        tiny = http.get("/healthz", headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in tiny.headers  # under the minimum size


def test_spreadsheets_and_pdfs_are_sent_as_they_are(ctx):
    app = create_app(ctx)
    kinds = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}

    @app.get("/api/download/{kind}")
    def download(kind: str) -> Response:
        return Response(b"x" * 5000, media_type=kinds[kind])

    with TestClient(app, client=LOCAL) as http:
        for kind in kinds:
            answer = http.get(f"/api/download/{kind}", headers={"Accept-Encoding": "gzip"})
            assert "content-encoding" not in answer.headers and len(answer.content) == 5000


def test_json_logs_carry_the_request_id():
    record = logging.LogRecord("admitall", logging.ERROR, __file__, 1, "failed %s", ("x",), None)
    from admitall.ops_logging import REQUEST_ID

    REQUEST_ID.set("req-1234-5678")
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line == {**line, "level": "error", "message": "failed x", "request_id": "req-1234-5678"}
    assert request_id_from("short") != "short" and request_id_from("a" * 65) != "a" * 65
