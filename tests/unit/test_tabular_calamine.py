"""XLSX read by python-calamine: the same rows openpyxl reads, and a sheet whose cells are far apart refused or
streamed by openpyxl instead of being allocated whole (calamine holds a sheet as one dense rectangle)."""

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from admitall.domain.errors import InvalidInput, TooLarge
from admitall.services import tabular
from admitall.services.tabular import Limits, parse_table
from admitall.services.tabular_xlsx import Extent, sheet_extent

NAMES = {"name": "name", "category": "category", "unit_code": "unit_code", "identified_at": "identified_at"}
REQUIRED = ("name", "category", "unit_code")


def workbook(cells: dict[str, object]) -> bytes:
    book = Workbook()
    for ref, value in cells.items():
        book.active[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten(data: bytes, old: bytes, new: bytes) -> bytes:
    """The workbook with its first sheet's XML changed."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old in body
                body = body.replace(old, new)
            target.writestr(item.filename, body)
    return out.getvalue()


def rows_of(data: bytes, **kw) -> list:
    return list(parse_table(data, NAMES, REQUIRED, xlsx=True, **kw).rows)


MIXED = {
    # a table that does not start in column A, with a blank row, empty cells, numbers, a date and a time in it
    "B1": "name",
    "C1": "category",
    "D1": "unit_code",
    "E1": "identified_at",
    "B2": "张三",
    "C2": "confirmed",
    "D2": 420102001001,
    "E2": datetime(2020, 2, 10, 8, 30),
    "B4": "李四",
    "D4": "420102001002",
    "E4": datetime(2020, 2, 9, 7, 0),
    "F4": True,
}


def test_calamine_reads_the_rows_openpyxl_reads_numbered_as_the_spreadsheet_shows_them(monkeypatch):
    data = workbook(MIXED)
    read = rows_of(data)
    monkeypatch.setattr(tabular, "DENSE_CELLS", 0)  # every sheet streamed by openpyxl, as before calamine
    assert read == rows_of(data)
    assert read[0] == (
        2,
        {"name": "张三", "category": "confirmed", "unit_code": "420102001001", "identified_at": "2020-02-10 08:30:00"},
    )
    assert read[1] == (3, {"name": None, "category": None, "unit_code": None, "identified_at": None})
    fourth = {"name": "李四", "category": None, "unit_code": "420102001002", "identified_at": "2020-02-09 07:00:00"}
    assert read[2] == (4, fourth)


def test_a_date_cell_reads_as_the_date_alone():
    data = workbook({"A1": "name", "B1": "category", "C1": "unit_code", "D1": "identified_at", "D2": date(2020, 2, 9)})
    assert rows_of(data)[0][1]["identified_at"] == "2020-02-09"


def test_the_extent_is_read_from_the_references_and_widened_by_cells_that_name_none():
    assert sheet_extent(io.BytesIO(workbook({"A1": "x", "XFD1048576": "y"}))) == Extent(1_048_576, 16_384)
    unnamed = b'<row><c t="inlineStr"><is><t>a</t></is></c><c><v>1</v></c><c><v>2</v></c></row></sheetData>'
    data = rewritten(workbook({"B3": "x"}), b"</sheetData>", unnamed)
    assert sheet_extent(io.BytesIO(data)) == Extent(3 + 1, 2 + 3)


def test_a_tiny_sheet_reaching_beyond_the_row_limit_is_refused_before_it_is_read():
    # 5 KB: read by calamine as one rectangle it would ask for 17 billion cells and abort the process
    data = workbook({"A1": "name", "B1": "category", "C1": "unit_code", "XFD1048576": "y"})
    with pytest.raises(TooLarge) as refused:
        rows_of(data)
    assert refused.value.code == "file.too_many_rows"


def test_a_sparse_sheet_within_the_row_limit_is_streamed_and_refused_at_its_wide_row():
    data = workbook({"A1": "name", "B1": "category", "C1": "unit_code", "ZZ50000": "y"})
    assert sheet_extent(io.BytesIO(data)).cells > tabular.DENSE_CELLS
    with pytest.raises(InvalidInput) as refused:
        rows_of(data)
    assert refused.value.code == "file.too_many_columns"


def test_a_plain_table_is_read_by_calamine_and_bounded_like_any_other(monkeypatch):
    cells: dict[str, object] = {"A1": "name", "B1": "category", "C1": "unit_code"}
    cells.update({f"A{i}": f"人{i}" for i in range(2, 30)})
    data = workbook(cells)
    assert sheet_extent(io.BytesIO(data)).cells <= tabular.DENSE_CELLS
    assert len(rows_of(data)) == 28
    with pytest.raises(TooLarge) as refused:
        rows_of(data, limits=Limits(rows=10))
    assert refused.value.code == "file.too_many_rows"
