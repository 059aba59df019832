"""Spreadsheet formula injection: names that begin like a formula (units, officials, people) are written as text in
every export and every rejects file — never as a formula a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from admitall.domain.access import Role
from admitall.services import exports, officials
from admitall.services.context import Actor, cli_actor
from admitall.services.scorecards import store_day
from admitall.services.units import import_units
from admitall.sim.results import Results
from tests.factories import CITY, JIANGAN, WUCHANG, load_small_city

EVIL_UNIT = "=cmd|' /C calc'!A0"
EVIL_OFFICIAL = "@SUM(1+1)*cmd|'/Ccalc'!A0"  # (spaces inside names are removed as for Chinese names)
DAY = date(2020, 2, 11)
HQ = Actor("hq", Role.COMMANDER, CITY)


@pytest.fixture
def city(ctx, clock):
    clock.set(datetime(2020, 2, 10, 0, 0, tzinfo=UTC))
    load_small_city(ctx)
    import_units(ctx, cli_actor(), [(2, {"code": JIANGAN, "name": EVIL_UNIT})])
    lead = officials.add_official(ctx, cli_actor(), name=EVIL_OFFICIAL, title="区委副书记", home_unit=WUCHANG)
    officials.assign_lead(ctx, cli_actor(), WUCHANG, lead["id"])
    clock.set(datetime(2020, 2, 12, 18, 0, tzinfo=UTC))
    store_day(ctx, DAY)
    return ctx


def formulas_in(content: bytes) -> list[str]:
    """Every formula element in the workbook's sheets, as written in the file."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        return [n for n in sheets if b"<f>" in book.read(n) or b"<f " in book.read(n)]


@pytest.mark.parametrize("kind", ["unit", "official"])
def test_the_ranking_spreadsheet_writes_formula_like_names_as_text(city, kind):
    content = exports.scorecards_xlsx(city, HQ, day=DAY.isoformat(), level="district", kind=kind)
    assert formulas_in(content) == []
    book = load_workbook(io.BytesIO(content))
    names = {row[2].value: row[2] for row in book.worksheets[0].iter_rows(min_row=2)}
    evil = EVIL_UNIT if kind == "unit" else EVIL_OFFICIAL
    assert evil in names, names.keys()
    assert names[evil].data_type == "s" and names[evil].quotePrefix


def test_the_rejects_file_neutralises_formula_like_cells_and_keeps_the_rest(tmp_path):
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"ADMITALL_DATABASE_URL": database, "ADMITALL_LANG": "en", "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "admitall.cli"]
    assert subprocess.run([*cli, "init"], env=env, capture_output=True, timeout=120).returncode == 0
    persons = tmp_path / "persons.csv"
    persons.write_text(
        "name,category,unit_code,address\n"
        '=HYPERLINK("http://evil.example"),contact,999999999999,-1+1\n'
        "张三,nonsense,999999999999,@home\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    done = subprocess.run(
        [*cli, "import", "persons", str(persons), "--rejects", str(rejects), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    written = list(csv.DictReader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert [r["name"] for r in written] == ['\'=HYPERLINK("http://evil.example")', "张三"]
    assert [r["address"] for r in written] == ["'-1+1", "'@home"]
    assert all(not v.startswith(("=", "+", "-", "@")) for r in written for v in r.values())


def test_the_twins_csv_neutralises_text_cells_and_leaves_figures_alone():
    results = Results(
        scenario={}, summary={}, daily=[{"day": "2020-02-11", "label": "=1+1", "beds": {"icu": -3}}], hourly=[]
    )
    assert results.csv("daily").splitlines() == ["day,label,beds.icu", "2020-02-11,'=1+1,-3"]
