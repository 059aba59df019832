"""Reading an XLSX sheet's rows: python-calamine (Rust) where the sheet is a plain table, openpyxl otherwise.

Calamine reads a whole sheet into one dense rectangle, from its first to its last cell: a 5 KB file with one cell in
A1 and one in XFD1048576 asks for 17 billion cells and aborts the process (measured: "memory allocation of
549755813888 bytes failed"). So the sheet's extent is found first, from the cell and row references in its XML,
streamed at C speed (regular expressions over decompressed chunks, no parsing): what it says is then trusted only
as far as it bounds what calamine will allocate. The zip members' unpacked sizes have been checked before this
(`tabular.check_zip`), so the scan's own work is bounded too.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from admitall.domain.errors import InvalidInput

# a sheet no larger than this many cells (rows x columns, empty ones included) is read by calamine: ~32 bytes each
DENSE_CELLS = 4_000_000
SCAN_CHUNK = 4 * 1024 * 1024
# a reference's column letters and row digits; in a <c> (cell) or a <row>, with or without a namespace prefix
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]+)([0-9]+)"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="([0-9]+)"')
_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
# what follows the last '<' of a chunk is carried into the next one; more than this with no tag in it is no table
_CARRY = 1024 * 1024


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


@dataclass(frozen=True)
class Extent:
    """How far a workbook's sheets reach: the last row and column any cell names, widened by the cells and rows
    that name none (calamine places those after the previous one)."""

    rows: int
    columns: int

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def _unreadable(e: Exception) -> InvalidInput:
    return InvalidInput("file.xlsx", f"无法读取 Excel 文件：{e}", f"Cannot read the Excel file: {e}")


def sheet_extent(source: IO[bytes]) -> Extent:
    """The largest extent of any worksheet in the workbook (any of them may be the first)."""
    rows = columns = 0
    source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            for member in archive.infolist():
                if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                    r, c = _scan(archive, member)
                    rows, columns = max(rows, r), max(columns, c)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise _unreadable(e) from None
    return Extent(rows, columns)


def _scan(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> tuple[int, int]:
    last_row = last_column = cells = cell_refs = row_tags = row_refs = 0
    carried = b""
    with archive.open(member) as part:
        while True:
            chunk = part.read(SCAN_CHUNK)
            data = carried + chunk
            # whole tags only: what follows the last '<' waits for the next chunk (unless the part has ended)
            cut = data.rfind(b"<") if chunk else len(data)
            body, carried = data[: max(cut, 0)], data[max(cut, 0) :]
            if len(carried) > _CARRY:
                raise _unreadable(ValueError(f"{member.filename}: more than {_CARRY} bytes without a tag"))
            refs = _CELL_REF.findall(body)
            if refs:
                cell_refs += len(refs)
                # the widest reference: longest letters first, then the largest of those
                widest = max(len(letters) for letters, _ in refs)
                last_column = max(last_column, _column_number(max(x for x, _ in refs if len(x) == widest)))
                last_row = max(last_row, max(int(digits) for _, digits in refs))
            row_numbers = _ROW_REF.findall(body)
            if row_numbers:
                row_refs += len(row_numbers)
                last_row = max(last_row, max(int(n) for n in row_numbers))
            cells += len(_CELL.findall(body))
            row_tags += len(_ROW.findall(body))
            if not chunk:
                break
    # cells and rows without a reference continue from the one before: bound them by their number
    return last_row + (row_tags - row_refs), last_column + (cells - cell_refs)


def calamine_rows(source: IO[bytes]) -> Iterator[Sequence[object]]:
    """The first sheet's rows, from row 1 (leading empty rows included); an empty cell is None."""
    from python_calamine import CalamineWorkbook

    source.seek(0)
    try:
        book = CalamineWorkbook.from_filelike(source)
        sheet = book.get_sheet_by_index(0)
    except Exception as e:  # calamine raises its own kinds for a damaged file
        raise _unreadable(e) from None
    try:
        for row in sheet.iter_rows():
            yield [None if value == "" else value for value in row]
    finally:
        book.close()


def openpyxl_rows(source: IO[bytes]) -> Iterator[Sequence[object]]:
    """The first sheet's rows, streamed by openpyxl (slower, but row by row whatever the sheet's extent)."""
    from openpyxl import load_workbook

    source.seek(0)
    try:
        book = load_workbook(source, read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise _unreadable(e) from None
    # the sheet's declared size is not trusted: rows are read as they are, not padded out to a claimed A1:XFD1048576
    sheet.reset_dimensions()  # type: ignore[union-attr]
    try:
        yield from sheet.iter_rows(values_only=True)
    finally:
        book.close()
