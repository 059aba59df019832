"""Reading the tables people send: CSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, and XLSX — within
bounds — and writing user text into spreadsheets as text, never as a formula.

Headers may be English or Chinese (see `admitall.domain.intake.HEADERS` and the units columns); rows are
numbered as a spreadsheet shows them, the header being row 1.

The rows of a `Table` are an iterator, to be consumed once. A CSV is read row by row from disk; an XLSX sheet is
read whole by python-calamine once its extent is known to be small (services.tabular_xlsx), else streamed by
openpyxl. What a file may hold is bounded (`Limits`): rows, cells per row, characters per cell, and for XLSX what
its zip members unpack to and how many rows its sheet reaches — a "zip bomb" is refused before anything is
unpacked, a sheet reaching beyond the row limit before it is read.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from admitall.domain.errors import InvalidInput, TooLarge
from admitall.domain.identity import EXCEL_DIGITS, NumberCell, nfkc
from admitall.services.tabular_xlsx import DENSE_CELLS, calamine_rows, openpyxl_rows, sheet_extent
from admitall.settings import Settings

XLSX_MAGIC = b"PK\x03\x04"
CHUNK = 1024 * 1024
MiB = 1024 * 1024
# what a cell may begin with to be taken for a formula by Excel, LibreOffice or WPS (OWASP "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

Row = tuple[int, dict[str, str | None]]


@dataclass(frozen=True)
class Limits:
    """What one file may hold. Rows count every line after the header, blank ones too."""

    rows: int = 100_000
    columns: int = 500
    # Excel's own limit for one cell
    cell_chars: int = 32_767
    # XLSX: all zip members together, unpacked; and how much a large member may unpack beyond its packed size
    unpacked_bytes: int = 512 * MiB
    ratio: int = 200

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(rows=settings.max_import_rows)


@dataclass
class Table:
    """The rows of a file, keyed by field name, with the columns that were not recognised.

    `rows` streams from the file: iterate it once. A problem found on the way (a cell too long, too many rows)
    raises as it is reached, before the import has stored anything (every import is one transaction)."""

    rows: Iterator[Row]
    sha256: str
    encoding: str
    ignored_columns: list[str] = field(default_factory=list)


def _encoding_error(position: int, encoding: str | None = None) -> InvalidInput:
    named = f"（看似 {encoding}，但第 {position} 字节附近无法按它读取）" if encoding else f"（第 {position} 字节附近）"
    named_en = (
        f" (it looks like {encoding}, but cannot be read as that near byte {position})"
        if encoding
        else (f" (near byte {position})")
    )
    return InvalidInput(
        "file.encoding",
        f"文件编码无法识别{named}：请在 Excel 或 WPS 中另存为“CSV UTF-8”，或保存为 GB18030 后重新导入",
        f"Cannot tell the file's encoding{named_en}; save it as 'CSV UTF-8' (or GB18030) in Excel or WPS and "
        "import it again",
    )


def _decodes_as(source: IO[bytes], encoding: str) -> int | None:
    """None if the whole file decodes in `encoding`, else the byte offset near the first error."""
    source.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    try:
        while chunk := source.read(CHUNK):
            decoder.decode(chunk)
            offset += len(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as e:
        return offset + max(e.start, 0)
    return None


def _digest(source: IO[bytes]) -> tuple[str, bytes]:
    """The file's SHA-256 and its first bytes, read in chunks."""
    source.seek(0)
    digest = hashlib.sha256()
    head = b""
    while chunk := source.read(CHUNK):
        head = head or chunk[:4]
        digest.update(chunk)
    return digest.hexdigest(), head


# the legacy encodings a line list may come in, as charset-normalizer names them, and the codec each is read with
# (each a superset: Microsoft's Big5 and Shift-JIS, as Excel and WPS save them); ties go to the first
LEGACY_ENCODINGS = {
    "gb18030": "gb18030",
    "big5": "cp950",
    "cp950": "cp950",
    "big5hkscs": "big5hkscs",
    "cp932": "cp932",
    "shift_jis": "cp932",
    "euc_jp": "euc_jp",
    "utf_16_le": "utf-16-le",
    "utf_16_be": "utf-16-be",
}
# how much of the file the detector reads (cut at a line end); the whole file is then decoded with its answer
DETECT_BYTES = 512 * 1024
# detectors' scores closer than this are a tie
TIE = 0.02


def _detected(source: IO[bytes]) -> str | None:
    """The legacy encoding charset-normalizer finds for the file's beginning, or None. Only the encodings above
    are candidates: among all it would also offer Korean or Latin code pages, which a short Big5 or GB18030 list
    fits as well (measured: three rows of Big5 came back as cp949)."""
    from charset_normalizer import from_bytes

    source.seek(0)
    sample = source.read(DETECT_BYTES)
    if len(sample) == DETECT_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]
    order = list(LEGACY_ENCODINGS)
    matches = [m for m in from_bytes(sample, cp_isolation=order) if m.encoding in LEGACY_ENCODINGS]
    if not matches:
        return None
    best = min(m.chaos for m in matches)
    tied = [m.encoding for m in matches if m.chaos <= best + TIE]
    return LEGACY_ENCODINGS[min(tied, key=order.index)]


