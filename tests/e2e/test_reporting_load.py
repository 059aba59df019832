"""Load: every unit of the demo city reports in the first minute of the hour, over HTTP, with retries.

Nothing may be lost and nothing stored twice; every report is on time; the chain is complete afterwards."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn

from admitall.api.app import create_app
from admitall.clock import ManualClock
from admitall.services import reporting
from admitall.services.context import cli_actor
from admitall.services.demo import demo_unit_rows
from admitall.services.units import import_units
from admitall.store.db import init_database
from tests.conftest import make_ctx
from tests.factories import PASSWORD, make_user
from tests.live_server import free_port

HOUR_START = datetime(2020, 2, 10, 3, 0, tzinfo=UTC)  # 11:00 in Wuhan


@pytest.fixture(scope="module")
def demo_city(tmp_path_factory):
    clock = ManualClock(HOUR_START - timedelta(hours=1))
    ctx = make_ctx(f"sqlite:///{tmp_path_factory.mktemp('load') / 'load.db'}", clock)
    init_database(ctx.engine)
    import_units(ctx, cli_actor(), enumerate(demo_unit_rows(random.Random(1)), start=2))
    make_user(ctx, "hq-duty", "unit_officer", "420100000000")
    clock.set(HOUR_START + timedelta(seconds=5))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ctx), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield ctx, clock, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    ctx.engine.dispose()


def test_every_unit_reports_in_the_first_minute_and_nothing_is_lost_or_doubled(demo_city):
    ctx, clock, url = demo_city
    token = httpx.post(f"{url}/api/auth/token", data={"username": "hq-duty", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with ctx.uow() as uow:
        units = [code for code, _, _ in uow.units.reporting(None, ["district", "street", "community"])]
    assert len(units) > 2000
    # every unit once, and one in twenty sent twice (a retry after a lost answer), in a shuffled burst
    sends = [(u, f"burst-{u}") for u in units] + [(u, f"burst-{u}") for u in units[::20]]
    random.Random(2).shuffle(sends)

    def send(item):
        unit, key = item
        body = {
            "unit_code": unit,
            "period_start": HOUR_START.isoformat(),
            "attested_by": "值班员",
            "attest": True,
            "field": {"households_screened": 10},
        }
        with httpx.Client(base_url=url, headers={**headers, "Idempotency-Key": key}, timeout=60) as c:
            response = c.post("/api/reports", json=body)
        return unit, response.status_code, response.json().get("outcome")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(send, sends))
    elapsed = time.monotonic() - started
    assert all(status == 201 for _, status, _ in results), [r for r in results if r[1] != 201][:3]
    outcomes = [o for _, _, o in results]
    assert outcomes.count("stored") == len(units) and outcomes.count("duplicate") == len(units[::20])
    clock.set(HOUR_START + timedelta(hours=1, minutes=11))  # after the deadline
    figures = reporting.completeness(ctx, cli_actor_reader(), hours=1)
    assert (figures["expected"], figures["received"], figures["on_time"]) == (len(units),) * 3
    print(f"{len(sends)} reports in {elapsed:.1f} s ({len(sends) / elapsed:.0f}/s)")


def cli_actor_reader():
    from admitall.domain.access import Role
    from admitall.services.context import Actor

    return Actor("reader", Role.COMMANDER, None)
