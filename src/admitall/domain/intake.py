"""Turning what a person-row says (text from a file, a form or the API) into a validated registration.

Every field is checked and every problem is reported with its field, so that a rejected row tells the sender
exactly what to fix. Problems that do not lose information (a birth date that disagrees with the ID number,
a severity on someone not confirmed) are warnings: the row is kept and the warning reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from admitall.domain.errors import InvalidInput
from admitall.domain.identity import (
    Document,
    DocumentType,
    NumberCell,
    Sex,
    nfkc,
    normalize_name,
    normalize_phone,
    parse_document,
    parse_sex,
)
from admitall.domain.people import FOUR_CATEGORIES, PersonDetails, Risk, Severity, Status
from admitall.domain.text import forbidden_character
from admitall.domain.units import normalize_code

# English and Chinese column headers → field key (DESIGN.md §4), plus the optional document type.
HEADERS: dict[str, str] = {}
for _key, _names in {
    # simplified, then traditional Chinese (a Big5 list from Hong Kong, Macao or Taiwan)
    "name": ("name", "姓名"),
    "id_number": ("id_number", "身份证号", "证件号码", "证件号", "身份證號", "證件號碼", "證件號"),
    "id_type": ("id_type", "证件类型", "證件類型"),
    "phone": ("phone", "手机号", "联系电话", "电话", "手機號", "聯繫電話", "聯絡電話", "電話"),
    "sex": ("sex", "性别", "性別"),
    "birth_date": ("birth_date", "出生日期"),
    "category": ("category", "类别", "人员类别", "類別", "人員類別"),
    "severity": ("severity", "病情", "病情分型"),
    "risk": ("risk", "风险", "风险因素", "風險", "風險因素"),
    "unit_code": ("unit_code", "社区编码", "单位编码", "社區編碼", "單位編碼"),
    "address": ("address", "住址", "地址"),
    "identified_at": ("identified_at", "发现时间", "發現時間"),
    "source_ref": ("source_ref", "来源编号", "來源編號"),
}.items():
    for _name in _names:
        HEADERS[_name.lower()] = _key
_FIELDS = tuple(dict.fromkeys(HEADERS.values()))

# what each field is called to a person, in Chinese and in English (a rejected row names its field so)
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "ID number"),
    "id_type": ("证件类型", "document type"),
    "phone": ("联系电话", "phone"),
    "sex": ("性别", "sex"),
    "birth_date": ("出生日期", "birth date"),
    "category": ("人员类别", "category"),
    "severity": ("病情分型", "severity"),
    "risk": ("风险因素", "risk factors"),
    "unit_code": ("社区编码", "unit code"),
    "address": ("住址", "address"),
    "identified_at": ("发现时间", "time identified"),
    "source_ref": ("来源编号", "source reference"),
}


def field_name(key: str, lang: str) -> str:
    """A field's name in `lang` ('zh' or 'en'); a key not known here is shown as it is."""
    names = FIELD_NAMES.get(key)
    if names is None:
        return key
    return names[1] if lang == "en" else names[0]


_CATEGORY_WORDS = {
    "确诊": Status.CONFIRMED,
    "确诊病例": Status.CONFIRMED,
    "疑似": Status.SUSPECTED,
    "疑似病例": Status.SUSPECTED,
    "发热": Status.FEVER,
    "发热病人": Status.FEVER,
    "febrile": Status.FEVER,
    "密接": Status.CONTACT,
    "密切接触": Status.CONTACT,
    "close contact": Status.CONTACT,
    "確診": Status.CONFIRMED,
    "確診病例": Status.CONFIRMED,
    "發熱": Status.FEVER,
    "發熱病人": Status.FEVER,
    "密切接觸": Status.CONTACT,
}
_SEVERITY_WORDS = {
    "轻症": Severity.MILD,
    "輕症": Severity.MILD,
    "輕型": Severity.MILD,
    "普通": Severity.MODERATE,
    "重症": Severity.SEVERE,
    "危重": Severity.CRITICAL,
    "危重症": Severity.CRITICAL,
}
_RISK_WORDS = {
    "elderly": Risk.ELDERLY,
    "age65": Risk.ELDERLY,
    "高龄": Risk.ELDERLY,
    "老年": Risk.ELDERLY,
    "65岁及以上": Risk.ELDERLY,
    "comorbidity": Risk.COMORBIDITY,
    "基础病": Risk.COMORBIDITY,
    "基础疾病": Risk.COMORBIDITY,
    "合并症": Risk.COMORBIDITY,
    "慢性病": Risk.COMORBIDITY,
    "pregnancy": Risk.PREGNANCY,
    "pregnant": Risk.PREGNANCY,
    "孕妇": Risk.PREGNANCY,
    "孕产妇": Risk.PREGNANCY,
    "妊娠": Risk.PREGNANCY,
}
_NO_WORDS = {"", "无", "否", "no", "none", "n", "0", "-", "—"}
_RISK_SPLIT = re.compile(r"[,;，；、/|\s]+")

