"""Benchmark: import a generated 100,000-row persons CSV into a fresh database, and read the same rows as XLSX.

Every measurement runs in a fresh child process, so that code from another source tree can be measured in the same
run beside this one (`--before DIR`: a `src` directory, e.g. of the commit before issue 13's import work, extracted
with `git archive`). Runs alternate between the trees. Each reports wall seconds and the child's CPU seconds: on a
shared machine the wall time also holds the time other processes took the cores, the CPU time does not.
Baseline, in the same run on the same file: reading it with the csv module (every row into a list).

Targets (issues 2 and 13): 100,000 rows validated and stored in under 10 s on SQLite; PostgreSQL (loaded by COPY)
reported; the 100,000-row XLSX read time. Results are written to bench/RESULTS.md (between the import markers).

    python bench/import_persons.py [--rows 100000] [--repeat 3] [--before /tmp/base/src] [--before-label TEXT]
        [--postgres] [--xlsx] [--validate]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from admitall.domain.identity import check_character

HERE = Path(__file__).parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))
from common import machine, write_section  # noqa: E402

NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
COLUMNS = ["姓名", "身份证号", "手机号", "类别", "病情", "风险", "社区编码", "住址", "发现时间", "来源编号"]


def units(rng: random.Random) -> list[tuple[int, dict[str, str | None]]]:
    from admitall.services.demo import read_divisions

    rows: list[dict[str, str | None]] = [{"code": d["code"], "name": d["name"]} for d in read_divisions()]
    for d in read_divisions():
        if d["level"] == "street":
            rows.extend({"code": d["code"][:9] + f"{i:03d}", "name": f"社区{i}"} for i in range(1, rng.randint(8, 20)))
    return list(enumerate(rows, start=2))


def generate(path: Path, n: int, communities: list[str], rng: random.Random) -> None:
    categories = ["确诊"] * 3 + ["疑似", "发热"] + ["密接"] * 4
    severities = ["轻型", "普通型", "普通型", "重型", "危重型"]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(n):
            unit = rng.choice(communities)
            born = datetime(1940, 1, 1) + timedelta(days=rng.randrange(70 * 365))
            first17 = f"{unit[:6]}{born:%Y%m%d}{rng.randrange(1000):03d}"
            category = rng.choice(categories)
            writer.writerow(
                [
                    "王" + rng.choice("伟芳娜秀英敏静丽强磊军洋") + rng.choice("勇艳杰娟涛明超兰霞平"),
                    first17 + check_character(first17),
                    f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                    category,
                    rng.choice(severities) if category == "确诊" else "",
                    rng.choice(["", "", "", "基础疾病"]),
                    unit,
                    f"{rng.randint(1, 300)}号",
                    (NOW - timedelta(minutes=rng.randrange(7 * 24 * 60))).astimezone().strftime("%Y-%m-%d %H:%M"),
                    f"B{i:07d}",
                ]
            )


def baseline_read(path: Path) -> float:
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    elapsed = time.perf_counter() - start
    assert len(rows) > 1
    return elapsed


# --- child: one measurement, with whatever `admitall` is first on the path -------------------------------------


def child_import(path: Path, url: str) -> dict[str, Any]:
    from admitall.clock import ManualClock
    from admitall.domain.intake import HEADERS
    from admitall.services.context import Context, cli_actor
    from admitall.services.registration import register_batch
    from admitall.services.tabular import read_table
    from admitall.services.units import import_units
    from admitall.settings import Settings
    from admitall.store.db import init_database, make_engine

    ctx = Context(make_engine(url), ManualClock(NOW), Settings(database_url=url, secret_key="bench"))
    init_database(ctx.engine)
    import_units(ctx, cli_actor(), units(random.Random(2020)))
    start, cpu = time.perf_counter(), time.process_time()
    table = read_table(path, HEADERS, ("name", "category", "unit_code"))
    summary = register_batch(ctx, cli_actor(), table.rows, source="bench", filename=path.name, sha256=table.sha256)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    with ctx.uow() as uow:
        stored = uow.persons.count()
    ctx.engine.dispose()
    assert summary.accepted + summary.merged + summary.referred + summary.rejected == summary.rows
    outcome = {"rows": summary.rows, "accepted": summary.accepted, "merged": summary.merged, "stored": stored}
    return {"wall": wall, "cpu": cpu, "outcome": outcome}


def child_read(path: Path) -> dict[str, Any]:
    from admitall.domain.intake import HEADERS
    from admitall.services.tabular import read_table

    start, cpu = time.perf_counter(), time.process_time()
    n = sum(1 for _ in read_table(path, HEADERS, ("name", "category", "unit_code")).rows)
    return {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu, "outcome": {"rows": n}}


def child_validate(path: Path) -> dict[str, Any]:
    """Only the domain's validation of every row (read first, not timed): what the phone rules add, if anything."""
    from admitall.domain.intake import HEADERS, parse_person_input
    from admitall.services.tabular import read_table

    rows = [raw for _, raw in read_table(path, HEADERS, ("name", "category", "unit_code")).rows]
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    start, cpu = time.perf_counter(), time.process_time()
    valid = sum(1 for raw in rows if not isinstance(parse_person_input(raw, now=NOW, tz=tz), list))
    return {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu, "outcome": {"valid": valid}}


