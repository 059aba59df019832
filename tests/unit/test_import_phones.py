"""Phones as people write them (issue 14 §6): mobiles stay the checked fast case, landlines and numbers abroad are
kept in E.164, a phone that cannot be read loses the phone and never the person."""

import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from admitall.domain.errors import InvalidInput
from admitall.domain.identity import mask_phone, normalize_phone
from admitall.domain.intake import PersonInput, parse_person_input
from tests.factories import person_row

NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("027-85551234", "+862785551234"),
        ("(027)85551234", "+862785551234"),
        ("（027）8555 1234", "+862785551234"),
        ("02785551234", "+862785551234"),
        ("2785551234.0", "+862785551234"),  # a number cell: Excel dropped the leading 0
        ("+86 27 8555 1234", "+862785551234"),
        ("0755-12345678", "+8675512345678"),
        ("027-85551234 转 123", "+862785551234;ext=123"),
        ("027-85551234 分机 12", "+862785551234;ext=12"),
        ("027-85551234-123", "+862785551234;ext=123"),
        ("027-85551234 ext. 9", "+862785551234;ext=9"),
        ("+852 9123 4567", "+85291234567"),
        ("00852 9123 4567", "+85291234567"),
        ("+853 6612 3456", "+85366123456"),
        ("+886 912 345 678", "+886912345678"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_landlines_extensions_and_numbers_abroad_are_stored_in_e164(raw, stored):
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "008613812345678"])
def test_a_mainland_mobile_stays_its_eleven_digits(raw):
    assert normalize_phone(raw) == "13812345678"


def test_a_plain_mobile_never_calls_phonenumbers(monkeypatch):
    monkeypatch.setitem(sys.modules, "phonenumbers", None)  # importing it would now fail
    assert normalize_phone("13812345678") == "13812345678"
    assert normalize_phone("+86 138 1234 5678") == "13812345678"
    with pytest.raises(ImportError):
        normalize_phone("027-85551234")


@pytest.mark.parametrize("raw", ["85551234", "12812345678", "1381234567", "abc", "+852 123"])
def test_a_number_valid_nowhere_is_refused_with_what_to_write(raw):
    with pytest.raises(InvalidInput) as e:
        normalize_phone(raw)
    assert e.value.field == "phone" and "027-85551234" in e.value.zh and "+852" in e.value.en


def test_masks_keep_the_last_four_digits_and_never_more_for_a_landline():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+862785551234") == "+********1234"
    assert mask_phone("+862785551234;ext=123") == "+********1234"
    assert mask_phone("+85291234567") == "+*******4567"
    for masked in (mask_phone("+862785551234"), mask_phone("+862785551234;ext=123")):
        assert sum(ch.isdigit() for ch in masked) == 4


def parse(**overrides):
    return parse_person_input(person_row(**overrides), now=NOW, tz=TZ)


def test_an_unreadable_phone_is_dropped_with_a_warning_and_the_person_kept():
    result = parse(phone="85551234")
    assert isinstance(result, PersonInput)
    assert result.details.phone is None
    [warning] = result.warnings
    assert warning.field == "phone" and "85551234" in warning.zh and "电话未记录" in warning.zh


def test_an_unreadable_phone_that_was_all_there_was_to_identify_the_person_refuses_the_row():
    result = parse(phone="85551234", id_number="")
    assert isinstance(result, list)
    assert [p.field for p in result] == ["phone"] and "无法识别此人" in result[0].zh


def test_a_row_refused_for_something_else_also_names_its_unreadable_phone():
    result = parse(phone="85551234", category="感冒")
    assert isinstance(result, list)
    assert {p.field for p in result} == {"category", "phone"}