EXCEL_EPOCH = date(1899, 12, 30)
EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=UTC)
# a field clock a few minutes ahead of the server is not an error; more is
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class FieldProblem:
    field: str
    zh: str
    en: str

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class PersonInput:
    """A validated registration, not yet matched against the registry."""

    details: PersonDetails
    status: Status
    severity: Severity | None
    risks: frozenset[Risk]
    identified_at: datetime
    source_ref: str | None
    warnings: tuple[FieldProblem, ...] = ()


@dataclass
class _Collector:
    problems: list[FieldProblem] = field(default_factory=list)
    warnings: list[FieldProblem] = field(default_factory=list)

    def error(self, e: InvalidInput, fallback_field: str) -> None:
        self.problems.append(FieldProblem(e.field or fallback_field, e.zh, e.en))


class _Text(dict[str, str]):
    """A row's fields, normalised once; a missing field reads as empty."""

    def __missing__(self, key: str) -> str:
        return ""


def parse_status(text: str) -> Status:
    key = nfkc(text).lower()
    status = _CATEGORY_WORDS.get(key) or Status.parse(key)
    if status is None or not status.in_four_categories:
        raise InvalidInput(
            "category.invalid",
            f"类别无法识别：{text}（应为 确诊/疑似/发热/密接）",
            f"Unknown category: {text} (expected confirmed, suspected, fever or contact)",
            field="category",
        )
    return status


def parse_severity(text: str) -> Severity:
    key = nfkc(text).lower()
    severity = _SEVERITY_WORDS.get(key) or Severity.parse(key)
    if severity is None:
        raise InvalidInput(
            "severity.invalid",
            f"病情分型无法识别：{text}（应为 轻型/普通型/重型/危重型）",
            f"Unknown severity: {text} (expected mild, moderate, severe or critical)",
            field="severity",
        )
    return severity


def parse_risks(text: str) -> frozenset[Risk]:
    found: set[Risk] = set()
    for token in _RISK_SPLIT.split(nfkc(text).lower()):
        if token in _NO_WORDS:
            continue
        risk = _RISK_WORDS.get(token) or Risk.parse(token)
        if risk is None:
            raise InvalidInput(
                "risk.invalid",
                f"风险因素无法识别：{token}（可填 高龄、基础疾病、孕产妇）",
                f"Unknown risk flag: {token} (use elderly, comorbidity or pregnancy)",
                field="risk",
            )
        found.add(risk)
    return frozenset(found)


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATETIME_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T\s]+(\d{1,2})\s*[:时点]\s*(\d{1,2})?\s*分?"
    r"(?:\s*:\s*(\d{1,2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_PLAIN_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
_SERIAL_RE = re.compile(r"^\d{1,6}(\.\d+)?$")


def _excel_serial(text: str) -> datetime | None:
    if not _SERIAL_RE.match(text):
        return None
    serial = float(text)
    if not 1 <= serial < 2958466:
        return None
    return datetime.combine(EXCEL_EPOCH, time()) + timedelta(days=serial)


def parse_date(text: str, field_name: str) -> date:
    """ISO, slashed, dotted, Chinese (1990年1月2日), compact (19900102) or an Excel serial number."""
    value = nfkc(text)
    m = _DATE_RE.match(value) or _COMPACT_DATE_RE.match(value)
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
        serial = _excel_serial(value)
        if serial is not None:
            return serial.date()
        if " " in value or "T" in value:
            return parse_date(re.split(r"[T\s]", value, maxsplit=1)[0], field_name)
    except ValueError:
        pass
    raise InvalidInput("date.invalid", f"日期不存在或无法识别：{text}", f"Not a valid date: {text}", field=field_name)


