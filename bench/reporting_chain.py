"""Benchmark: the hourly reporting chain under a burst, on PostgreSQL, over loopback HTTP.

A city of 5,000 reporting units (Wuhan's 13 districts and 193 streets, and generated communities) and
1,000,000 registered people. Against a running `admitall serve` (one process), every unit submits its report for
the current hour in an open-loop burst at a fixed rate; latency is measured from each request's scheduled send
time (so a slow server cannot hide its queue). In the same run, the same burst goes to a bare endpoint that
writes one row (bench/bare_app.py) on the same stack and database. Then the city board is queried.

Targets (issue 4): no report lost or stored twice; p99 under 250 ms at 200 submissions a second; the board
under 300 ms. Results go to bench/RESULTS.md.

    python bench/reporting_chain.py [--units 5000] [--people 1000000] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from tests.postgres import PostgresServer  # noqa: E402

from admitall.clock import SystemClock  # noqa: E402
from admitall.domain.access import Role  # noqa: E402
from admitall.domain.lifecycle import identify  # noqa: E402
from admitall.domain.people import PersonDetails, Stamp, Status  # noqa: E402
from admitall.domain.reporting import DEFAULT_SCHEDULES, period_containing  # noqa: E402
from admitall.domain.units import UnitLevel  # noqa: E402
from admitall.services import reporting  # noqa: E402
from admitall.services.auth import add_user  # noqa: E402
from admitall.services.context import Actor, Context, cli_actor  # noqa: E402
from admitall.services.demo import read_divisions  # noqa: E402
from admitall.services.units import UNIT_HEADERS, import_units  # noqa: E402
from admitall.settings import Settings  # noqa: E402
from admitall.store.db import init_database, make_engine  # noqa: E402
from admitall.store.repositories.persons import NewPerson  # noqa: E402
from admitall.store.tables import reports  # noqa: E402
from common import machine, start_process, write_section  # noqa: E402

PASSWORD = "bench password 2020"
SECRET = "bench-secret-" + "x" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_city(ctx: Context, units: int, people: int) -> None:
    """Wuhan's districts and streets, communities to make up `units`, and `people` waiting."""
    divisions = read_divisions()
    rows = [{k: d.get(src) for src, k in UNIT_HEADERS.items() if src in d} for d in divisions]
    streets = [d["code"] for d in divisions if d["level"] == "street"]
    wanted = units - len(rows) + 1  # the city itself does not report
    communities = [f"{s[:9]}{i:03d}" for i in range(1, 1000) for s in streets][:wanted]
    rows += [{"code": c, "name": f"社区{c[-3:]}"} for c in communities]
    import_units(ctx, cli_actor(), enumerate(rows, start=2))
    add_user(ctx, cli_actor(), username="hq", password=PASSWORD, role="unit_officer", unit_code="420100000000")
    rng = random.Random(4)
    now = ctx.clock.now()
    statuses = [Status.CONTACT] * 4 + [Status.CONFIRMED] * 3 + [Status.SUSPECTED, Status.FEVER]
    chunk = 20_000
    for start in range(0, people, chunk):
        batch = []
        for i in range(start, min(start + chunk, people)):
            details = PersonDetails(name=f"人{i}", unit_code=rng.choice(communities), phone=f"139{i:08d}")
            person, event = identify(details, rng.choice(statuses), Stamp(now, now, "bench", "bench"))
            batch.append(NewPerson(person, [event]))
        with ctx.uow(write=True) as uow:
            uow.persons.add_many(batch, now)
            uow.commit()
        print(f"  people {min(start + chunk, people):,}", file=sys.stderr, end="\r")
    print(file=sys.stderr)


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return start_process(command, {**os.environ, **env}, port, ROOT)


