"""Identity documents, phone numbers and names: validation, normalisation and masking.

Resident identity numbers follow GB 11643-1999: 6-digit region code, 8-digit birth date, 3-digit sequence
(odd for men, even for women) and an ISO 7064 MOD 11-2 check character (0-9 or X). The region check is on
the province segment against GB/T 2260: finer region codes are not checked, because numbers issued under a
county code that was later abolished remain valid for life.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from operator import mul

from admitall.domain.errors import InvalidInput
from admitall.domain.labels import LabeledEnum

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

# GB/T 2260 province-level codes, with 81/82/83 for the residence permits of Hong Kong, Macao and Taiwan
# residents, which use the same 18-character format.
PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    }
)

EARLIEST_BIRTH = date(1900, 1, 1)


class DocumentType(LabeledEnum):
    RESIDENT_ID = ("resident_id", "居民身份证", "resident identity card", "blue")
    PASSPORT = ("passport", "护照", "passport", "indigo")
    HK_MACAU_PERMIT = ("hk_macau_permit", "港澳居民来往内地通行证", "Hong Kong/Macao permit", "teal")
    TAIWAN_PERMIT = ("taiwan_permit", "台湾居民来往大陆通行证", "Taiwan permit", "cyan")
    OTHER = ("other", "其他证件", "other document", "grey")


class Sex(LabeledEnum):
    MALE = ("male", "男", "male", "blue")
    FEMALE = ("female", "女", "female", "pink")


_SEX_WORDS = {
    "男": Sex.MALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "1": Sex.MALE,
    "女": Sex.FEMALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "2": Sex.FEMALE,
}


@dataclass(frozen=True)
class Document:
    type: DocumentType
    number: str


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: Sex


def nfkc(text: str) -> str:
    """Normalise full-width digits, letters and spaces to their ordinary forms and trim."""
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(map(mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def _bad_id(zh: str, en: str) -> InvalidInput:
    return InvalidInput("id_number.invalid", zh, en, field="id_number")


def _birth_date(text: str, today: date | None) -> date:
    try:
        born = date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise _bad_id(
            f"身份证号中的出生日期 {text} 不存在", f"The birth date {text} in the ID number does not exist"
        ) from None
    if born < EARLIEST_BIRTH or (today is not None and born > today):
        raise _bad_id(
            f"身份证号中的出生日期 {born.isoformat()} 不可能",
            f"The birth date {born.isoformat()} in the ID number is impossible",
        )
    return born


def parse_resident_id(raw: str, today: date | None = None) -> ResidentId:
    """Validate an 18-digit number (or upgrade a 15-digit one) and return it with its birth date and sex."""
    number = nfkc(raw).replace(" ", "").upper()
    if len(number) == 15 and number.isdigit():
        # legacy numbers: YYMMDD for people born 1900-1999; upgrade inserts the century and a check character
        first17 = number[:6] + "19" + number[6:]
        number = first17 + check_character(first17)
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise _bad_id(
            f"身份证号应为18位（或15位旧号）：{raw}",
            f"A resident ID number has 18 characters (or 15 for the legacy format): {raw}",
        )
    if number[:2] not in PROVINCE_CODES:
        raise _bad_id(f"身份证号的地区码 {number[:6]} 不存在", f"Unknown region code {number[:6]} in the ID number")
    born = _birth_date(number[6:14], today)
    expected = check_character(number[:17])
    if number[17] != expected:
        raise _bad_id(
            f"身份证号校验位错误：应为 {expected}，实为 {number[17]}",
            f"ID number check character is wrong: expected {expected}, found {number[17]}",
        )
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return ResidentId(number, born, sex)


class NumberCell(str):
    """The text of a spreadsheet cell that was stored as a number, not as text (services.tabular marks it): an
    ID number in such a cell has lost every digit after the 15th, which Excel does not keep."""

    __slots__ = ()


# what Excel shows of a long number: '4.20102E+17', '4.20102198001011e+17'
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d{1,2}$")
# Excel keeps 15 significant digits: an 18-digit number comes back with zeros in place of its last three
EXCEL_DIGITS = 15


def lost_to_excel(raw: str) -> bool:
    """Whether a document number that did not validate is a long number a spreadsheet stored as a number: in
    scientific notation, or more than 15 digits of which all after the 15th are zeros (from any cell), or more
    than 15 digits in a cell the spreadsheet held as a number."""
    text = nfkc(raw).replace(" ", "")
    if _SCIENTIFIC.match(text):
        return True
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit() or len(text) <= EXCEL_DIGITS:
        return False
    return isinstance(raw, NumberCell) or not text[EXCEL_DIGITS:].strip("0")


def excel_number_error(raw: str) -> InvalidInput:
    return InvalidInput(
        "id_number.excel_number",
        f"身份证号 {raw} 在表格里被存成了数字，Excel 只保留前15位，后面几位已变成 0，无法恢复。"
        "请把该列的单元格格式设为“文本”，从原始记录重新输入这些号码后再导入（可下载导入模板，其证件号列已设为文本）",
        f"The ID number {raw} was stored in the sheet as a number: Excel keeps only its first 15 digits and the "
        "rest became 0, which cannot be undone. Set the column's cell format to Text, enter the numbers again from "
        "the original records and import again (the import template has its ID column formatted as text)",
        field="id_number",
    )


_HK_MACAU = re.compile(r"^[HM]\d{8}(\d{2})?$")
_TAIWAN = re.compile(r"^\d{8}(\d{2})?$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")
_LOOKS_LIKE_RESIDENT_ID = re.compile(r"^\d{14,17}[\dX]?$")


def _guess_type(number: str) -> DocumentType:
    if number.isdigit() or _LOOKS_LIKE_RESIDENT_ID.match(number):
        return DocumentType.RESIDENT_ID
    if _HK_MACAU.match(number):
        return DocumentType.HK_MACAU_PERMIT
    return DocumentType.PASSPORT


_PATTERNS = {
    DocumentType.HK_MACAU_PERMIT: _HK_MACAU,
    DocumentType.TAIWAN_PERMIT: _TAIWAN,
    DocumentType.PASSPORT: _PASSPORT,
    DocumentType.OTHER: _PASSPORT,
}


def parse_document(
    raw: str, declared: DocumentType | None = None, today: date | None = None
) -> tuple[Document, ResidentId | None]:
    """Recognise and validate a document number.

    Without a declared type, a number of digits is a resident ID and must be a valid one (a mistyped ID is
    never taken for another document); H/M + 8 or 10 digits is a Hong Kong/Macao permit; other letters and
    digits are a passport. A Taiwan permit (8 or 10 digits) therefore has to be declared. A number that fails
    and looks like what a spreadsheet makes of a long number (`lost_to_excel`) is refused as that, with how to
    fix the sheet.
    """
    number = nfkc(raw).replace(" ", "").replace("-", "").upper()
    if not number:
        raise _bad_id("证件号为空", "The document number is empty")
    kind = declared or _guess_type(number)
    try:
        if kind is DocumentType.RESIDENT_ID:
            rid = parse_resident_id(number, today)
            return Document(kind, rid.number), rid
        if not _PATTERNS[kind].match(number):
            raise _bad_id(f"{kind.zh}号码格式不正确：{raw}", f"Not a valid {kind.en} number: {raw}")
    except InvalidInput:
        if lost_to_excel(raw):
            raise excel_number_error(nfkc(raw)) from None
        raise
    return Document(kind, number), None


_PHONE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
# an extension written the Chinese way ('转 123', '分机123') or after a last dash ('027-85551234-123')
_EXTENSION_WORDS = re.compile(r"\s*(?:转|分机)\s*(?=\d+\s*$)")
_DASH_EXTENSION = re.compile(r"^(.*\d)\s*-\s*(\d{1,6})\s*$")
# longest stored form: '+' and 15 digits (E.164), ';ext=' and up to 9 digits
PHONE_MAX = 32


def _mobile(text: str) -> str | None:
    """The 11 digits of a mainland mobile written with separators or a +86/0086 prefix, else None."""
    text = _PHONE_SEPARATORS.sub("", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text if _PHONE.match(text) else None


def _international(text: str) -> str | None:
    """Any other valid number (a mainland landline with its area code, Hong Kong, Macao, Taiwan, abroad) in E.164,
    with ';ext=' and its extension if it has one; None if phonenumbers does not find a valid number in it."""
    import phonenumbers  # only here: the usual mobile never loads it

    text = _EXTENSION_WORDS.sub(" ext. ", text)
    candidates = [text]
    dashed = _DASH_EXTENSION.match(text)
    if dashed:
        candidates.append(f"{dashed[1]} ext. {dashed[2]}")
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, "CN")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return f"{e164};ext={number.extension}" if number.extension else e164
    return None


def normalize_phone(raw: str) -> str:
    """A phone number's stored form: a mainland mobile as its 11 digits (the checked fast case: separators, a
    +86/0086 prefix and Excel's '.0' are dropped, and phonenumbers is never called); any other valid number — a
    landline with its area code ('027-85551234', '(027)85551234'), with an extension ('转 123', 'ext. 123',
    '-123'), or an international number ('+852 9123 4567') — in E.164 ('+862785551234', '+85291234567'),
    with ';ext=123' if it has one.

    E.164 is one spelling for every way a number is written, so that the same landline from two lists matches,
    and it cannot be mistaken for a mobile (it begins with '+') or for another country's number."""
    text = nfkc(raw)
    if _PHONE.match(text):  # the usual case: already eleven plain digits
        return text
    if text.endswith(".0"):  # a number cell of a spreadsheet, read as text
        text = text[:-2]
    found = _mobile(text) or _international(text)
    if found is None or len(found) > PHONE_MAX:
        raise InvalidInput(
            "phone.invalid",
            f"电话号码无法识别：{raw}（手机号为11位；固定电话请带区号，如 027-85551234；境外号码请带国家码，"
            "如 +852 9123 4567）",
            f"Cannot read the phone number {raw} (a mobile has 11 digits; give a landline with its area code, "
            "e.g. 027-85551234, and a number abroad with its country code, e.g. +852 9123 4567)",
            field="phone",
        )
    return found


