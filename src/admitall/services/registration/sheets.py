"""The spreadsheets of the persons import: the template to fill in, and the rejected rows to fix and send again.

Both have the import's columns with their headers in the user's language (each header one the import reads), and
the columns a spreadsheet would turn into numbers — ID numbers, phones, unit codes, source references — formatted
as text, so that Excel keeps every digit typed into them (an 18-digit ID number in a number cell keeps only 15).
Every value is written as text, never as a formula (services.tabular.append_text_safe).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.identity import check_character
from admitall.domain.intake import FIELD_NAMES, FieldProblem, field_name
from admitall.services.context import Actor
from admitall.services.registration.summary import Rejection
from admitall.services.tabular import append_text_safe

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAME = "persons-import-template.xlsx"
COLUMNS = tuple(FIELD_NAMES)
TEXT_COLUMNS = frozenset({"id_number", "phone", "unit_code", "source_ref"})
REQUIRED = frozenset({"name", "category", "unit_code"})
_ID_FIRST17 = "42010219850307123"

# per column: what to write (zh, en) and the example row's value
GUIDE: dict[str, tuple[str, str, str]] = {
    "name": ("必填。", "Required.", "张三"),
    "id_number": (
        "身份证号（18位，或15位旧号）或其他证件号。本列已设为文本：请不要改成数字格式，否则 Excel 只保留前15位。",
        "A resident ID number (18 characters, or 15 for the old format) or another document's number. The column is "
        "formatted as text: keep it so, or Excel keeps only the first 15 digits.",
        _ID_FIRST17 + check_character(_ID_FIRST17),
    ),
    "id_type": (
        "不填则按号码判断；台湾居民来往大陆通行证须填写。可填：居民身份证、护照、港澳居民来往内地通行证、台湾居民来往大陆通行证、其他证件。",
        "Leave empty to tell from the number; a Taiwan permit must be named. One of: resident identity card, "
        "passport, Hong Kong/Macao permit, Taiwan permit, other document.",
        "居民身份证",
    ),
    "phone": (
        "手机号11位；固定电话请带区号（如 027-85551234，分机可写“转123”）；境外号码请带国家码（如 +852 9123 4567）。"
        "号码无法识别时照样登记此人，只是不记录电话。",
        "A mobile has 11 digits; give a landline with its area code (027-85551234, an extension as 'ext. 123') and "
        "a number abroad with its country code (+852 9123 4567). A number that cannot be read is not recorded, "
        "and the person is registered all the same.",
        "13812345678",
    ),
    "sex": ("男或女；有身份证号时以身份证号为准。", "Male or female; an ID number decides where there is one.", "男"),
    "birth_date": (
        "如 1985-03-07；有身份证号时以身份证号为准。",
        "E.g. 1985-03-07; an ID number decides.",
        "1985-03-07",
    ),
    "category": ("必填：确诊、疑似、发热或密接。", "Required: confirmed, suspected, fever or contact.", "确诊"),
    "severity": (
        "仅确诊者填写：轻型、普通型、重型、危重型。",
        "Confirmed people only: mild, moderate, severe or critical.",
        "普通型",
    ),
    "risk": (
        "可不填；可填 高龄、基础疾病、孕产妇，多项用顿号分隔。",
        "Optional: elderly, comorbidity, pregnancy; several separated by commas.",
        "基础疾病",
    ),
    "unit_code": (
        "必填：此人所在社区的12位编码，须在您的管辖范围内。",
        "Required: the 12-digit code of the person's community, within your jurisdiction.",
        "420102002001",
    ),
    "address": ("可不填，最多200字。", "Optional, at most 200 characters.", "大智路1号"),
    "identified_at": (
        "发现此人的时间，如 2020-02-10 08:00；不填则为导入时间。",
        "When the person was found, e.g. 2020-02-10 08:00; the import's time if empty.",
        "2020-02-10 08:00",
    ),
    "source_ref": (
        "来源名单中的编号：再次导入同一名单时据此认出同一人。",
        "The person's number in the source list: the same list imported again is recognised by it.",
        "热线-0001",
    ),
}

_WORDS = {
    "persons": ("人员", "persons"),
    "guide": ("填写说明", "how to fill in"),
    "guide_intro": (
        "把人员填在第一个工作表“人员”中，每行一人，表头保留在第1行。本说明页不会被导入。下表“示例”一列是一行填好的例子。",
        "Fill in the first sheet, 'persons', one person a row, keeping the header in row 1. This sheet is not "
        "imported. The 'example' column below is one row filled in.",
    ),
    "column": ("列", "column"),
    "required": ("必填", "required"),
    "what": ("怎么填", "what to write"),
    "example": ("示例", "example"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "row": ("行号", "row"),
    "field": ("出错的列", "field"),
    "reason": ("原因", "reason"),
    "rejected": ("被拒绝的行", "rejected rows"),
    "warnings": ("提示", "warnings"),
    "happened": ("说明", "what happened"),
}


def _word(key: str, lang: str) -> str:
    zh, en = _WORDS[key]
    return en if lang == "en" else zh


def header(key: str, lang: str) -> str:
    """The column's header: its Chinese name, or the English key the import reads."""
    return key if lang == "en" else field_name(key, "zh")