async def burst(
    url: str, path: str, bodies: list[dict], headers: dict[str, str], rate: float, concurrency: int = 64
) -> tuple[list[float], list[int], float]:
    """Open loop: request i is due at i / rate seconds; its latency counts from when it was due."""
    latencies: list[float] = [0.0] * len(bodies)
    retries = [0]
    statuses: list[int] = [0] * len(bodies)
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        t0 = time.perf_counter()

        async def one(i: int, body: dict) -> None:
            due = t0 + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            async with gate:
                for attempt in range(3):  # a connection the server had just closed: send again (idempotent)
                    try:
                        response = await client.post(path, json=body, headers={"Idempotency-Key": body.get("key", "")})
                        break
                    except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
                        retries[0] += 1
                        if attempt == 2:
                            raise
            statuses[i] = response.status_code
            latencies[i] = time.perf_counter() - due

        await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies)))
        elapsed = time.perf_counter() - t0
    return latencies, statuses, elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument(
        "--second-rate",
        type=float,
        default=60,
        help="a second burst, for the previous hour, at a rate the server can keep up with",
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    server = PostgresServer()
    url = server.fresh_database()
    settings = Settings(database_url=url, secret_key=SECRET, run_jobs=False)
    ctx = Context(make_engine(url), SystemClock(), settings)
    init_database(ctx.engine)
    t = time.perf_counter()
    build_city(ctx, args.units, args.people)
    with ctx.engine.begin() as conn:  # fresh statistics, as autovacuum keeps them in a running database
        conn.exec_driver_sql("ANALYZE")
    setup_seconds = time.perf_counter() - t
    with ctx.uow() as uow:
        reporting_units = [c for c, _, _ in uow.units.reporting(None, ["district", "street", "community"])]
    print(
        f"city: {len(reporting_units)} reporting units, {args.people:,} people ({setup_seconds:.0f} s)", file=sys.stderr
    )

    env = {"ADMITALL_DATABASE_URL": url, "ADMITALL_SECRET_KEY": SECRET, "ADMITALL_RUN_JOBS": "false"}
    port, bare_port = free_port(), free_port()
    app = start(
        [sys.executable, "-m", "admitall.cli", "serve", "--port", str(port), "--workers", str(args.workers)], env, port
    )
    bare = start(
        [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port), "--log-level", "warning"],
        env,
        bare_port,
    )
    try:
        token = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/token", data={"username": "hq", "password": PASSWORD}
        ).json()["access_token"]
        period = period_containing(datetime.now(UTC), DEFAULT_SCHEDULES[UnitLevel.COMMUNITY], settings.tz)
        random.Random(5).shuffle(reporting_units)
        bodies = [
            {
                "unit_code": u,
                "period_start": period.start.isoformat(),
                "attested_by": "值班员",
                "attest": True,
                "field": {"households_screened": 10},
                "key": f"bench-{period.key()}-{u}",
            }
            for u in reporting_units
        ]
        bare_result = asyncio.run(
            burst(f"http://127.0.0.1:{bare_port}", "/write", [{"key": b["key"]} for b in bodies], {}, args.rate)
        )
        auth = {"Authorization": f"Bearer {token}"}
        app_bodies = [{k: v for k, v in b.items() if k != "key"} | {"idempotency_key": b["key"]} for b in bodies]
        app_result = asyncio.run(burst(f"http://127.0.0.1:{port}", "/api/reports", app_bodies, auth, args.rate))
        earlier = (period.start - DEFAULT_SCHEDULES[UnitLevel.COMMUNITY].period).isoformat()
        slow_bodies = [{k: v for k, v in b.items() if k != "key"} | {"period_start": earlier} for b in bodies]
        slow_result = asyncio.run(
            burst(f"http://127.0.0.1:{port}", "/api/reports", slow_bodies, auth, args.second_rate)
        )
        board_http = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth) as c:
            for _ in range(5):
                t = time.perf_counter()
                assert c.get("/api/reports/board").status_code == 200
                board_http.append(time.perf_counter() - t)
    finally:
        app.terminate()
        bare.terminate()
    commander = Actor("hq-board", Role.COMMANDER, None)
    board_direct = []
    for _ in range(5):
        t = time.perf_counter()
        reporting.board(ctx, commander, "420100000000")
        board_direct.append(time.perf_counter() - t)
    with ctx.uow() as uow:
        stored = uow.conn.execute(
            select(func.count(), func.count(func.distinct(reports.c.unit_code))).select_from(reports)
        ).one()
    version = server_version(url)
    ctx.engine.dispose()
    server.drop(url)
    server.stop()

    (lat, statuses, elapsed), (blat, bstatuses, belapsed) = app_result, bare_result
    slat, sstatuses, selapsed = slow_result
    ok = sum(1 for s in statuses if s == 201)
    complete = stored[0] == len(lat) + len(slat) and stored[1] == len(lat)
    section = f"""## Reporting chain under a burst (issue 4)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; PostgreSQL {version} on loopback.
`python bench/reporting_chain.py --units {args.units} --people {args.people} --rate {args.rate:g} --workers {args.workers}`: {len(reporting_units):,}
reporting units (13 districts, 193 streets, {len(reporting_units) - 206:,} communities) and {args.people:,} people
waiting; `admitall serve --workers {args.workers}`; every unit submits this hour's report once, in a shuffled open-loop
burst at {args.rate:g} a second (latency counted from each request's due time). Baseline in the same run: the
same burst to a bare endpoint writing one row (bench/bare_app.py, same stack and database). Setup of the city
took {setup_seconds:.0f} s.

| | requests | answered 2xx | wall time (s) | sustained per s | p50 (ms) | p99 (ms) | max (ms) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| AdmitAll `POST /api/reports` | {len(lat):,} | {ok:,} | {elapsed:.1f} | {len(lat) / elapsed:.0f} | {statistics.median(lat) * 1000:.0f} | {percentile(lat, 0.99) * 1000:.0f} | {max(lat) * 1000:.0f} |
| AdmitAll, second burst at {args.second_rate:g}/s (previous hour) | {len(slat):,} | {sum(1 for s in sstatuses if s == 201):,} | {selapsed:.1f} | {len(slat) / selapsed:.0f} | {statistics.median(slat) * 1000:.0f} | {percentile(slat, 0.99) * 1000:.0f} | {max(slat) * 1000:.0f} |
| baseline: bare one-row write | {len(blat):,} | {sum(1 for s in bstatuses if s == 200):,} | {belapsed:.1f} | {len(blat) / belapsed:.0f} | {statistics.median(blat) * 1000:.0f} | {percentile(blat, 0.99) * 1000:.0f} | {max(blat) * 1000:.0f} |

Ratio of p99 to the baseline's: {percentile(lat, 0.99) / percentile(blat, 0.99):.1f}×. Reports stored: {stored[0]:,} for
{stored[1]:,} units (sent: {len(lat) + len(slat):,}, one a unit and hour): {"none lost, none twice" if complete else "MISMATCH"}.

City board (`reporting.board` for the city: districts × hours, completeness rolled up over all units), with
{args.people:,} people registered: median {statistics.median(board_direct) * 1000:.0f} ms in-process, {statistics.median(board_http) * 1000:.0f} ms over HTTP
(runs: {", ".join(f"{t * 1000:.0f}" for t in board_http)} ms). The board reads units and reports, not people, so its
time does not grow with the registry.

Targets: p99 under 250 ms at {args.rate:g}/s — **{"met" if percentile(lat, 0.99) < 0.25 and len(lat) / elapsed >= args.rate * 0.95 else "MISSED"}**
(p99 {percentile(lat, 0.99) * 1000:.0f} ms, {len(lat) / elapsed:.0f}/s sustained); no report lost or doubled —
**{"met" if complete else "MISSED"}**; board under 300 ms — **{"met" if statistics.median(board_http) < 0.3 else "MISSED"}**.
"""
    print(section)
    if not args.no_write:
        write_section("reporting-chain", section)


def server_version(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar_one()
    engine.dispose()
    return str(version).split()[0]


if __name__ == "__main__":
    main()