_SPACES = re.compile(r"\s+")
_CJK = re.compile("[\u3400-\u9fff\U00020000-\U0003134f\u00b7]")


def normalize_name(raw: str) -> str:
    """Trim, NFKC, drop internal spaces in Chinese names ('张 三' → '张三'), collapse them in others."""
    text = _SPACES.sub(" ", nfkc(raw))
    if " " in text and _CJK.search(text):
        text = text.replace(" ", "")
    if not text:
        raise InvalidInput("name.empty", "姓名为空", "The name is empty", field="name")
    if len(text) > 60:
        raise InvalidInput(
            "name.too_long", "姓名过长（超过60个字符）", "The name is longer than 60 characters", field="name"
        )
    return text


def parse_sex(raw: str) -> Sex:
    sex = _SEX_WORDS.get(nfkc(raw).lower())
    if sex is None:
        raise InvalidInput(
            "sex.invalid",
            f"性别无法识别：{raw}（应为 男/女）",
            f"Unknown sex: {raw} (expected male/female)",
            field="sex",
        )
    return sex


def mask_document(number: str) -> str:
    """'420102199001011234' → '420102********1234'; short documents keep their first and last two."""
    if len(number) >= 14:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    if len(number) > 4:
        return number[:2] + "*" * (len(number) - 4) + number[-2:]
    return "*" * len(number)


def mask_phone(phone: str) -> str:
    """'13812341234' → '138****1234'; any other number keeps only its last four digits ('+862785551234' →
    '+********1234'), and an extension is hidden with the rest."""
    if len(phone) == 11 and phone.isdigit():
        return phone[:3] + "****" + phone[-4:]
    number = phone.split(";", 1)[0]
    if len(number) <= 4:
        return "*" * len(number)
    head = "+" if number.startswith("+") else ""
    return head + "*" * (len(number) - len(head) - 4) + number[-4:]


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
