"""Several web processes on one PostgreSQL database, as production runs them: `admitall serve --workers 2` and a
separate `admitall watch --forever`, real processes over HTTP (one cluster, one server pair for the module).

Which worker answers is the kernel's choice; a client here keeps one keep-alive connection, and /healthz (which
gives the worker's process id) before and after a request shows which worker served it. Checked across the two:
a sign-in on one worker is valid on the other (sessions and CSRF tokens in the database), signing out on one ends
it on both; a burst of reports (each community once, some retried with their idempotency key at the same moment on
either worker) is stored once each; two dispatchers on different workers confirming the last ICU bed at the same
moment: exactly one wins, the other is told the bed is gone; the command screen of one worker shows at once a
person registered through the other, and the watch's alerts on both; a schedule changed through one worker applies
on the other within the documented SCHEDULE_CACHE_SECONDS (docs/deploy.md, "Per-process caches")."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from admitall.services.context import Context, cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting_rules import SCHEDULE_CACHE_SECONDS
from admitall.services.units import import_units
from admitall.store.tables import alerts, reports
from tests.conftest import START, make_ctx
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    PASSWORD,
    id_number,
    load_small_city,
    load_small_facilities,
    make_user,
    person_row,
)
from tests.live_server import free_port
from tests.postgres import PostgresServer

pytestmark = pytest.mark.postgres

ADMITALL = str(Path(sys.executable).parent / "admitall")
SECRET = "test-secret-" + "x" * 32  # make_ctx's: what the seed sealed stays verifiable
LONG = 180.0  # seconds: a deadline for anything on a loaded 2-core machine
BURST_UNITS = 240  # communities added under one street, each reporting once in the burst
USERS = {
    "admin": ("admin", CITY),
    "commander": ("commander", CITY),
    "hq-duty": ("unit_officer", CITY),
    "dazhi": ("unit_officer", DAZHI),
    "dispatcher": ("dispatcher", CITY),
    "dispatcher2": ("dispatcher", CITY),
}


def until(condition: Callable[[], Any], what: str, timeout: float = LONG) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.2)


@dataclass
class Site:
    url: str
    ctx: Context
    pids: list[int]  # the two workers
    burst_units: list[str]
    critical: list[int]  # two people who need an ICU bed; the city has one
    tmp: Path

    def client(self, pid: int, token_of: str | None = None) -> httpx.Client:
        """A client whose one connection is served by the worker `pid` (new connections until one lands there)."""
        headers = {"Authorization": f"Bearer {self.token(token_of)}"} if token_of else {}
        for _ in range(200):
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            client = httpx.Client(base_url=self.url, timeout=60, limits=limits, headers=headers)
            if served_by(client) == pid:
                return client
            client.close()
        raise AssertionError(f"no connection landed on worker {pid}")

    @contextmanager
    def on(self, pid: int, cookies: httpx.Cookies | None = None, token_of: str | None = None) -> Iterator[httpx.Client]:
        """A client on worker `pid` for a few requests, checked at the end to be still on it (a keep-alive connection
        the server closed would be opened again, perhaps to the other worker)."""
        client = self.client(pid, token_of)
        if cookies is not None:
            client.cookies = cookies
        try:
            yield client
            assert served_by(client) == pid, "the connection moved to the other worker"
        finally:
            client.close()

    def token(self, username: str) -> str:
        response = httpx.post(f"{self.url}/api/auth/token", data={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


def served_by(client: httpx.Client) -> int:
    return int(client.get("/healthz").json()["pid"])


def _seed(ctx: Context) -> tuple[list[str], list[int]]:
    load_small_city(ctx)  # set up in 2020 and never reported since: every unit has a running miss for the watch
    load_small_facilities(ctx)  # H1 has the city's only ICU bed
    for username, (role, unit) in USERS.items():
        make_user(ctx, username, role, unit)
    codes = [f"{DAZHI[:9]}{n:03d}" for n in range(3, 3 + BURST_UNITS)]
    summary = import_units(
        ctx, cli_actor(), [(i + 2, {"code": c, "name": f"社区{c[-3:]}"}) for i, c in enumerate(codes)]
    )
    assert summary.accepted == BURST_UNITS
    rows = [
        person_row(name=name, id_number=id_number(seq=seq), phone=phone, category="confirmed", severity="critical")
        for name, seq, phone in (("危一", 11, "13900000011"), ("危二", 12, "13900000012"))
    ]
    registered = register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="seed")
    return codes, [registered.person_ids[2], registered.person_ids[3]]


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMITALL_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        ADMITALL_DATABASE_URL=url,
        ADMITALL_SECRET_KEY=SECRET,
        ADMITALL_RUN_JOBS="false",
        ADMITALL_WATCH_EVERY_SECONDS="10",
        ADMITALL_WATCH_RETRY_SECONDS="1",
        ADMITALL_DB_POOL_SIZE="4",
        ADMITALL_DB_MAX_OVERFLOW="8",
    )
    return env


@pytest.fixture(scope="module")
def site(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from admitall.clock import ManualClock

    tmp = tmp_path_factory.mktemp("workers")
    url = postgres.fresh_database()
    ctx = make_ctx(url, ManualClock(START))
    codes, critical = _seed(ctx)
    port = free_port()
    env = _env(url)
    logs = {name: (tmp / f"{name}.log").open("w") for name in ("web", "watch")}
    web = subprocess.Popen(
        [ADMITALL, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env, stdout=logs["web"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    watch = subprocess.Popen(
        [ADMITALL, "watch", "--forever", "--json"], env=env, stdout=logs["watch"], stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        pids: set[int] = set()

        def both_workers() -> bool:
            assert web.poll() is None, (tmp / "web.log").read_text()
            try:
                with httpx.Client(base_url=base, timeout=10) as c:
                    pids.add(served_by(c))
            except httpx.TransportError:
                pass
            return len(pids) == 2

        until(both_workers, "both workers to answer")
        yield Site(base, ctx, sorted(pids), codes, critical, tmp)
    finally:
        for process in (web, watch):
            process.send_signal(signal.SIGTERM)
        try:
            assert watch.wait(timeout=LONG) == 0, (tmp / "watch.log").read_text()
            assert web.wait(timeout=LONG) == 0, (tmp / "web.log").read_text()
        finally:
            for process in (web, watch):
                if process.poll() is None:
                    process.kill()
            for log in logs.values():
                log.close()
            ctx.engine.dispose()
            postgres.drop(url)


def ok_rounds(ctx: Context) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM watch_rounds WHERE outcome = 'ok'")).scalar_one())


def signed_in(site: Site, username: str, on: int, then: int) -> tuple[httpx.Cookies, str]:
    """Sign in with the form fetched from worker `on` and posted to worker `then`; returns the cookies (the session)
    and the CSRF token of a page worker `on` then shows."""
    with site.on(on) as a:
        token = re.search(r'name="login_csrf" value="([^"]+)"', a.get("/login").text)
        assert token is not None
        jar = a.cookies
    with site.on(then, jar) as b:
        form = {"login_csrf": token.group(1), "next": "/", "username": username, "password": PASSWORD}
        signed = b.post("/login", data=form)
        assert signed.status_code == 303 and "/login" not in signed.headers["location"], signed.text
        jar = b.cookies
    with site.on(on, jar) as a:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', a.get("/", follow_redirects=True).text)
        assert csrf is not None
    return jar, csrf.group(1)


def acknowledged(site: Site, alert_id: int) -> bool:
    with site.ctx.engine.connect() as conn:
        return conn.execute(select(alerts.c.acknowledged_at).where(alerts.c.id == alert_id)).scalar_one() is not None


def test_a_sign_in_on_one_worker_holds_on_the_other_and_signing_out_ends_it_on_both(site: Site):
    first, second = site.pids
    until(lambda: ok_rounds(site.ctx), "the watch's first round")
    jar, csrf = signed_in(site, "commander", first, second)
    with site.on(first, jar) as a:
        assert a.get(f"/command/{CITY}.json").status_code == 200
    with site.ctx.engine.connect() as conn:
        alert_id = conn.execute(
            select(alerts.c.id).where(alerts.c.target_unit == CITY, alerts.c.acknowledged_at.is_(None)).limit(1)
        ).scalar_one()
    with site.on(second, jar) as b:
        forged = b.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": "forged-" + csrf[7:], "note": "x"})
        assert forged.status_code == 303 and forged.headers["location"].startswith("/login")  # refused
        assert not acknowledged(site, alert_id)
        acked = b.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf, "note": "已派人核实"})
        assert acked.status_code == 303 and acknowledged(site, alert_id)
        assert b.post("/logout", data={"csrf_token": csrf}).status_code == 303
    with site.on(first, jar) as a:  # the session's cookie as it was before signing out
        after = a.get(f"/command/{CITY}.json")
        assert after.status_code == 401, after.status_code  # a JSON twin answers 401; its page, the sign-in form


def test_a_burst_of_reports_over_both_workers_is_stored_once_each(site: Site):
    token = site.token("hq-duty")
    # each community once, and one in five sent twice with the same key (a retry after a lost answer), shuffled:
    # a retry may reach the other worker at the same moment as its original
    sends = [(u, f"burst-{u}") for u in site.burst_units] + [(u, f"burst-{u}") for u in site.burst_units[::5]]
    random.Random(3).shuffle(sends)
    pids: list[int] = []
    lock = threading.Lock()

    def send(item: tuple[str, str]) -> tuple[str, int, str | None]:
        unit, key = item
        body = {"unit_code": unit, "attested_by": "值班员", "attest": True, "field": {"households_screened": 10}}
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        with httpx.Client(base_url=site.url, headers=headers, timeout=120) as c:
            response = c.post("/api/reports", json=body)
            with lock:
                pids.append(served_by(c))
        return unit, response.status_code, response.json().get("outcome")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(send, sends))
    elapsed = time.monotonic() - started
    assert all(status == 201 for _, status, _ in results), [r for r in results if r[1] != 201][:3]
    outcomes = [o for _, _, o in results]
    assert outcomes.count("stored") == BURST_UNITS and outcomes.count("duplicate") == len(site.burst_units[::5])
    assert set(pids) == set(site.pids), "the burst reached one worker only"
    with site.ctx.engine.connect() as conn:
        stored = conn.execute(
            select(reports.c.unit_code, func.count())
            .where(reports.c.unit_code.in_(site.burst_units))
            .group_by(reports.c.unit_code)
        ).all()
    assert len(stored) == BURST_UNITS and {n for _, n in stored} == {1}
    print(
        f"\nburst: {len(sends)} reports ({BURST_UNITS} units, {len(sends) - BURST_UNITS} retries) over 2 workers in "
        f"{elapsed:.1f} s ({len(sends) / elapsed:.0f}/s); per worker {[pids.count(p) for p in site.pids]}"
    )


def test_two_dispatchers_on_different_workers_race_for_the_last_icu_bed_and_one_wins(site: Site):
    first, second = site.pids
    clients = [site.client(first, "dispatcher"), site.client(second, "dispatcher2")]
    ready = threading.Barrier(2)
    answers: list[dict[str, Any]] = [{}, {}]

    def confirm(i: int) -> None:
        item = {"person": site.critical[i], "facility": "H1", "bed_type": "icu"}
        ready.wait()
        response = clients[i].post("/api/allocation/confirm", json={"items": [item]}, headers={"Accept-Language": "en"})
        assert response.status_code == 200, response.text
        answers[i] = response.json()

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LONG)
    assert [served_by(c) for c in clients] == [first, second]
    for c in clients:
        c.close()
    won = [a for a in answers if a["confirmed"]]
    lost = [a for a in answers if a["skipped"]]
    assert len(won) == 1 and len(lost) == 1, answers
    refusal = lost[0]["skipped"][0]
    assert refusal["code"] == "beds.unavailable", refusal
    print(f"\nthe last bed: one confirmed, the other told: {refusal.get('message') or refusal}")
    with site.ctx.engine.connect() as conn:
        taken = conn.execute(
            text("SELECT occupied + reserved FROM bed_pools WHERE facility_code = 'H1' AND bed_type = 'icu'")
        ).scalar_one()
    assert taken == 1


def census_total(screen: dict[str, Any]) -> int:
    return int(screen["categories"]["total"])


def test_the_command_screen_of_one_worker_shows_at_once_what_the_other_stored_and_the_watchs_alerts(site: Site):
    first, second = site.pids
    until(lambda: ok_rounds(site.ctx), "the watch's first round")
    jar, _csrf = signed_in(site, "commander", first, second)
    screens = []
    for pid in (first, second):
        with site.on(pid, jar) as c:
            screens.append(c.get(f"/command/{CITY}.json").json())
    for screen in screens:
        assert screen["alerts"]["items"], "the watch's alerts are not on the screen"
    assert [x["id"] for x in screens[0]["alerts"]["items"]] == [x["id"] for x in screens[1]["alerts"]["items"]]
    before = census_total(screens[1])
    with site.on(first, token_of="dazhi") as officer:
        person = {"name": "新登记", "category": "suspected", "unit_code": DAZHI_1, "phone": "13700000999"}
        assert officer.post("/api/persons", json=person).status_code == 201
    with site.on(second, jar) as b:
        assert census_total(b.get(f"/command/{CITY}.json").json()) == before + 1


def test_a_schedule_changed_through_one_worker_applies_on_the_other_within_the_documented_time(site: Site):
    first, second = site.pids

    def street(c: httpx.Client) -> int:
        found = c.get("/api/reporting/schedules").json()["schedules"]
        return next(s["period_minutes"] for s in found if s["level"] == "street")

    with closing(site.client(first, "admin")) as a, closing(site.client(second, "admin")) as b:
        assert street(b) == 60  # read (and kept) by the second worker
        changed = a.put("/api/reporting/schedules/street", json={"period_minutes": 240, "grace_minutes": 30})
        assert changed.status_code == 200, changed.text
        started = time.monotonic()
        assert street(a) == 240  # at once where it was changed
        until(lambda: street(b) == 240, "the other worker to apply it", timeout=SCHEDULE_CACHE_SECONDS + 30)
        took = time.monotonic() - started
        assert served_by(b) == second
        print(
            f"\nschedule: applied on the other worker after {took:.1f} s (documented: {SCHEDULE_CACHE_SECONDS:.0f} s)"
        )
        a.put("/api/reporting/schedules/street", json={"period_minutes": 60, "grace_minutes": 10})
