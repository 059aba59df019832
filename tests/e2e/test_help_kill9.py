"""Nothing lost under kill -9 (issue 16, benchmark): a real `admitall serve` on SQLite takes a burst of public help
requests from several clients at once and is killed with SIGKILL in the middle of it. Afterwards every request
that was answered 201 is stored, and every stored request is whole: its row, its two first steps (received,
assigned), its audit entry — none half-written — and the database passes its integrity check."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text

from admitall.store.db import init_database
from admitall.store.tables import audit_log
from admitall.store.tables_help import help_request_events, help_requests
from tests.conftest import make_ctx
from tests.factories import DAZHI_1, DAZHI_2, YIYUAN_1, load_small_city
from tests.live_server import free_port

ADMITALL = str(Path(sys.executable).parent / "admitall")
SECRET = "test-secret-" + "x" * 32
CLIENTS = 6
KILL_AFTER = 120  # answered requests before the kill


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ADMITALL_DATABASE_URL": url,
        "ADMITALL_SECRET_KEY": SECRET,
        "ADMITALL_RUN_JOBS": "false",
        "ADMITALL_HELP_ADDRESS_PER_WINDOW": "1000000",
    }
    process = subprocess.Popen(
        [ADMITALL, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the server did not start")


def test_every_answered_request_is_stored_whole_after_kill_9(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'admitall.db'}"
    ctx = make_ctx(url, clock)
    init_database(ctx.engine)
    load_small_city(ctx, leads=False)
    ctx.engine.dispose()
    port = free_port()
    server = _serve(url, port)
    answered: list[str] = []
    failures: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def client(k: int) -> None:
        communities = (DAZHI_1, DAZHI_2, YIYUAN_1)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            for i in range(100_000):
                if stop.is_set():
                    return
                body = {
                    "name": f"居民{k}-{i}",
                    "phone": f"139{k:02d}{i:06d}",
                    "unit_code": communities[i % 3],
                    "address": f"{i}栋",
                    "breathless": i % 4 == 0,
                }
                try:
                    response = c.post("/api/help-requests", json=body)
                except httpx.HTTPError as e:
                    with lock:
                        failures[type(e).__name__] += 1
                    return
                if response.status_code == 201:
                    with lock:
                        answered.append(response.json()["number"])

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 180
        while len(answered) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)  # mid-burst: the clients are still sending
    finally:
        server.kill()
        server.wait()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert len(answered) >= KILL_AFTER
    assert failures, "the kill came after the burst"

    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        stored = dict(conn.execute(select(help_requests.c.number, help_requests.c.id)).all())
        steps: dict[int, list[str]] = {}
        e = help_request_events.c
        for request_id, kind in conn.execute(select(e.request_id, e.kind).order_by(e.id)):
            steps.setdefault(request_id, []).append(kind)
        audited = conn.execute(select(func.count()).where(audit_log.c.action == "help_request_received")).scalar_one()
    engine.dispose()
    missing = [n for n in answered if n not in stored]
    assert missing == [], f"{len(missing)} answered requests were lost"
    assert all(steps.get(i) == ["received", "assigned"] for i in stored.values()), "a request is half-written"
    assert set(steps) == set(stored.values())  # no step without its request
    assert audited == len(stored)
    assert len(stored) - len(answered) <= CLIENTS  # at most the requests in flight when the server died
