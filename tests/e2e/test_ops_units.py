"""The systemd units' commands run as plain processes (no systemd here): the environment file's settings with a
throwaway database, `admitall init` (ExecStartPre), the watch unit's ExecStart (`watch --forever`: its first round,
then a clean stop on SIGTERM), then the web
unit's ExecStart — two workers, metrics added up across them in PROMETHEUS_MULTIPROC_DIR — on a free port: it
answers /healthz and /readyz, its metrics carry what the guide lists, JSON log lines carry the request id, and
it stops on SIGTERM as systemd stops it."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import text as sql

from admitall.store.db import make_engine
from tests.live_server import free_port
from tests.unit.test_ops_deploy import BINARY, DEPLOY, GUIDE, unit_lines

ADMITALL = str(Path(sys.executable).parent / "admitall")


def command(unit: str, key: str = "ExecStart", port: int | None = None) -> list[str]:
    words = shlex.split(unit_lines(DEPLOY / unit, key)[-1])
    assert words[0] == BINARY
    words[0] = ADMITALL
    if port is not None:
        words[words.index("--port") + 1] = str(port)
    return words


def unit_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMITALL_")}
    for line in (DEPLOY / "admitall.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    for line in unit_lines(DEPLOY / "admitall-web.service", "Environment"):
        key, value = line.split("=", 1)
        env[key] = value
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    env.update(
        ADMITALL_DATABASE_URL=f"sqlite:///{tmp_path / 'admitall.db'}",
        ADMITALL_SECRET_KEY="unit-test-secret-" + "k" * 32,
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
    )
    return env


def test_the_units_commands_serve_a_city(tmp_path: Path):
    env = unit_env(tmp_path)
    assert env["ADMITALL_RUN_JOBS"] == "false" and env["ADMITALL_LOG_FORMAT"] == "json"
    init = subprocess.run(command("admitall-web.service", "ExecStartPre"), env=env, capture_output=True, timeout=300)
    assert init.returncode == 0, init.stderr
    watch_env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    watch_out = (tmp_path / "watch.log").open("w+")
    watch = subprocess.Popen(command("admitall-watch.service"), env=watch_env, stdout=watch_out, stderr=subprocess.PIPE)
    engine = make_engine(env["ADMITALL_DATABASE_URL"])

    def rounds() -> int:
        with engine.connect() as conn:
            return int(conn.execute(sql("SELECT count(*) FROM watch_rounds WHERE outcome = 'ok'")).scalar_one())

    try:
        deadline = time.monotonic() + 120
        while not rounds():
            assert watch.poll() is None, watch.stderr.read() if watch.stderr else ""
            assert time.monotonic() < deadline, "the watch unit's command ran no round"
            time.sleep(0.3)
    finally:
        engine.dispose()
        watch.send_signal(signal.SIGTERM)  # systemd's stop: it ends after the round, cleanly
        assert watch.wait(timeout=120) == 0
    assert json.loads(Path(watch_out.name).read_text().splitlines()[0])["ran"] is True

    port = free_port()
    log = (tmp_path / "web.log").open("w+")
    web = subprocess.Popen(command("admitall-web.service", port=port), env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert web.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, "the web unit's command did not start"
            time.sleep(0.3)
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        for _ in range(6):  # spread over both workers
            httpx.get(f"{base}/login", headers={"X-Request-ID": "unit-test-req-1"}, timeout=10)
        text = httpx.get(f"{base}/metrics", timeout=10).text
        for name in (
            "admitall_http_requests_total",
            "admitall_backlog_people",
            "admitall_watch_last_round_age_seconds",
        ):
            assert f"`{name}`" in GUIDE
        assert 'admitall_http_requests_total{method="GET",route="/login",status="200"} 6.0' in text
        assert "admitall_watch_last_round_age_seconds" in text
    finally:
        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=60) == 0
    lines = [json.loads(line) for line in Path(log.name).read_text().splitlines() if line.startswith("{")]
    assert any(line["request_id"] == "unit-test-req-1" and "/login" in line["message"] for line in lines)
