"""Survey sync (issue 17): 1,000 visits queued on one phone, sent when the network comes back, through real HTTP
to a running `admitall serve` (one process, SQLite) over Wuhan's real tree, the way the app sends them (batches
of 500 to `POST /api/survey/visits`, one transaction each) — and beside it, in the same run, the baseline: the same
1,000 records written one row a request to bench/bare_app.py's bare endpoint (same stack, nothing else).

The visits are a community's day: 1,000 households, 70 % with someone home (1–4 people, one in ten febrile or with
a symptom, so registered as fever through the registration service), 30 % nobody home. Then the same 1,000 sent
again (a phone that never heard the answer): every one a duplicate, nothing stored twice.

    .venv/bin/python bench/survey_sync.py [--visits 1000] [--batch 500]

Target: 1,000 queued visits stored in ≤ 10 s. Results: bench/RESULTS.md, section "Survey sync (issue 17)".
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from admitall.clock import SystemClock  # noqa: E402
from admitall.domain.access import Role  # noqa: E402
from admitall.domain.units import level_of  # noqa: E402
from admitall.services import survey  # noqa: E402
from admitall.services.auth import add_user  # noqa: E402
from admitall.services.context import Actor, Context, cli_actor  # noqa: E402
from admitall.services.demo import demo_unit_rows  # noqa: E402
from admitall.services.units import import_units  # noqa: E402
from admitall.settings import Settings  # noqa: E402
from admitall.store.db import init_database, make_engine  # noqa: E402
from admitall.store.tables import persons  # noqa: E402
from admitall.store.tables_survey import survey_visit_people, survey_visits  # noqa: E402
from common import machine, write_section  # noqa: E402
from reporting_chain import cpu_seconds, free_port, start  # noqa: E402

SECRET = "bench-secret-" + "x" * 32
PASSWORD = "survey bench password 17"
ADMITALL = str(Path(sys.executable).parent / "admitall")
UVICORN = str(Path(sys.executable).parent / "uvicorn")


def commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()


def build(url: str, households: int) -> tuple[str, list[int]]:
    """Wuhan's tree, a community's team and its households; returns the community and the households' ids."""
    ctx = Context(make_engine(url), SystemClock(), Settings(database_url=url, secret_key=SECRET))
    init_database(ctx.engine)
    rows = demo_unit_rows(random.Random(17))
    import_units(ctx, cli_actor(), enumerate(rows, start=2))
    community = next(str(r["code"]) for r in rows if level_of(str(r["code"])).value == "community")
    add_user(ctx, cli_actor(), username="team", password=PASSWORD, role="unit_officer", unit_code=community)
    team = Actor(username="team", role=Role.UNIT_OFFICER, unit_code=community)
    survey.add_households(
        ctx, team, community, [(i + 2, {"address": f"{i // 40 + 1}栋{i % 40 + 101}"}) for i in range(households)]
    )
    ids = [h["id"] for h in survey.households(ctx, team, community)["households"]]
    ctx.engine.dispose()
    return community, ids