def child_phones(path: Path) -> dict[str, Any]:
    """`normalize_phone` alone on the file's phones (all mainland mobiles, the checked fast case), ten times over."""
    from admitall.domain.identity import normalize_phone
    from admitall.domain.intake import HEADERS
    from admitall.services.tabular import read_table

    phones = [raw["phone"] or "" for _, raw in read_table(path, HEADERS, ("name", "category", "unit_code")).rows]
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(10):
        for phone in phones:
            normalize_phone(phone)
    return {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu, "outcome": {"phones": len(phones)}}


CHILDREN = {"import": None, "read": child_read, "validate": child_validate, "phones": child_phones}


def measure(src: Path, *args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], env=env, capture_output=True, text=True, cwd=HERE.parent
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- parent ----------------------------------------------------------------------------------------------------


class Series:
    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []

    def add(self, run: dict[str, Any]) -> None:
        self.runs.append(run)
        print(f"  {run['wall']:.2f} s wall, {run['cpu']:.2f} s CPU", file=sys.stderr)

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.runs)

    def cell(self) -> str:
        if not self.runs:
            return "—"
        return f"{self.median('wall'):.2f} s ({self.median('cpu'):.2f} s CPU)"

    def all(self) -> str:
        return ", ".join(f"{r['wall']:.2f}/{r['cpu']:.2f}" for r in self.runs)


def postgres_url() -> tuple[Any, Any]:
    """A throwaway PostgreSQL (tests.postgres) and a maker of empty databases on it."""
    sys.path.insert(0, str(HERE.parent))
    from sqlalchemy import text
    from tests.postgres import PostgresServer

    server = PostgresServer()

    def fresh() -> str:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        with server.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        return server._url_for(name)

    return server, fresh


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a src directory to measure beside this tree's")
    parser.add_argument("--before-label", default="the commit before this work", help="what --before is, said")
    parser.add_argument("--postgres", action="store_true", help="also import into a throwaway PostgreSQL")
    parser.add_argument("--xlsx", action="store_true", help="also read the same rows as XLSX")
    parser.add_argument("--validate", action="store_true", help="also time validation alone, and phones alone")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, *rest = args.child
        result = child_import(Path(path), rest[0]) if kind == "import" else CHILDREN[kind](Path(path))
        print(json.dumps(result))
        return
    loads = [os.getloadavg()[0]]  # the machine's load, said beside the figures (it is shared)
    rng = random.Random(2020)
    communities = [str(r["code"]) for _, r in units(rng) if not str(r["code"]).endswith("000")]
    trees = {"after": SRC, **({"before": args.before} if args.before else {})}
    series: dict[tuple[str, str], Series] = {}
    baselines: list[float] = []
    outcome: dict[str, Any] = {}
    server = None
    with tempfile.TemporaryDirectory(prefix="admitall-bench-") as tmp:
        work = Path(tmp)
        path = work / "persons.csv"
        generate(path, args.rows, communities, rng)
        size_mb = path.stat().st_size / 1e6
        workbook = work / "persons.xlsx"
        if args.xlsx:
            from import_memory import as_xlsx

            as_xlsx(path, workbook)
        if args.postgres:
            server, fresh_pg = postgres_url()
        try:
            for i in range(args.repeat):
                baselines.append(baseline_read(path))
                for label, src in sorted(trees.items(), reverse=i % 2 == 1):
                    print(f"{label}, run {i + 1}:", file=sys.stderr)
                    db = work / f"bench-{label}-{i}.db"
                    run = measure(src, "import", str(path), f"sqlite:///{db}")
                    series.setdefault((label, "sqlite"), Series()).add(run)
                    outcome = run["outcome"]
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{db}{suffix}").unlink(missing_ok=True)
                    if args.postgres:
                        url = fresh_pg()
                        series.setdefault((label, "postgres"), Series()).add(measure(src, "import", str(path), url))
                        assert server is not None
                        server.drop(url)
                    if args.xlsx:
                        series.setdefault((label, "xlsx"), Series()).add(measure(src, "read", str(workbook)))
                    if args.validate:
                        for kind in ("validate", "phones"):
                            series.setdefault((label, kind), Series()).add(measure(src, kind, str(path)))
        finally:
            if server is not None:
                server.stop()
    loads.append(os.getloadavg()[0])
    write(args, series, baselines, outcome, size_mb, loads)