def parse_datetime(text: str, field_name: str, tz: tzinfo) -> datetime:
    """A moment, read in the city's time zone unless it carries an offset; a date alone means its midnight."""
    value = nfkc(text)
    try:
        if _PLAIN_ISO.match(value):  # the usual case, '2020-02-10 08:00[:00]' with no offset: parsed in C
            return datetime.fromisoformat(value).replace(tzinfo=tz).astimezone(UTC)
        m = _DATETIME_RE.match(value)
        if m:
            offset = m[7]
            zone: tzinfo = tz
            if offset:
                zone = UTC if offset == "Z" else datetime.strptime(offset.replace(":", ""), "%z").tzinfo or tz
            naive = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
            return naive.replace(tzinfo=zone).astimezone(UTC)
        serial = _excel_serial(value)
        if serial is not None:
            return serial.replace(microsecond=0, tzinfo=tz).astimezone(UTC)
    except ValueError:
        pass
    raise InvalidInput(
        "datetime.invalid", f"时间不存在或无法识别：{text}", f"Not a valid date and time: {text}", field=field_name
    )


@lru_cache(maxsize=8)
def _today(now: datetime, tz: tzinfo) -> date:
    """The local date of `now`: a batch validates every row at the same moment, so it is found once."""
    return now.astimezone(tz).date()


