"""The password policy (domain/passwords.py): every refusal, with the rule it names, and the passwords it lets by."""

import pytest

from admitall.domain.errors import InvalidInput
from admitall.domain.passwords import check_password, common_passwords


def refusal(password: str, username: str = "dazhi") -> str:
    with pytest.raises(InvalidInput) as refused:
        check_password(password, username)
    assert refused.value.field == "password" and refused.value.zh and refused.value.en
    return refused.value.code


@pytest.mark.parametrize("short", ["12345678", "password", "Wuhan2020!", "a1b2c3d4e5f"])
def test_a_password_shorter_than_twelve_characters_is_refused(short):
    assert refusal(short) == "password.too_short"


def test_eight_spaces_are_refused_as_blank_whatever_their_length():
    assert refusal(" " * 8) == "password.blank"
    assert refusal(" " * 20) == "password.blank"


@pytest.mark.parametrize("bad", ["correct\x00horse battery", "correct horse\u202ebattery", "tab\there and there"])
def test_control_and_invisible_formatting_characters_are_refused(bad):
    assert refusal(bad) == "password.control_character"


def test_a_password_over_256_characters_is_refused():
    assert refusal("lanterns on the river " * 12) == "password.too_long"


@pytest.mark.parametrize("password", ["dazhi-dazhi-dazhi", "Dazhi the street 2020", "my ihzad password"])
def test_a_password_that_is_or_contains_the_username_is_refused(password):
    assert refusal(password, "dazhi") == "password.has_username"


def test_a_name_shorter_than_three_characters_is_refused_only_as_the_whole_password():
    assert refusal("lilililililili", "lilililililili") == "password.has_username"
    check_password("lanterns over the lake", "la")  # "la" inside "lanterns" is not the name


@pytest.mark.parametrize(
    "simple",
    [
        "aaaaaaaaaaaaaaaa",  # one character
        "abababababababab",  # one piece repeated
        "abcabcabcabcab",  # repeated, the last cut short
        "123456789012",  # digits only, a run
        "138001380013800",  # digits only: a phone number is no password
        "qwertyuiop[]",  # a keyboard row
        "zyxwvutsrqpon",  # the alphabet backwards
        "aabbaabbaabb",  # fewer than five different characters
    ],
)
def test_simple_passwords_are_refused(simple):
    assert refusal(simple) == "password.too_simple"


@pytest.mark.parametrize(
    "common",
    [
        "password1234",
        "Password2020!",  # a capital, a year, a symbol
        "P@ssw0rd2020",  # leetspeak
        "iloveyou1314",
        "woaini5201314",
        "wuhanjiayou2020",  # the outbreak's own slogan
        "admin@123456",
        "1qaz2wsx3edc",
        "zhongguo-jiayou-2020",  # separators do not hide it
        "Administrator123",
    ],
)
def test_common_passwords_and_their_usual_dressings_are_refused(common):
    assert refusal(common, "someone") == "password.too_common"


@pytest.mark.parametrize(
    "good",
    [
        "correct horse battery",
        "lanterns over the yangtze",
        "wuhan-demo-2020",
        "Tr0ub4dor&3-bridge",
        "我爱 武汉 加油 必胜",  # a passphrase of four Chinese words: shorter than 12, still accepted
        "river bank tea cup",
    ],
)
def test_long_or_passphrase_passwords_that_break_no_rule_are_accepted(good):
    check_password(good, "dazhi")


def test_a_passphrase_needs_four_different_words():
    assert refusal("茶杯 茶杯 茶杯 茶杯") == "password.too_short"  # 11 characters: a passphrase or nothing
    assert refusal("a b c d e f") == "password.too_short"  # words of one character are not words


def test_the_shipped_list_holds_thousands_of_lower_case_passwords():
    words = common_passwords()
    assert len(words) > 5000
    assert {"password", "123456", "qwerty", "iloveyou", "woaini1314", "wuhan2020"} <= words
    assert all(w == w.lower() and w.strip() == w for w in words)