def visits(households: list[int], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = datetime.now(UTC).isoformat()
    out = []
    for i, hid in enumerate(households):
        home = rng.random() < 0.7
        people = []
        for j in range(rng.randrange(1, 5) if home else 0):
            ill = rng.random() < 0.1
            people.append(
                {
                    "name": f"居民{i}-{j}",
                    "temperature": round(rng.uniform(37.4, 39.5) if ill else rng.uniform(36.0, 37.1), 1),
                    "symptoms": ["cough"] if ill and rng.random() < 0.5 else [],
                    "category": "none",
                    "phone": f"13{rng.randrange(10**9):09d}" if ill else "",
                }
            )
        out.append(
            {
                "key": f"bench-{seed}-{i:06d}",
                "household_id": hid,
                "outcome": "visited" if home else "absent",
                "occurred_at": now,
                "people": people,
            }
        )
    return out


def send(client: httpx.Client, token: str, items: list[dict[str, Any]], batch: int) -> tuple[float, dict[str, int]]:
    counts = {"stored": 0, "duplicate": 0, "conflict": 0, "refused": 0}
    t = time.perf_counter()
    for i in range(0, len(items), batch):
        r = client.post(
            "/api/survey/visits", json={"visits": items[i : i + batch]}, headers={"Authorization": f"Bearer {token}"}
        )
        r.raise_for_status()
        for k in counts:
            counts[k] += r.json()[k]
    return time.perf_counter() - t, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    n = args.visits
    work = Path(tempfile.mkdtemp(prefix="survey-bench-"))
    url = f"sqlite:///{work / 'admitall.db'}"
    t = time.perf_counter()
    _community, households = build(url, n)
    built = time.perf_counter() - t
    env = {"ADMITALL_DATABASE_URL": url, "ADMITALL_SECRET_KEY": SECRET, "ADMITALL_RUN_JOBS": "false"}

    bare_port = free_port()
    bare = start(
        [UVICORN, "bench.bare_app:app", "--port", str(bare_port), "--log-level", "warning"],
        {"ADMITALL_DATABASE_URL": f"sqlite:///{work / 'bare.db'}"},
        bare_port,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{bare_port}", timeout=60) as client:
            for i in range(50):
                client.post("/write", json={"key": f"w{i}"})
            before = cpu_seconds(bare.pid)
            t = time.perf_counter()
            for i in range(n):
                client.post("/write", json={"key": f"k{i}"}).raise_for_status()
            bare_s = time.perf_counter() - t
            bare_cpu = cpu_seconds(bare.pid) - before
    finally:
        bare.terminate()
        bare.wait()

    port = free_port()
    server = start([ADMITALL, "serve", "--port", str(port)], env, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            token = client.post("/api/auth/token", data={"username": "team", "password": PASSWORD}).json()[
                "access_token"
            ]
            queued = visits(households, 1)
            before = cpu_seconds(server.pid)
            first_s, first = send(client, token, queued, args.batch)
            first_cpu = cpu_seconds(server.pid) - before
            again_s, again = send(client, token, queued, args.batch)
            one_s, one = send(client, token, visits(households, 2), n)
    finally:
        server.terminate()
        server.wait()
    engine = make_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(survey_visits)).scalar_one()
        found = conn.execute(select(func.count()).select_from(survey_visit_people)).scalar_one()
        registered = conn.execute(select(func.count()).select_from(persons)).scalar_one()
    engine.dispose()
    people_sent = sum(len(v["people"]) for v in queued)
    lines = [
        "## Survey sync (issue 17)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in the checkout at commit {commit()} (others' work in "
        f"progress beside it) on {machine()}, the machine shared with other work. "
        f"SQLite (WAL), one `admitall serve` process, Wuhan's tree (built with the community's {n:,} households in "
        f"{built:.0f} s). One phone's queue of {n:,} visits ({people_sent:,} people at home, 70 % of households with "
        f"someone home, one person in ten febrile) sent as the app sends it: batches of {args.batch} to "
        "`POST /api/survey/visits`, each one transaction, answered after its commit. Baseline in the same run: the "
        f"same {n:,} records one row a request to bench/bare_app.py's bare endpoint (same stack, nothing else). "
        f"`python bench/survey_sync.py --visits {n} --batch {args.batch}`.",
        "",
        "| what | visits | seconds | visits/s | server CPU s | answered |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| baseline: bare one-row endpoint, one request a record | {n:,} | {bare_s:.2f} | {n / bare_s:,.0f} | "
        f"{bare_cpu:.2f} | {n:,} written |",
        f"| survey visits, batches of {args.batch} | {n:,} | {first_s:.2f} | {n / first_s:,.0f} | {first_cpu:.2f} | "
        f"{first['stored']:,} stored, {first['refused']:,} refused |",
        f"| the same visits sent again | {n:,} | {again_s:.2f} | {n / again_s:,.0f} | — | "
        f"{again['duplicate']:,} duplicates, {again['stored']:,} stored |",
        f"| another {n:,} visits in one batch | {n:,} | {one_s:.2f} | {n / one_s:,.0f} | — | {one['stored']:,} stored |",
        "",
        f"Target ≤ 10 s for 1,000 queued visits: {'met' if first_s <= 10 else 'missed'} ({first_s:.1f} s). Stored "
        f"afterwards: {stored:,} visits ({2 * n:,} distinct keys sent, {3 * n:,} sent in all), {found:,} people at "
        f"home recorded, {registered:,} people registered (the febrile, as fever, through the registration "
        "service in the batch's transaction).",
    ]
    write_section("survey_sync", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