def parse_person_input(raw: Mapping[str, str | None], *, now: datetime, tz: tzinfo) -> PersonInput | list[FieldProblem]:
    """Validate one registration. Returns the input, or every problem found (never just the first)."""
    c = _Collector()
    today = _today(now, tz)
    text = _Text({key: nfkc(str(value)) for key, value in raw.items() if value is not None})
    # one search over every field at once (the usual row has none); only a row that has one is searched by field
    suspect = forbidden_character("".join([text[key] for key in _FIELDS if key in text])) is not None
    for key in _FIELDS if suspect else ():
        bad = forbidden_character(text[key])
        if bad is not None:  # NUL, escapes, line breaks, or a right-to-left override that disguises the text
            c.problems.append(
                FieldProblem(
                    key,
                    f"含有不允许的控制字符或文字方向控制字符（U+{ord(bad):04X}）",
                    f"Contains a control or text-direction character that is not allowed (U+{ord(bad):04X})",
                )
            )

    name = ""
    try:
        name = normalize_name(text["name"])
    except InvalidInput as e:
        c.error(e, "name")

    status: Status | None = None
    if not text["category"]:
        c.problems.append(FieldProblem("category", "类别必填", "The category is required"))
    else:
        try:
            status = parse_status(text["category"])
        except InvalidInput as e:
            c.error(e, "category")

    unit_code = ""
    if not text["unit_code"]:
        c.problems.append(FieldProblem("unit_code", "社区编码必填", "The unit code is required"))
    else:
        try:
            unit_code = normalize_code(text["unit_code"])
        except InvalidInput as e:
            c.problems.append(FieldProblem("unit_code", e.zh, e.en))

    document: Document | None = None
    id_sex: Sex | None = None
    id_birth: date | None = None
    declared: DocumentType | None = None
    if text["id_type"]:
        declared = DocumentType.parse(text["id_type"])
        if declared is None:
            c.problems.append(
                FieldProblem(
                    "id_type",
                    f"证件类型无法识别：{text['id_type']}",
                    f"Unknown document type: {text['id_type']}",
                )
            )
    if text["id_number"]:
        cell = raw.get("id_number")
        try:
            # a cell the spreadsheet held as a number is passed on as such: it may have lost digits
            id_text = NumberCell(text["id_number"]) if isinstance(cell, NumberCell) else text["id_number"]
            document, rid = parse_document(id_text, declared, today)
            if rid is not None:
                id_sex, id_birth = rid.sex, rid.birth_date
        except InvalidInput as e:
            c.error(e, "id_number")

    phone: str | None = None
    unreadable_phone: InvalidInput | None = None
    if text["phone"]:
        try:
            phone = normalize_phone(text["phone"])
        except InvalidInput as e:
            unreadable_phone = e  # not a reason to lose the person: decided below

    sex = id_sex
    if text["sex"]:
        try:
            file_sex = parse_sex(text["sex"])
            if id_sex is not None and file_sex is not id_sex:
                c.warnings.append(
                    FieldProblem(
                        "sex",
                        f"性别“{file_sex.zh}”与身份证号（{id_sex.zh}）不一致，以身份证号为准",
                        f"Sex '{file_sex.en}' disagrees with the ID number ({id_sex.en}); the ID number is kept",
                    )
                )
            sex = id_sex or file_sex
        except InvalidInput as e:
            c.error(e, "sex")

    birth = id_birth
    if text["birth_date"]:
        try:
            file_birth = parse_date(text["birth_date"], "birth_date")
            if file_birth > today or file_birth.year < 1900:
                raise InvalidInput(
                    "date.impossible",
                    f"出生日期不可能：{file_birth.isoformat()}",
                    f"Impossible birth date: {file_birth.isoformat()}",
                    field="birth_date",
                )
            if id_birth is not None and file_birth != id_birth:
                c.warnings.append(
                    FieldProblem(
                        "birth_date",
                        f"出生日期 {file_birth.isoformat()} 与身份证号（{id_birth.isoformat()}）不一致，以身份证号为准",
                        f"Birth date {file_birth.isoformat()} disagrees with the ID number ({id_birth.isoformat()}); "
                        "the ID number is kept",
                    )
                )
            birth = id_birth or file_birth
        except InvalidInput as e:
            c.error(e, "birth_date")

    severity: Severity | None = None
    if text["severity"]:
        try:
            severity = parse_severity(text["severity"])
        except InvalidInput as e:
            c.error(e, "severity")
        if severity is not None and status is not None and status is not Status.CONFIRMED:
            c.warnings.append(
                FieldProblem(
                    "severity",
                    f"只有确诊患者有病情分型；{status.zh}的“{severity.zh}”未记录",
                    f"Only confirmed patients have a severity; '{severity.en}' was not "
                    f"recorded for a {status.en} person",
                )
            )
            severity = None

    risks: frozenset[Risk] = frozenset()
    try:
        risks = parse_risks(text["risk"])
    except InvalidInput as e:
        c.error(e, "risk")

    identified_at = now
    if text["identified_at"]:
        try:
            identified_at = parse_datetime(text["identified_at"], "identified_at", tz)
            if identified_at > now + FUTURE_TOLERANCE:
                raise InvalidInput(
                    "datetime.future",
                    f"发现时间在未来：{text['identified_at']}",
                    f"The identification time is in the future: {text['identified_at']}",
                    field="identified_at",
                )
            if identified_at < EARLIEST_EVENT:
                raise InvalidInput(
                    "datetime.too_early",
                    f"发现时间过早：{text['identified_at']}",
                    f"The identification time is implausibly early: {text['identified_at']}",
                    field="identified_at",
                )
            identified_at = min(identified_at, now)
        except InvalidInput as e:
            c.error(e, "identified_at")

    source_ref = text["source_ref"] or None
    address = text["address"] or None
    if address is not None and len(address) > 200:
        c.problems.append(
            FieldProblem("address", "住址过长（超过200个字符）", "The address is longer than 200 characters")
        )
    if source_ref is not None and len(source_ref) > 100:
        c.problems.append(
            FieldProblem("source_ref", "来源编号过长", "The source reference is longer than 100 characters")
        )

    if unreadable_phone is not None:
        _phone_problem(c, unreadable_phone, identified=document is not None or source_ref is not None)
    if not c.problems and document is None and phone is None and source_ref is None:
        c.problems.append(
            FieldProblem(
                "id_number",
                "无法识别此人：身份证号、手机号、来源编号至少填写一项",
                "Cannot tell who this is: give an ID number, a phone or a source reference",
            )
        )
    if c.problems:
        return c.problems
    assert status is not None and status in FOUR_CATEGORIES
    details = PersonDetails(
        name=name, unit_code=unit_code, document=document, phone=phone, sex=sex, birth_date=birth, address=address
    )
    return PersonInput(details, status, severity, risks, identified_at, source_ref, tuple(c.warnings))


def _phone_problem(c: _Collector, e: InvalidInput, *, identified: bool) -> None:
    """A phone that cannot be read loses the phone, not the person: a warning, and the person is registered
    without it. It is a problem only where the row is refused anyway (said with the row's other problems), or
    where the phone was all that tells who the person is."""
    if c.problems:
        c.problems.append(FieldProblem("phone", e.zh, e.en))
    elif not identified:
        c.problems.append(
            FieldProblem(
                "phone",
                f"{e.zh}；此行也没有身份证号或来源编号，无法识别此人",
                f"{e.en}; the row has no ID number or source reference either, so the person cannot be identified",
            )
        )
    else:
        c.warnings.append(
            FieldProblem(
                "phone",
                f"{e.zh}。此人已登记，电话未记录，请核实后补录",
                f"{e.en}. The person was registered without the phone: check it and add it",
            )
        )
