import pytest

from admitall.domain.errors import InvalidInput
from admitall.domain.units import (
    UnitLevel,
    ancestors_of,
    in_subtree,
    level_of,
    normalize_code,
    parent_of,
    subtree_bounds,
)


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("420100000000", UnitLevel.CITY, "420000000000"),
        ("420102000000", UnitLevel.DISTRICT, "420100000000"),
        ("420102002000", UnitLevel.STREET, "420102000000"),
        ("420102002001", UnitLevel.COMMUNITY, "420102002000"),
        ("420000000000", UnitLevel.PROVINCE, None),
    ],
)
def test_level_and_parent_follow_from_the_code(code, level, parent):
    assert level_of(code) is level
    assert parent_of(code) == parent


def test_ancestors_run_from_the_province_down():
    assert ancestors_of("420102002001") == ["420000000000", "420100000000", "420102000000", "420102002000"]


@pytest.mark.parametrize("bad", ["4201", "42010200200A", "4201020020011", "", "000000000000", "001234000000"])
def test_a_code_that_is_not_twelve_meaningful_digits_is_refused(bad):
    with pytest.raises(InvalidInput) as e:
        level_of(normalize_code(bad))
    assert e.value.field == "code"


def test_a_zero_segment_above_a_non_zero_one_has_no_parent():
    with pytest.raises(InvalidInput, match="parent"):
        level_of("420100000001")


def test_spreadsheet_forms_of_a_code_are_accepted():
    assert normalize_code(" 420102002001.0 ") == "420102002001"


def test_subtree_is_the_code_prefix_range():
    low, high = subtree_bounds("420102000000")
    assert (low, high) == ("420102000000", "420102999999")
    assert in_subtree("420102002001", "420102000000")
    assert not in_subtree("420103001001", "420102000000")
    assert in_subtree("420102002001", "420102002001")
    assert not in_subtree("420102002002", "420102002001")
