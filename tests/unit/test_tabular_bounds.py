"""What a file may hold: rows, columns, cell length, what an XLSX unpacks to — and text that stays text when written."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from admitall.domain.errors import InvalidInput, TooLarge
from admitall.services.tabular import Limits, append_text_safe, csv_cell, csv_row, parse_table

NAMES = {"name": "name", "category": "category", "unit_code": "unit_code"}
REQUIRED = ("name", "category", "unit_code")
HEADER = b"name,category,unit_code\n"


def rows_of(data: bytes, limits: Limits | None = None, *, xlsx: bool = False) -> list:
    return list(parse_table(data, NAMES, REQUIRED, xlsx=xlsx, limits=limits).rows)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet_xml(data: bytes, sheet_xml: str) -> bytes:
    """The same workbook with its first sheet's XML replaced (a hand-made, hostile sheet)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = sheet_xml.encode() if item.filename == "xl/worksheets/sheet1.xml" else source.read(item.filename)
            target.writestr(item.filename, body)
    return out.getvalue()


SHEET = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "{dimension}<sheetData>{rows}</sheetData></worksheet>"
)
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>category</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>unit_code</t></is></c></row>'
)


def test_an_xlsx_bomb_of_empty_rows_is_refused_before_it_is_unpacked():
    empty_rows = "<row/>" * 2_000_000  # rows without numbers: each counts as the next one
    bomb = with_sheet_xml(xlsx_bytes([["x"]]), SHEET.format(dimension="", rows=HEADER_ROW + empty_rows))
    assert len(bomb) < 200_000
    with pytest.raises(TooLarge) as refused:
        parse_table(bomb, NAMES, REQUIRED)
    assert refused.value.code == "file.xlsx_unpacks_too_much"
    assert "unpacks to too much" in refused.value.en and "解压后过大" in refused.value.zh


def test_an_xlsx_that_unpacks_beyond_the_total_limit_is_refused():
    data = xlsx_bytes(
        [["name", "category", "unit_code"], *([f"人{i}", "contact", "420102002001"] for i in range(3000))]
    )
    with pytest.raises(TooLarge):
        parse_table(data, NAMES, REQUIRED, limits=Limits(unpacked_bytes=50_000))


def test_a_sheet_claiming_a_million_rows_is_not_padded_out_and_a_far_row_counts_against_the_limit():
    claimed = with_sheet_xml(
        xlsx_bytes([["x"]]), SHEET.format(dimension='<dimension ref="A1:XFD1048576"/>', rows=HEADER_ROW)
    )
    assert rows_of(claimed) == []
    far = '<row r="5000"><c r="A5000" t="inlineStr"><is><t>张三</t></is></c></row>'
    jump = with_sheet_xml(xlsx_bytes([["x"]]), SHEET.format(dimension="", rows=HEADER_ROW + far))
    with pytest.raises(TooLarge) as refused:
        rows_of(jump, Limits(rows=1000))
    assert refused.value.code == "file.too_many_rows"


def test_an_ordinary_repetitive_workbook_is_read_whole():
    data = xlsx_bytes(
        [["name", "category", "unit_code"], *([f"人{i}", "contact", "420102002001"] for i in range(20_000))]
    )
    rows = rows_of(data, xlsx=True)
    assert len(rows) == 20_000 and rows[-1] == (
        20_001,
        {"name": "人19999", "category": "contact", "unit_code": "420102002001"},
    )


def test_a_csv_over_the_row_limit_is_refused_blank_rows_included():
    assert len(rows_of(HEADER + b"a,contact,1\n" * 5, Limits(rows=5))) == 5
    with pytest.raises(TooLarge) as refused:
        rows_of(HEADER + b"a,contact,1\n" * 3 + b",,\n" * 3, Limits(rows=5))
    assert "more than 5 rows" in refused.value.en and "5 行" in refused.value.zh


def test_a_cell_longer_than_excel_allows_is_refused_with_its_row():
    with pytest.raises(InvalidInput) as refused:
        rows_of(HEADER + b"a,contact,1\n" + b"b" * 40_000 + b",contact,1\n")
    assert refused.value.code == "file.cell_too_long" and "Row 3" in refused.value.en


def test_a_field_beyond_the_csv_readers_own_limit_is_a_clear_error_not_a_crash():
    with pytest.raises(InvalidInput) as refused:
        rows_of(HEADER + b'"' + b"x" * 200_000 + b'",contact,1\n')
    assert refused.value.code in ("file.csv", "file.cell_too_long")


def test_a_row_with_too_many_columns_is_refused_but_trailing_empty_cells_do_not_count():
    assert rows_of(HEADER + b"a,contact,1" + b"," * 2000 + b"\n")[0][1]["name"] == "a"
    with pytest.raises(InvalidInput) as refused:
        rows_of(HEADER + b"a,contact,1" + b",x" * 600 + b"\n")
    assert refused.value.code == "file.too_many_columns"


def test_rows_stream_from_the_file_and_a_problem_surfaces_when_its_row_is_reached():
    table = parse_table(HEADER + b"a,contact,1\n" + b"b" * 40_000 + b",contact,1\n", NAMES, REQUIRED)
    assert next(table.rows) == (2, {"name": "a", "category": "contact", "unit_code": "1"})
    with pytest.raises(InvalidInput):
        next(table.rows)


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_as_a_formula_is_neutralised_in_csv(text):
    assert csv_cell(text) == "'" + text


def test_ordinary_text_and_numbers_are_written_as_they_are():
    assert csv_row(["张三", 12, -3, 1.5, None, "a=b"]) == ["张三", 12, -3, 1.5, None, "a=b"]


def test_xlsx_cells_with_formula_text_are_stored_as_text_with_a_quote_prefix():
    book = Workbook()
    append_text_safe(book.active, ["=cmd|' /C calc'!A0", "张三", 7])
    formula, name, number = book.active[1]
    assert (formula.data_type, formula.value, formula.quotePrefix) == ("s", "=cmd|' /C calc'!A0", True)
    assert (name.data_type, name.quotePrefix) == ("s", False)
    assert number.data_type == "n"
