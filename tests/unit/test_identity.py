from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitall.domain.errors import InvalidInput
from admitall.domain.identity import (
    DocumentType,
    Sex,
    check_character,
    mask_document,
    mask_phone,
    normalize_name,
    normalize_phone,
    parse_document,
    parse_resident_id,
)
from tests.factories import id_number

# the example number of GB 11643-1999's own annex
STANDARD_EXAMPLE = "11010519491231002X"

regions = st.sampled_from(["110105", "420102", "440305", "650102", "310115"])
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 1, 1))


def test_the_standards_example_is_valid():
    rid = parse_resident_id(STANDARD_EXAMPLE)
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex is Sex.FEMALE


def test_a_lower_case_x_is_accepted_and_stored_upper_case():
    assert parse_resident_id(STANDARD_EXAMPLE.lower()).number == STANDARD_EXAMPLE


def test_full_width_digits_are_normalised():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in STANDARD_EXAMPLE)
    assert parse_resident_id(full_width).number == STANDARD_EXAMPLE


@given(regions, births, st.integers(0, 999))
def test_every_number_with_its_check_character_is_valid(region, born, seq):
    number = id_number(born, region, seq)
    rid = parse_resident_id(number)
    assert rid.number == number
    assert rid.birth_date == born
    assert rid.sex is (Sex.MALE if seq % 2 else Sex.FEMALE)


@given(regions, births, st.integers(0, 999), st.integers(0, 16), st.integers(1, 9))
def test_changing_any_one_digit_breaks_the_check(region, born, seq, position, delta):
    number = id_number(born, region, seq)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(InvalidInput):
        parse_resident_id(changed)


def test_a_wrong_check_character_is_reported_with_the_expected_one():
    number = id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(InvalidInput, match=f"expected {number[17]}"):
        parse_resident_id(wrong)


@pytest.mark.parametrize("born", ["19850230", "19851301", "18991231"])
def test_an_impossible_birth_date_is_refused(born):
    first17 = f"420102{born}123"
    with pytest.raises(InvalidInput):
        parse_resident_id(first17 + check_character(first17))


def test_a_birth_date_after_today_is_refused():
    number = id_number(date(2021, 5, 1))
    with pytest.raises(InvalidInput, match="impossible"):
        parse_resident_id(number, today=date(2020, 2, 10))


def test_an_unknown_region_is_refused():
    first17 = "990102198503071231"[:17]
    with pytest.raises(InvalidInput, match="region"):
        parse_resident_id(first17 + check_character(first17))


def test_a_fifteen_digit_number_is_upgraded_to_eighteen():
    legacy = "420102850307123"
    rid = parse_resident_id(legacy)
    assert rid.number == id_number(date(1985, 3, 7), "420102", 123)
    assert rid.birth_date == date(1985, 3, 7)


def test_documents_are_recognised_by_their_form():
    assert parse_document("E12345678")[0].type is DocumentType.PASSPORT
    assert parse_document("H12345678")[0].type is DocumentType.HK_MACAU_PERMIT
    assert parse_document("12345678", DocumentType.TAIWAN_PERMIT)[0].type is DocumentType.TAIWAN_PERMIT
    doc, rid = parse_document(id_number())
    assert doc.type is DocumentType.RESIDENT_ID and rid is not None


def test_a_mistyped_resident_id_is_not_taken_for_another_document():
    with pytest.raises(InvalidInput):
        parse_document(id_number()[:17])


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "138 1234 5678", "+86 138-1234-5678", "008613812345678", "１３８１２３４５６７８", "13812345678.0"],
)
def test_mobile_numbers_are_normalised(raw):
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "88888888", "abc"])
def test_numbers_that_are_neither_mobiles_nor_valid_elsewhere_are_refused(raw):
    with pytest.raises(InvalidInput):
        normalize_phone(raw)


def test_chinese_names_lose_internal_spaces_and_others_keep_one():
    assert normalize_name("  张　三 ") == "张三"
    assert normalize_name(" John   Smith ") == "John Smith"
    with pytest.raises(InvalidInput):
        normalize_name("   ")


def test_masks_keep_only_what_identifies_the_record_to_its_owner():
    assert mask_document("42010219850307123X") == "420102********123X"
    assert mask_phone("13812341234") == "138****1234"
    assert check_character("11010519491231002") == "X"