def _workbook() -> Any:
    from openpyxl import Workbook

    return Workbook()


def _as_text(sheet: Any, first_column: int, keys: Sequence[str]) -> None:
    """Format the columns of `keys` that hold long digit strings as text (the whole column, rows to come too)."""
    from openpyxl.utils import get_column_letter

    for i, key in enumerate(keys, start=first_column):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = 22 if key in TEXT_COLUMNS else 14
        if key in TEXT_COLUMNS:
            sheet.column_dimensions[letter].number_format = "@"


def _saved(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_template(actor: Actor, lang: str) -> bytes:
    """The template, for those who may import people."""
    actor.require(Permission.IMPORT_PERSONS)
    return template_workbook(lang)


def template_workbook(lang: str) -> bytes:
    """The import template: the persons sheet (headers only, to be filled in) and a sheet that explains each
    column with one example row."""
    book = _workbook()
    sheet = book.active
    sheet.title = _word("persons", lang)
    append_text_safe(sheet, [header(k, lang) for k in COLUMNS])
    _as_text(sheet, 1, COLUMNS)
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(_word("guide", lang))
    append_text_safe(guide, [_word("guide_intro", lang)])
    append_text_safe(guide, [_word(k, lang) for k in ("column", "required", "what", "example")])
    for key in COLUMNS:
        zh, en, example = GUIDE[key]
        required = _word("yes" if key in REQUIRED else "no", lang)
        append_text_safe(guide, [header(key, lang), required, en if lang == "en" else zh, example])
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["C"].width = 90
    guide.column_dimensions["D"].width = 22
    guide.column_dimensions["D"].number_format = "@"
    return _saved(book)


def rejects_workbook(
    rejections: Iterable[Rejection], lang: str, warnings: Iterable[tuple[int, FieldProblem]] = ()
) -> bytes:
    """The rejected rows: row number, the fields at fault, the reason, then the row as it came, under headers the
    import reads again (the first three columns are ignored by it): fix the rows and import the file. Then, on a
    sheet of their own, the import's warnings (row, field, what happened), for the rows that were kept."""
    rows = list(rejections)
    present = {k for r in rows for k, v in r.raw.items() if v not in (None, "")}
    keys = [k for k in COLUMNS if k in present]
    book = _workbook()
    sheet = book.active
    sheet.title = _word("rejected", lang)
    append_text_safe(
        sheet, [_word("row", lang), _word("field", lang), _word("reason", lang)] + [header(k, lang) for k in keys]
    )
    for r in rows:
        raw = [None if r.raw.get(k) is None else str(r.raw.get(k)) for k in keys]
        append_text_safe(sheet, [r.row, r.field_names(lang), r.reason(lang), *raw])
    _as_text(sheet, 4, keys)
    sheet.column_dimensions["C"].width = 60
    sheet.freeze_panes = "D2"
    noted = book.create_sheet(_word("warnings", lang))
    append_text_safe(noted, [_word("row", lang), _word("field", lang), _word("happened", lang)])
    for row, warning in warnings:
        append_text_safe(noted, [row, field_name(warning.field, lang), warning.message(lang)])
    noted.column_dimensions["C"].width = 90
    return _saved(book)