def _csv_encoding(source: IO[bytes], head: bytes) -> str:
    """A byte-order mark first, then UTF-8 (GB18030 would also 'decode' most UTF-8), then what the detector finds
    among the legacy encodings (GB18030, Big5, Shift-JIS; GB18030 alone would 'decode' Big5 or Shift-JIS into
    nonsense without an error). The whole file must decode in the answer, or it is refused."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if _decodes_as(source, "utf-8") is None:
        return "utf-8"
    encoding = _detected(source)
    if encoding is None:
        raise _encoding_error(_decodes_as(source, "gb18030") or 0)
    position = _decodes_as(source, encoding)
    if position is not None and encoding == "cp950":  # a Hong Kong character beyond Microsoft's Big5
        encoding, position = "big5hkscs", _decodes_as(source, "big5hkscs")
    if position is not None:
        raise _encoding_error(position, encoding)
    return encoding


def _csv_rows(source: IO[bytes], encoding: str) -> Iterator[list[str]]:
    source.seek(0)
    text = io.TextIOWrapper(source, encoding=encoding, newline="")
    first_line = text.readline(64 * 1024)
    text.seek(0)
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(text, delimiter=delimiter)
    try:
        yield from reader
    except UnicodeDecodeError as e:
        raise _encoding_error(e.start) from None
    except csv.Error as e:
        row = reader.line_num
        raise InvalidInput(
            "file.csv",
            f"第 {row} 行附近无法按 CSV 读取：{e}",
            f"Row {row} or near it cannot be read as CSV: {e}",
        ) from None


def check_zip(source: IO[bytes], limits: Limits) -> None:
    """Refuse an XLSX whose members would unpack to more than the limit, or unpack far beyond their packed size."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise InvalidInput("file.xlsx", f"无法读取 Excel 文件：{e}", f"Cannot read the Excel file: {e}") from None
    total = sum(m.file_size for m in members)
    swollen = [m for m in members if m.file_size > MiB and m.file_size > limits.ratio * max(m.compress_size, 1)]
    if total > limits.unpacked_bytes or swollen:
        mb = limits.unpacked_bytes // MiB
        raise TooLarge(
            "file.xlsx_unpacks_too_much",
            f"Excel 文件解压后过大（{total // MiB} MB，上限 {mb} MB，或超过压缩大小的 {limits.ratio} 倍），"
            "已拒绝：请另存为 CSV，或删去空行后重试",
            f"The Excel file unpacks to too much ({total // MiB} MB against a limit of {mb} MB, or more than "
            f"{limits.ratio} times its packed size) and was refused; save it as CSV, or delete the empty rows",
        )


def _xlsx_rows(source: IO[bytes], limits: Limits) -> Iterator[Sequence[object]]:
    """Refused before it is opened if it unpacks to too much or reaches beyond the row limit; then read by calamine,
    or by openpyxl's stream where the sheet's rectangle would be too large to hold (services.tabular_xlsx)."""
    check_zip(source, limits)
    extent = sheet_extent(source)
    if extent.rows > limits.rows + 1:
        raise _too_many_rows(limits)
    return calamine_rows(source) if extent.cells <= DENSE_CELLS else openpyxl_rows(source)


