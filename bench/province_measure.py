"""The measurements of bench/province.py on a generated province (issue 15): each figure with the 1-minute load
average beside it, since the machine's 2 cores are shared. Results go to bench/RESULTS.md ("A province")."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from sqlalchemy import text

from admitall.clock import ManualClock
from admitall.domain.access import Role
from admitall.domain.reporting import DEFAULT_SCHEDULES, period_containing
from admitall.domain.units import UnitLevel
from admitall.services import people, reporting, watch
from admitall.services.auth import add_user
from admitall.services.command import command_screen
from admitall.services.context import Actor, Context, cli_actor
from admitall.services.screen_cache import cached_command_screen
from admitall.settings import Settings
from admitall.store.db import alembic_config, current_revision, make_engine
from common import machine, start_process, write_section
from province_data import PROVINCE, log
from reporting_chain import burst

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-" + "x" * 40
PASSWORD = "bench password 2020"
WUHAN = "420100000000"


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


CPU: dict[str, float] = {}  # figure → the process's CPU seconds over its runs (time.process_time)


def timed(fn: Callable[[], Any], repeat: int, label: str = "") -> tuple[list[float], str]:
    runs = []
    before = load()
    cpu = time.process_time()
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    if label:
        CPU[label] = (time.process_time() - cpu) / max(repeat, 1)
    return runs, f"{before}–{load()}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.01 else f"{seconds * 1000:.1f}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(args: argparse.Namespace) -> None:
    url = args.url
    engine = make_engine(url)
    out: dict[str, Any] = {"started": datetime.now(UTC).isoformat(), "load_start": load()}
    t = time.perf_counter()
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    out["migrate_to_head_s"] = time.perf_counter() - t
    out["revision"] = current_revision(engine)
    log(f"migrated to {out['revision']} in {out['migrate_to_head_s']:.0f} s")
    with engine.connect() as conn:
        t0 = conn.exec_driver_sql("SELECT min(created_at) FROM facilities").scalar_one()
        out["counts"] = {
            t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
            for t in ("units", "facilities", "persons", "person_events", "reports", "officials")
        }
        out["database_gb"] = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one() / 1e9
        out["shared_buffers"] = conn.exec_driver_sql("SHOW shared_buffers").scalar_one()
    data_end = t0 + timedelta(days=30)
    clock = ManualClock(data_end + timedelta(minutes=5))
    settings = Settings(database_url=url, secret_key=SECRET, run_jobs=False)
    ctx = Context(engine, clock, settings)
    _users(ctx)
    hq = Actor("province-hq", Role.COMMANDER, PROVINCE)
    # the generated people's census changes (appended by the triggers, one per person) folded once, as the watch would
    t = time.perf_counter()
    with ctx.uow(write=True) as uow:
        folded = uow.census.fold()
        uow.commit()
    out["first_fold"] = {"changes": folded, "s": time.perf_counter() - t, "load": load()}
    log(f"first fold {out['first_fold']}")

    # the province's command screen, uncached (the service) and from the shared cache
    runs, la = timed(lambda: command_screen(ctx, hq, PROVINCE), args.screen_repeat, "screen_uncached")
    out["screen_uncached"] = {"runs": runs, "p95": p95(runs), "load": la}
    log(f"screen uncached {[round(r, 2) for r in runs]} load {la}")
    cached_command_screen(ctx, hq, PROVINCE)
    runs, la = timed(lambda: cached_command_screen(ctx, hq, PROVINCE), args.repeat, "screen_cached")
    out["screen_cached"] = {"runs": runs, "p95": p95(runs), "load": la}
    log(f"screen cached p95 {p95(runs):.3f} load {la}")
    city = Actor("wuhan-hq", Role.COMMANDER, WUHAN)
    runs, la = timed(lambda: command_screen(ctx, city, WUHAN), max(2, args.screen_repeat // 2), "city_screen")
    out["city_screen_uncached"] = {"runs": runs, "p95": p95(runs), "load": la}

    # name search: names drawn from the registry (two and three characters), and a surname alone
    with engine.connect() as conn:
        names = list(
            conn.execute(
                text(
                    "SELECT name FROM persons WHERE id IN (SELECT (random() * (SELECT max(id) FROM persons))::int "
                    "FROM generate_series(1, 200)) LIMIT 60"
                )
            ).scalars()
        )
    random.Random(3).shuffle(names)
    searches: dict[str, list[float]] = {}
    la0 = load()
    for label, qs in (("full name", names[: args.repeat]), ("two characters", [n[:2] for n in names[: args.repeat]])):
        runs = []
        for q in qs:
            s = time.perf_counter()
            people.search_people(ctx, hq, q=q, limit=50)
            runs.append(time.perf_counter() - s)
        searches[label] = runs
    # a surname alone: refused over the province and a city (more than BROAD_SCOPE people), served in a district
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"[: args.repeat]
    district = Actor("district-hq", Role.COMMANDER, "420102000000")
    for label, actor in (
        ("a surname alone over the province (refused)", hq),
        ("a surname alone over a city, Wuhan (refused)", city),
        ("a surname alone in a district (served)", district),
    ):
        runs = []
        for q in surnames:
            s = time.perf_counter()
            answer = people.search_people(ctx, actor, q=q, limit=50)
            runs.append(time.perf_counter() - s)
        searches[label] = runs
        out.setdefault("search_surname", {})[label] = [
            answer["total"],
            answer["total_more"],
            answer["note"] is not None,
        ]
    out["search"] = {k: {"runs": v, "p95": p95(v)} for k, v in searches.items()}
    out["search_load"] = f"{la0}–{load()}"
    log(f"search { ({k: round(v['p95'], 3) for k, v in out['search'].items()}) }")

    # the watch's round at this size
    clock.set(data_end + timedelta(minutes=15))
    la = load()
    t = time.perf_counter()
    result = watch.watch(ctx)
    out["watch"] = {"s": time.perf_counter() - t, "load": f"{la}–{load()}", "result": _brief(result)}
    log(f"watch {out['watch']['s']:.0f} s")
    # the next minute's round: what every minute costs when the day's cards were just made
    clock.advance(timedelta(minutes=1))
    out["watch_next"] = _round(ctx)
    log(f"watch, the next minute {out['watch_next']['s']:.0f} s")
    # the first round after the next local midnight: the day ended's cards finished, the new day's made
    local = clock.now().astimezone(settings.tz)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=1, second=0, microsecond=0)
    clock.set(midnight.astimezone(UTC))
    out["watch_midnight"] = _round(ctx)
    log(f"watch, after midnight {out['watch_midnight']['s']:.0f} s")
    if args.burst_from:
        out["burst"] = json.loads(Path(args.burst_from).read_text())["burst"]
        out["burst_note"] = args.burst_from
    elif not args.skip_burst:
        out["burst"] = _burst(ctx, args)
    if args.verify_from:
        out["verify"] = json.loads(Path(args.verify_from).read_text())["verify"]
        out["verify_note"] = args.verify_from
    elif not args.skip_verify:
        out["verify"] = _verify_both(ctx, url, args.verify_timeout)
    finished = Path("/tmp/admitall-province-bench.finish.json")
    out["finish"] = json.loads(finished.read_text()) if finished.exists() else None
    out["cpu"] = CPU
    Path("/tmp/admitall-province-measure.json").write_text(json.dumps(out, indent=1, default=str))
    write_section("province", report(out))


def _users(ctx: Context) -> None:
    for username, role, unit in (
        ("province-hq", "commander", PROVINCE),
        ("wuhan-hq", "commander", WUHAN),
        ("province-duty", "unit_officer", PROVINCE),
    ):
        with contextlib.suppress(Exception):  # kept from an earlier run
            add_user(ctx, cli_actor(), username=username, password=PASSWORD, role=role, unit_code=unit)
    # the cities report to the province every hour (the districts, streets and communities as before)
    reporting.set_schedule(ctx, cli_actor(), "city", period_minutes=60, grace_minutes=10)


def _round(ctx: Context) -> dict[str, Any]:
    """One watch round at the clock's time: wall and this process's CPU seconds, the load, what it did."""
    la, t, cpu = load(), time.perf_counter(), time.process_time()
    result = watch.watch(ctx)
    return {
        "s": time.perf_counter() - t,
        "cpu": time.process_time() - cpu,
        "load": f"{la}–{load()}",
        "result": _brief(result),
    }


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if isinstance(v, int | float | bool)}


def burst_only(args: argparse.Namespace) -> None:
    """The burst alone, on the kept database, added to the last measure's figures; the section written again
    (`python bench/province.py burst --url URL`, after `measure --skip-burst`)."""
    kept = Path("/tmp/admitall-province-measure.json")
    out = json.loads(kept.read_text())
    engine = make_engine(args.url)
    ctx = Context(engine, ManualClock(datetime.now(UTC)), Settings(database_url=args.url, secret_key=SECRET))
    _users(ctx)
    out["burst"] = _burst(ctx, args)
    out.pop("burst_note", None)
    kept.write_text(json.dumps(out, indent=1, default=str))
    write_section("province", report(out))


def _burst(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """30,000 unit reports for the hour now running through `serve --workers 2`, beside bare_app's one-row insert."""
    with ctx.uow() as uow:
        units = [c for c, _, _ in uow.units.reporting(None, ["city", "district", "street", "community"])]
    now = datetime.now(UTC)
    period = period_containing(now, DEFAULT_SCHEDULES[UnitLevel.COMMUNITY], ctx.settings.tz)
    env = {
        **os.environ,
        "ADMITALL_DATABASE_URL": ctx.settings.database_url,
        "ADMITALL_SECRET_KEY": SECRET,
        "ADMITALL_RUN_JOBS": "false",
    }
    port, bare_port = free_port(), free_port()
    app = start_process(
        [sys.executable, "-m", "admitall.cli", "serve", "--port", str(port), "--workers", "2"], env, port, ROOT
    )
    bare = start_process(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(bare_port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env,
        bare_port,
        ROOT,
    )
    try:
        token = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/token",
            data={"username": "province-duty", "password": PASSWORD},
            timeout=60,
        ).json()["access_token"]
        bodies = [
            {
                "unit_code": u,
                "period_start": period.start.isoformat(),
                "attested_by": "值班员",
                "attest": True,
                "reported": {},
                "idempotency_key": f"prov-{period.key()}-{u}",
            }
            for u in units
        ]
        random.Random(5).shuffle(bodies)
        auth = {"Authorization": f"Bearer {token}"}
        la = load()
        _, bare_status, bare_s = asyncio.run(
            burst(
                f"http://127.0.0.1:{bare_port}",
                "/write",
                [{"key": b["idempotency_key"]} for b in bodies],
                {},
                rate=100_000,
                concurrency=64,
            )
        )
        bare_load = f"{la}–{load()}"
        la = load()
        _, statuses, app_s = asyncio.run(
            burst(f"http://127.0.0.1:{port}", "/api/reports", bodies, auth, rate=100_000, concurrency=64)
        )
        app_load = f"{la}–{load()}"
        with ctx.engine.connect() as conn:
            stored = conn.execute(
                text("SELECT count(*), count(DISTINCT unit_code) FROM reports WHERE period_start = :p"),
                {"p": period.start},
            ).one()
        # the same burst again: every key already used, nothing stored twice
        _, again, _again_s = asyncio.run(
            burst(f"http://127.0.0.1:{port}", "/api/reports", bodies[:2000], auth, rate=100_000, concurrency=64)
        )
        with ctx.engine.connect() as conn:
            after = conn.execute(
                text("SELECT count(*) FROM reports WHERE period_start = :p"), {"p": period.start}
            ).one()
        codes: dict[str, int] = {}
        for s in statuses:
            codes[str(s)] = codes.get(str(s), 0) + 1
        return {
            "units": len(units),
            "app_s": app_s,
            "app_load": app_load,
            "statuses": codes,
            "stored": stored[0],
            "distinct_units": stored[1],
            "after_resend": after[0],
            "resend_statuses": sorted(set(again)),
            "bare_s": bare_s,
            "bare_load": bare_load,
            "bare_ok": sum(1 for s in bare_status if s == 200),
            "period": period.start.isoformat(),
        }
    finally:
        for p in (app, bare):
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _verify_both(ctx: Context, url: str, timeout: int) -> dict[str, Any]:
    """The incremental verify after a little work, from a checkpoint kept as a full verify that found everything
    intact keeps it (the generated hashes are placeholders: a real full verify finds them all wrong and keeps none);
    then the full verify, timed out after `timeout` seconds."""
    from admitall.services.registration import register_batch
    from admitall.services.verify_incremental import _max, _record
    from admitall.store.tables import audit_log, person_events, reports

    la = load()
    t = time.perf_counter()
    with ctx.engine.connect() as conn:
        through = {
            "events": _max(conn, person_events.c.id),
            "reports": _max(conn, reports.c.id),
            "audit": _max(conn, audit_log.c.id),
        }
    _record(ctx, None, through, 0)
    recorded = {"s": time.perf_counter() - t, "load": f"{la}–{load()}"}
    log(f"checkpoint recorded {recorded}")
    at = ctx.clock.now().astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M")
    fields = {"unit_code": "420102002001", "category": "contact", "identified_at": at}
    run = int(time.time()) % 10_000  # people new to this run (an earlier run's would be found again, not added)
    rows = [(i + 2, {"name": f"新人{run}-{i}", "phone": f"137{run:04d}{i:04d}", **fields}) for i in range(1000)]
    summary = register_batch(ctx, cli_actor(), rows, source="bench")
    log(f"registered {len(summary.person_ids)} of {len(rows)}")
    incremental = _verify(url, timeout, [])
    log(f"verify incremental {incremental}")
    full = _verify(url, timeout, ["--full"])
    log(f"verify full {full}")
    return {"checkpoint": recorded, "incremental": incremental, "full": full, "added_people": len(rows)}


