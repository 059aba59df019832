from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from admitall.domain.intake import FieldProblem, PersonInput, parse_date, parse_datetime, parse_person_input
from admitall.domain.people import Risk, Severity, Status
from tests.factories import DAZHI_1, id_number, person_row

NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


def parse(**overrides) -> PersonInput | list[FieldProblem]:
    return parse_person_input(person_row(**overrides), now=NOW, tz=TZ)


def fields(result) -> set[str]:
    assert isinstance(result, list), result
    return {p.field for p in result}


def test_a_good_row_gives_a_registration_with_birth_and_sex_from_the_id():
    result = parse()
    assert isinstance(result, PersonInput)
    assert result.details.birth_date == date(1985, 3, 7)
    assert result.details.sex is not None
    assert result.identified_at == datetime(2020, 2, 10, 0, 0, tzinfo=UTC)  # 08:00 in Wuhan


def test_chinese_category_and_severity_names_are_accepted():
    result = parse(category="确诊患者", severity="危重型")
    assert isinstance(result, PersonInput)
    assert (result.status, result.severity) == (Status.CONFIRMED, Severity.CRITICAL)


def test_every_bad_field_is_reported_not_just_the_first():
    bad = id_number()[:17] + ("0" if id_number()[17] != "0" else "1")
    result = parse(id_number=bad, phone="123", category="感冒", unit_code="42")
    assert fields(result) == {"id_number", "phone", "category", "unit_code"}


def test_a_row_without_any_identifier_is_rejected():
    assert fields(parse(id_number="", phone="", source_ref="")) == {"id_number"}


def test_a_conflict_between_the_file_and_the_id_number_is_a_warning_and_the_id_wins():
    result = parse(birth_date="1990-01-01", sex="男" if int(id_number()[16]) % 2 == 0 else "女")
    assert isinstance(result, PersonInput)
    assert {w.field for w in result.warnings} == {"birth_date", "sex"}
    assert result.details.birth_date == date(1985, 3, 7)


def test_a_severity_on_someone_not_confirmed_is_not_recorded_but_said():
    result = parse(category="contact", severity="重型")
    assert isinstance(result, PersonInput)
    assert result.severity is None
    assert [w.field for w in result.warnings] == ["severity"]


def test_an_identification_time_in_the_future_is_rejected():
    assert fields(parse(identified_at="2020-02-11 08:00")) == {"identified_at"}


@pytest.mark.parametrize("text", ["2020-02-30", "2020-02-30 10:00", "2020-02-10 25:00", "2020/13/01", "昨天"])
def test_impossible_times_are_rejected(text):
    assert fields(parse(identified_at=text)) == {"identified_at"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1985-03-07", date(1985, 3, 7)),
        ("1985/3/7", date(1985, 3, 7)),
        ("1985.03.07", date(1985, 3, 7)),
        ("1985年3月7日", date(1985, 3, 7)),
        ("19850307", date(1985, 3, 7)),
        ("31113", date(1985, 3, 7)),
        ("1985-03-07 00:00:00", date(1985, 3, 7)),
    ],
)
def test_dates_in_the_forms_spreadsheets_use(text, expected):
    assert parse_date(text, "birth_date") == expected


def test_excel_serial_times_and_chinese_times_are_read_in_the_city_zone():
    assert parse_datetime("43871.5", "t", TZ) == datetime(2020, 2, 10, 4, 0, tzinfo=UTC)
    assert parse_datetime("2020年2月10日 12时30分", "t", TZ) == datetime(2020, 2, 10, 4, 30, tzinfo=UTC)
    assert parse_datetime("2020-02-10T12:30:00+08:00", "t", TZ) == datetime(2020, 2, 10, 4, 30, tzinfo=UTC)
    assert parse_datetime("2020-02-10T04:30Z", "t", TZ) == datetime(2020, 2, 10, 4, 30, tzinfo=UTC)


def test_risk_flags_in_either_language():
    result = parse(risk="基础疾病、孕妇")
    assert isinstance(result, PersonInput)
    assert result.risks == {Risk.COMORBIDITY, Risk.PREGNANCY}
    assert fields(parse(risk="smoker")) == {"risk"}


def test_full_width_and_spaced_input_is_normalised():
    full = "".join(chr(ord(c) + 0xFEE0) for c in id_number())
    result = parse(name=" 张 三 ", id_number=full, unit_code=f" {DAZHI_1} ")
    assert isinstance(result, PersonInput)
    assert result.details.name == "张三"
    assert result.details.document is not None and result.details.document.number == id_number()
