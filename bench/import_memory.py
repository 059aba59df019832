"""Peak memory of reading and importing a persons file, each measured in a fresh process (peak RSS, VmHWM).

    python bench/import_memory.py [--rows 100000] [--before /tmp/base/src]

Measures: reading every row of the CSV and of the same rows as XLSX (the stream the import consumes), with the
peak of Python's own heap during the read (tracemalloc) beside the process's peak RSS; the whole import into a
fresh SQLite database (peak RSS against the RSS before it); an XLSX "zip bomb" of 5,000,000 empty rows, which is
refused; a tiny XLSX whose sheet declares 5,000,000 rows, which is read as the one row it has; and a tiny XLSX with
cells in A1 and XFD1048576, refused before it is read (calamine would allocate the rectangle between them). With
`--before DIR`, each probe runs again with the `admitall` of that source tree, in the same run, for a baseline.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

PROBE = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, {here!r})
what, path, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
from admitall.domain.intake import HEADERS
from admitall.services.tabular import read_table
from admitall.domain.errors import AdmitAllError
import tracemalloc
def status_mb(key):  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
    return round(int(next(l for l in open("/proc/self/status") if l.startswith(key)).split()[1]) / 1024)
before = status_mb("VmRSS")
if what != "import":
    tracemalloc.start()
start = time.perf_counter()
result = None
if what == "read":
    result = sum(1 for _ in read_table(path, HEADERS, ("name", "category", "unit_code")).rows)
elif what == "bomb":
    try:
        sum(1 for _ in read_table(path, HEADERS, ("name", "category", "unit_code")).rows)
    except AdmitAllError as e:
        result = e.code
elif what == "import":
    import random
    from datetime import UTC, datetime
    from admitall.clock import ManualClock
    from admitall.services.context import Context, cli_actor
    from admitall.services.registration import register_batch
    from admitall.services.units import import_units
    from admitall.settings import Settings
    from admitall.store.db import init_database, make_engine
    from import_persons import units
    url = f"sqlite:///{{work / f'memory-{{time.monotonic_ns()}}.db'}}"
    ctx = Context(engine=make_engine(url), clock=ManualClock(datetime(2020, 2, 10, 2, 0, tzinfo=UTC)),
                  settings=Settings(database_url=url, secret_key="bench-" + "x" * 32, run_jobs=False))
    init_database(ctx.engine)
    import_units(ctx, cli_actor(), units(random.Random(7)))
    table = read_table(path, HEADERS, ("name", "category", "unit_code"))
    result = register_batch(ctx, cli_actor(), table.rows, source="bench", filename=path.name, sha256=table.sha256).rows
seconds = round(time.perf_counter() - start, 2)
heap = round(tracemalloc.get_traced_memory()[1] / 2**20, 1) if what != "import" else None
print(json.dumps({{"what": what, "result": result, "seconds": seconds, "rss_before_mb": before,
                  "peak_rss_mb": status_mb("VmHWM"),
                  "peak_python_heap_mb": heap}}))
"""


def measure(what: str, path: Path, work: Path, src: Path | None = None) -> dict[str, object]:
    code = PROBE.format(here=str(HERE))
    env = {**os.environ, "PYTHONPATH": str(src or HERE.parent / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code, what, str(path), str(work)], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    measured: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    measured["file_mb"] = round(path.stat().st_size / 2**20, 1)
    return measured


def as_xlsx(csv_path: Path, out: Path) -> None:
    import csv

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    with csv_path.open(encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            sheet.append(row)
    book.save(out)


def _header_sheet_rewritten(out: Path, old: bytes, new: bytes) -> None:
    """An XLSX of a header row only, its sheet's XML with `old` replaced by `new`."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "类别", "社区编码"])
    plain = io.BytesIO()
    book.save(plain)
    source = zipfile.ZipFile(plain)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(old, new)
            target.writestr(item.filename, body)


def claimed_bomb(out: Path) -> None:
    """A tiny sheet that declares 5,000,000 rows in its dimension: openpyxl pads its rows out to what is declared."""
    _header_sheet_rewritten(out, b'<dimension ref="A1:C1" />', b'<dimension ref="A1:C5000000" />')


def far_cells(out: Path) -> None:
    """A header and one cell in XFD1048576: a few kilobytes whose sheet spans 17 billion cells."""
    _header_sheet_rewritten(
        out,
        b"</sheetData>",
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row></sheetData>',
    )


def bomb(out: Path) -> None:
    """5,000,000 empty rows, packed into a few kilobytes."""
    _header_sheet_rewritten(out, b"</sheetData>", b"<row/>" * 5_000_000 + b"</sheetData>")


def main() -> None:
    from import_persons import generate, units

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--before", type=Path, help="a src directory to measure too, for a baseline")
    args = parser.parse_args()
    rng = random.Random(7)
    communities = [str(r["code"]) for _, r in units(rng) if not str(r["code"]).endswith("000")]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        persons, workbook, zip_bomb = work / "persons.csv", work / "persons.xlsx", work / "bomb.xlsx"
        generate(persons, args.rows, communities, rng)
        as_xlsx(persons, workbook)
        bomb(zip_bomb)
        claimed, far = work / "claimed.xlsx", work / "far.xlsx"
        claimed_bomb(claimed)
        far_cells(far)
        empty = work / "empty.csv"
        empty.write_text("姓名,类别,社区编码\n", encoding="utf-8")
        for what, path in [
            ("read", empty),
            ("read", persons),
            ("read", workbook),
            ("import", persons),
            ("bomb", zip_bomb),
            ("read", claimed),
            ("bomb", far),
        ]:
            for label, src in [("after", None), *([("before", args.before)] if args.before else [])]:
                measured = measure(what, path, work, src)
                print(json.dumps({"tree": label, "file": path.name, **measured}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