def _verify(url: str, timeout: int, options: list[str]) -> dict[str, Any]:
    env = {**os.environ, "ADMITALL_DATABASE_URL": url, "ADMITALL_SECRET_KEY": SECRET}
    la = load()
    t = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "admitall.cli", "verify", "--json", *options],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        outcome = "finished"
        summary = {k: v for k, v in json.loads(done.stdout or "{}").items() if isinstance(v, int | bool | str)}
    except subprocess.TimeoutExpired:
        outcome, summary = f"stopped after {timeout} s", {}
    return {"s": time.perf_counter() - t, "outcome": outcome, "summary": summary, "load": f"{la}–{load()}"}


def report(o: dict[str, Any]) -> str:
    c = o["counts"]
    lines = [
        "## A province (issue 15)",
        "",
        f"Measured {o['started'][:16]} UTC on {machine()}; PostgreSQL 15 (a cluster of its own under /tmp: "
        f"shared_buffers {o.get('shared_buffers', '?')}, fsync off), over a Unix socket. `python bench/province.py generate|part|finish|measure`. "
        "Load average (1 min) beside every figure: the 2 cores were shared with other work (a load over 2 means waiting).",
        "",
        f"Data: {c['units']:,} units (Hubei: 17 cities, 102 districts, 1,224 streets, 28,656 communities), "
        f"{c['facilities']:,} facilities, {c['persons']:,} people, {c['person_events']:,} person events over 30 days, "
        f"{c['reports']:,} reports (the last 48 hours), {c['officials']:,} officials; database "
        f"{o['database_gb']:.1f} GB. Migrated to {o['revision']} in {o['migrate_to_head_s']:.0f} s; the generated "
        f"people's {o['first_fold']['changes']:,} census changes folded once in {o['first_fold']['s']:.0f} s "
        f"(load {o['first_fold']['load']}).",
        "",
        "| figure | target | measured | load | verdict |",
        "| --- | --- | ---: | --- | --- |",
    ]

    def row(name: str, target: str, value: str, la: str, ok: bool | None) -> None:
        verdict = "—" if ok is None else ("**met**" if ok else "**missed**")
        lines.append(f"| {name} | {target} | {value} | {la} | {verdict} |")

    sc, su = o["screen_cached"], o["screen_uncached"]
    row(
        "province command screen from the cache, p95 (in-process)",
        "< 300 ms",
        f"{ms(sc['p95'])} ms",
        sc["load"],
        sc["p95"] < 0.3,
    )
    row(
        f"province command screen uncached, p95 of {len(su['runs'])}",
        "< 2 s",
        f"{ms(su['p95'])} ms",
        su["load"],
        su["p95"] < 2,
    )
    cu = o["city_screen_uncached"]
    row("a city's (Wuhan's) screen uncached, p95", "—", f"{ms(cu['p95'])} ms", cu["load"], None)
    for label, s in o["search"].items():
        row(
            f"name search, {label}, p95 of {len(s['runs'])}",
            "< 200 ms",
            f"{ms(s['p95'])} ms",
            o["search_load"],
            s["p95"] < 0.2,
        )
    w = o["watch"]
    row(
        "the watch's round (the clock 15 minutes after the data's end)",
        "< 60 s",
        f"{w['s']:.1f} s",
        w["load"],
        w["s"] < 60,
    )
    for key, label in (
        ("watch_next", "the watch's next round, one minute later (this process's CPU in brackets)"),
        ("watch_midnight", "the first round after local midnight: the day's cards made (this process's CPU)"),
    ):
        if key not in o:
            continue
        n = o[key]
        row(
            label,
            "< 60 s",
            f"{n['s']:.1f} s ({n['cpu']:.1f} s)",
            n["load"],
            n["s"] < 60,
        )
    if "burst" in o:
        b = o["burst"]
        ok = b["stored"] == b["units"] == b["distinct_units"] == b["after_resend"]
        row(
            f"burst of {b['units']:,} unit reports, serve --workers 2",
            "all stored once",
            f"{b['app_s']:.0f} s ({b['units'] / b['app_s']:.0f}/s)",
            b["app_load"],
            ok,
        )
        row(
            "bare FastAPI one-row insert, uvicorn --workers 2, same count",
            "baseline",
            f"{b['bare_s']:.0f} s ({b['units'] / b['bare_s']:.0f}/s)",
            b["bare_load"],
            None,
        )
    if "verify" in o:
        v = o["verify"]
        c = v["checkpoint"]
        row("a full verify's checkpoint kept (every person's and unit's head)", "—", f"{c['s']:.0f} s", c["load"], None)
        i, f = v["incremental"], v["full"]
        row(
            f"`admitall verify` (incremental, after {v['added_people']:,} people registered)",
            "a few minutes",
            f"{i['s']:.0f} s ({i['outcome']}, {i['summary'].get('events_checked', '?')} events read)",
            i["load"],
            i["s"] < 300 and i["outcome"] == "finished",
        )
        row(
            "`admitall verify --full`",
            "—",
            f"{f['s']:.0f} s ({f['outcome']}, {f['summary'].get('events_checked', '?')} events read)",
            f["load"],
            None,
        )
    lines += [
        "",
        "```",
        json.dumps({k: v for k, v in o.items() if k in ("burst", "verify", "search_surname", "cpu")}, default=str),
        "```",
    ]
    return "\n".join(lines)