def _cell_text(value: object) -> str | None:
    """A spreadsheet cell's value as text; a number's text is marked as one (`NumberCell`), so that what a number
    cannot hold (an ID number's digits after the 15th) is named as such where the field is checked."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float):
        if not value.is_integer():
            return NumberCell(repr(value))
        if abs(value) < 10**EXCEL_DIGITS:
            return NumberCell(str(int(value)))
        # what Excel shows of it: 15 significant digits, then zeros (4.201021980010113e+17 → 420102198001011000)
        return NumberCell(str(int(Decimal(f"{value:.{EXCEL_DIGITS}g}"))))
    if isinstance(value, int) and not isinstance(value, bool):
        return NumberCell(str(value))
    return str(value)


def _too_many_rows(limits: Limits) -> TooLarge:
    return TooLarge(
        "file.too_many_rows",
        f"文件超过 {limits.rows} 行的上限（空行也计入）：请拆分后分批导入",
        f"The file has more than {limits.rows} rows (blank ones count too); split it and import it in parts",
    )


def _bounded(raw: Iterable[Sequence[object]], limits: Limits) -> Iterator[list[str | None]]:
    """The rows as text, refusing at the first row beyond the bounds (numbered as the spreadsheet shows it)."""
    for number, values in enumerate(raw, start=1):
        if number > limits.rows + 1:
            raise _too_many_rows(limits)
        # a CSV's cells are text already: only the others are converted (a million cells at 100,000 rows)
        cells = [v if type(v) is str else _cell_text(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > limits.columns:
            raise InvalidInput(
                "file.too_many_columns",
                f"第 {number} 行有 {len(cells)} 列，超过 {limits.columns} 列的上限",
                f"Row {number} has {len(cells)} columns, more than the limit of {limits.columns}",
            )
        if max(map(len, filter(None, cells)), default=0) > limits.cell_chars:
            raise InvalidInput(
                "file.cell_too_long",
                f"第 {number} 行有一格超过 {limits.cell_chars} 个字符",
                f"Row {number} has a cell longer than {limits.cell_chars} characters",
            )
        yield cells


def column_names(key: str, names: Mapping[str, str]) -> tuple[str, str]:
    """What a column is called in Chinese and in English: its first accepted header of each kind (the key itself
    where it has none)."""
    headers = [h for h, k in names.items() if k == key]
    zh = next((h for h in headers if not h.isascii()), key)
    en = next((h for h in headers if h.isascii()), key)
    return zh, en


def header_key(cell: str | None, names: Mapping[str, str]) -> str | None:
    if cell is None:
        return None
    return names.get(nfkc(cell).strip().lower())


def read_table(
    path: Path | str, names: Mapping[str, str], required: tuple[str, ...], *, limits: Limits | None = None
) -> Table:
    """Read a CSV or XLSX file; `names` maps accepted header texts (lower case) to field keys. The file stays
    open while the rows are read."""
    path = Path(path)
    try:
        source = path.open("rb")
    except OSError as e:
        raise InvalidInput(
            "file.unreadable", f"无法读取文件 {path}：{e.strerror}", f"Cannot read the file {path}: {e.strerror}"
        ) from None
    try:
        table = open_table(source, names, required, xlsx=path.suffix.lower() in (".xlsx", ".xlsm"), limits=limits)
    except BaseException:
        source.close()
        raise
    table.rows = _closing(table.rows, source)
    return table


def _closing(rows: Iterator[Row], source: IO[bytes]) -> Iterator[Row]:
    with source:
        yield from rows


def open_table(
    source: IO[bytes],
    names: Mapping[str, str],
    required: tuple[str, ...],
    *,
    xlsx: bool = False,
    limits: Limits | None = None,
) -> Table:
    """A table over a seekable binary file (an upload spooled to disk, an open file): the header is read and checked
    now, the rows as they are iterated."""
    limits = limits or Limits()
    digest, head = _digest(source)
    if xlsx or head.startswith(XLSX_MAGIC):
        raw_rows: Iterator[Sequence[object]] = _xlsx_rows(source, limits)
        encoding = "xlsx"
    else:
        encoding = _csv_encoding(source, head)
        raw_rows = _csv_rows(source, encoding)
    lines = _bounded(raw_rows, limits)
    header = next(lines, None)
    if header is None:
        raise InvalidInput("file.empty", "文件为空", "The file is empty")
    keys = [header_key(h, names) for h in header]
    seen: set[str] = set()
    for key in keys:
        if key is not None and key in seen:
            zh, en = column_names(key, names)
            raise InvalidInput("file.duplicate_column", f"列“{zh}”出现了两次", f"The column '{en}' appears twice")
        if key is not None:
            seen.add(key)
    missing = [column_names(r, names) for r in required if r not in seen]
    if missing:
        raise InvalidInput(
            "file.missing_columns",
            f"缺少必需的列：{'、'.join(zh for zh, _ in missing)}（表头是第1行）",
            f"Required columns are missing: {', '.join(en for _, en in missing)} (the header is row 1)",
        )
    ignored = [h for h, k in zip(header, keys, strict=True) if k is None and h not in (None, "")]
    pairs = [(i, k) for i, k in enumerate(keys) if k is not None]
    return Table(rows=_keyed(lines, pairs), sha256=digest, encoding=encoding, ignored_columns=[str(h) for h in ignored])


def _keyed(lines: Iterator[list[str | None]], pairs: list[tuple[int, str]]) -> Iterator[Row]:
    for number, values in enumerate(lines, start=2):
        n = len(values)
        yield number, {k: (values[i] if i < n else None) for i, k in pairs}


def parse_table(
    data: bytes,
    names: Mapping[str, str],
    required: tuple[str, ...],
    *,
    xlsx: bool = False,
    limits: Limits | None = None,
) -> Table:
    """A table from bytes already in memory (small files, tests)."""
    return open_table(io.BytesIO(data), names, required, xlsx=xlsx, limits=limits)


# --- writing: user text stays text -----------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: text a spreadsheet would take for a formula gets a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def append_text_safe(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet with every text cell stored as text: never a formula, and marked with
    a quote prefix where it begins like one, so that editing the cell in Excel keeps it text.

    The cells are made here and appended as they are: finding the row again after appending it (`max_row`) walks
    every cell of the sheet, which made a sheet of 20,000 rows take 146 s instead of about 2."""
    from openpyxl.cell.cell import Cell

    cells = []
    for value in values:
        cell = Cell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
            if value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True
        cells.append(cell)
    sheet.append(cells)