def write(
    args: argparse.Namespace,
    series: dict[tuple[str, str], Series],
    baselines: list[float],
    outcome: dict[str, Any],
    size_mb: float,
    loads: list[float],
) -> None:
    after, before = series[("after", "sqlite")], series.get(("before", "sqlite"), Series())
    base = statistics.median(baselines)
    best = after.median("wall")
    verdict = "met" if best <= 10 else "MISSED"
    verdict_cpu = "met" if after.median("cpu") <= 10 else "MISSED"
    lines = [
        f"| SQLite: read, validate, match, store people and events (one transaction) | {before.cell()} | "
        f"{after.cell()} |"
    ]
    if args.postgres:
        lines.append(
            f"| PostgreSQL (bulk inserts by COPY after) | {series.get(('before', 'postgres'), Series()).cell()} | "
            f"{series[('after', 'postgres')].cell()} |"
        )
    if args.xlsx:
        lines.append(
            f"| reading the same rows as XLSX (python-calamine; openpyxl before issue 13) | "
            f"{series.get(('before', 'xlsx'), Series()).cell()} | {series[('after', 'xlsx')].cell()} |"
        )
    if args.validate:
        lines.append(
            f"| validation alone: every row through `parse_person_input` | "
            f"{series.get(('before', 'validate'), Series()).cell()} | {series[('after', 'validate')].cell()} |"
        )
        lines.append(
            f"| `normalize_phone` alone, the file's 100,000 mobiles ten times (1,000,000 calls) | "
            f"{series.get(('before', 'phones'), Series()).cell()} | {series[('after', 'phones')].cell()} |"
        )
    runs = "; ".join(f"{label} {kind}: {s.all()}" for (label, kind), s in sorted(series.items()))
    section = f"""## Import of persons (issues 2, 13 and 14)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.
**The machine was shared while measured** (other test suites and benchmarks ran on its 2 cores): wall times include
the time others held the cores; the CPU time of the measuring process does not, and is the steadier figure (on
PostgreSQL it leaves out the server's own work, which runs in its processes). Load average (1 minute) at the
start and the end of the run: {loads[0]:.1f} and {loads[-1]:.1f}.
`python bench/import_persons.py --rows {args.rows} --repeat {args.repeat}{" --before <src>" if args.before else ""}\
{" --postgres" if args.postgres else ""}{" --xlsx" if args.xlsx else ""}{" --validate" if args.validate else ""}`: \
a generated CSV of {args.rows:,} rows
({size_mb:.1f} MB, valid ID numbers and phones, all four categories, Chinese headers) imported into a fresh
database holding the demo city's units, each run in a fresh process, before and after alternating; median of
{args.repeat} runs each. "Before" is the tree given by `--before` ({args.before_label}), measured in the same run.

| what | before: wall (CPU) | after: wall (CPU) |
| --- | ---: | ---: |
{chr(10).join(lines)}
| baseline: `csv.reader` reading the same file into a list | | {base:.3f} s |

All runs (wall/CPU seconds): {runs}. Outcome of the last run: {outcome}.

Target under 10 s on SQLite — wall **{verdict}** ({best:.2f} s), CPU **{verdict_cpu}** ({after.median("cpu"):.2f} s).
"""
    print(section)
    if not args.no_write:
        write_section("import-persons", section)


if __name__ == "__main__":
    main()
