"""Reading the tables people send: CSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, and XLSX.

Headers may be English or Chinese (see `admitall.domain.intake.HEADERS` and the units columns); rows are
numbered as a spreadsheet shows them, the header being row 1.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from admitall.domain.errors import InvalidInput
from admitall.domain.identity import nfkc

XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """The rows of a file, keyed by field name, with the columns that were not recognised."""

    rows: list[tuple[int, dict[str, str | None]]]
    sha256: str
    encoding: str
    ignored_columns: list[str] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in. UTF-8 is tried first: GB18030 would also 'decode' most UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        raise InvalidInput(
            "file.encoding",
            f"文件编码无法识别（第 {e.start} 字节附近）：请保存为 UTF-8 或 GB18030",
            f"Cannot tell the file's encoding (near byte {e.start}); save it as UTF-8 or GB18030",
        ) from None


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[list[str | None]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput("file.xlsx", f"无法读取 Excel 文件：{e}", f"Cannot read the Excel file: {e}") from None
    sheet = book.worksheets[0]
    for values in sheet.iter_rows(values_only=True):
        yield [_cell_text(v) for v in values]
    book.close()


def _csv_rows(text: str) -> Iterator[list[str]]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def header_key(cell: str | None, names: Mapping[str, str]) -> str | None:
    if cell is None:
        return None
    return names.get(nfkc(cell).strip().lower())


def read_table(path: Path | str, names: Mapping[str, str], required: tuple[str, ...]) -> Table:
    """Read a CSV or XLSX file; `names` maps accepted header texts (lower case) to field keys."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidInput(
            "file.unreadable", f"无法读取文件 {path}：{e.strerror}", f"Cannot read the file {path}: {e.strerror}"
        ) from None
    return parse_table(data, names, required, xlsx=path.suffix.lower() in (".xlsx", ".xlsm"))


def parse_table(data: bytes, names: Mapping[str, str], required: tuple[str, ...], *, xlsx: bool = False) -> Table:
    digest = hashlib.sha256(data).hexdigest()
    if xlsx or data.startswith(XLSX_MAGIC):
        raw_rows: Iterator[list[str | None]] = _xlsx_rows(data)
        encoding = "xlsx"
    else:
        text, encoding = decode(data)
        raw_rows = iter(_csv_rows(text))  # type: ignore[arg-type]
    header = next(raw_rows, None)
    if header is None:
        raise InvalidInput("file.empty", "文件为空", "The file is empty")
    keys = [header_key(h, names) for h in header]
    seen: set[str] = set()
    for key in keys:
        if key is not None and key in seen:
            raise InvalidInput("file.duplicate_column", f"列“{key}”出现了两次", f"The column '{key}' appears twice")
        if key is not None:
            seen.add(key)
    missing = [r for r in required if r not in seen]
    if missing:
        raise InvalidInput(
            "file.missing_columns",
            f"缺少必需的列：{', '.join(missing)}（表头是第1行）",
            f"Required columns are missing: {', '.join(missing)} (the header is row 1)",
        )
    ignored = [h for h, k in zip(header, keys, strict=True) if k is None and h not in (None, "")]
    rows: list[tuple[int, dict[str, str | None]]] = []
    pairs = [(i, k) for i, k in enumerate(keys) if k is not None]
    for number, values in enumerate(raw_rows, start=2):
        n = len(values)
        rows.append((number, {k: (values[i] if i < n else None) for i, k in pairs}))
    return Table(rows=rows, sha256=digest, encoding=encoding, ignored_columns=[str(h) for h in ignored])
