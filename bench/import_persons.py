"""Benchmark: import a generated 100,000-row persons CSV into a fresh SQLite database.

Baseline, measured in the same run on the same file: reading it with the csv module (every row into a list).
Targets (issue 2): 100,000 rows validated and stored in under 10 s on the 2-core machine, and within 10x of
the plain read. Results are written to bench/RESULTS.md (the section between the import markers).

    python bench/import_persons.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from admitall.clock import ManualClock
from admitall.domain.identity import check_character
from admitall.domain.intake import HEADERS
from admitall.services.context import Context, cli_actor
from admitall.services.demo import read_divisions
from admitall.services.registration import register_batch
from admitall.services.tabular import read_table
from admitall.services.units import import_units
from admitall.settings import Settings
from admitall.store.db import init_database, make_engine

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, write_section

NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
COLUMNS = ["姓名", "身份证号", "手机号", "类别", "病情", "风险", "社区编码", "住址", "发现时间", "来源编号"]


def units(rng: random.Random) -> list[tuple[int, dict[str, str | None]]]:
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


def one_import(path: Path, work: Path, unit_rows: list[tuple[int, dict[str, str | None]]]) -> tuple[float, dict]:
    db = work / f"bench-{time.monotonic_ns()}.db"
    url = f"sqlite:///{db}"
    ctx = Context(make_engine(url), ManualClock(NOW), Settings(database_url=url, secret_key="bench"))
    init_database(ctx.engine)
    import_units(ctx, cli_actor(), unit_rows)
    start = time.perf_counter()
    table = read_table(path, HEADERS, ("name", "category", "unit_code"))
    summary = register_batch(ctx, cli_actor(), table.rows, source="bench", filename=path.name, sha256=table.sha256)
    elapsed = time.perf_counter() - start
    with ctx.uow() as uow:
        stored = uow.persons.count()
    ctx.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    result = {
        "rows": summary.rows,
        "accepted": summary.accepted,
        "merged": summary.merged,
        "rejected": summary.rejected,
        "stored": stored,
    }
    assert summary.accepted + summary.merged + summary.rejected == summary.rows
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rng = random.Random(2020)
    unit_rows = units(rng)
    communities = [str(r["code"]) for _, r in unit_rows if not str(r["code"]).endswith("000")]
    with tempfile.TemporaryDirectory(prefix="admitall-bench-") as tmp:
        work = Path(tmp)
        path = work / "persons.csv"
        generate(path, args.rows, communities, rng)
        size_mb = path.stat().st_size / 1e6
        baselines, imports = [], []
        result: dict = {}
        for _ in range(args.repeat):
            baselines.append(baseline_read(path))
            seconds, result = one_import(path, work, unit_rows)
            imports.append(seconds)
            print(f"import {seconds:.2f} s, baseline read {baselines[-1]:.3f} s", file=sys.stderr)
    base, best = statistics.median(baselines), statistics.median(imports)
    ratio = best / base
    verdict_time = "met" if best < 10 else "MISSED"
    verdict_ratio = "met" if ratio <= 10 else "MISSED"
    per_s, base_per_s = f"{args.rows / best:,.0f}", f"{args.rows / base:,.0f}"
    section = f"""## Import of persons (issue 2)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.
`python bench/import_persons.py --rows {args.rows} --repeat {args.repeat}`: a generated CSV of {args.rows:,} rows
({size_mb:.1f} MB, valid ID numbers and phones, all four categories, Chinese headers) imported into a fresh SQLite
database holding the demo city's units; median of {args.repeat} runs each.

| what | seconds (median) | rows per second |
| --- | ---: | ---: |
| AdmitAll import: read, validate, match, store people and events (one transaction) | {best:.2f} | {per_s} |
| baseline: `csv.reader` reading the same file into a list | {base:.3f} | {base_per_s} |

Ratio import / baseline: **{ratio:.1f}×**. All runs: import {", ".join(f"{s:.2f}" for s in imports)} s;
baseline {", ".join(f"{s:.3f}" for s in baselines)} s. Outcome of the last run: {result}.

Targets: under 10 s — **{verdict_time}** ({best:.2f} s);
within 10× of the plain read — **{verdict_ratio}** ({ratio:.1f}×).
"""
    print(section)
    if not args.no_write:
        write_section("import-persons", section)


if __name__ == "__main__":
    main()
