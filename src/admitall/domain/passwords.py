"""The password policy, for every path that sets a password (the CLI's `users add`, POST /api/users, the demo).

A password is accepted when it is
- at least 12 characters long, or a passphrase of at least 4 different words of 2 or more characters each
  (separated by spaces or - _ . ,: four Chinese words of two characters are a good passphrase), and at most 256;
- not blank, and free of control and invisible formatting characters (NUL, the right-to-left override);
- not the username, and does not contain it (names of 3 characters or more, in any case, or reversed);
- not simple: at least 5 different characters, not one short piece repeated ("abcabcabcabc"), not only digits
  (phone and ID numbers, dates), not a run along the alphabet, the digits or a keyboard row ("qwertyuiop[]");
- not common: neither it, nor it without separators, nor it read back from leetspeak (p@ssw0rd), nor what is
  left when the digits and symbols at its ends are taken off (Password2020!), is in data/common-passwords.txt
  (see scripts/common_passwords.py for how that list was made).

Pure: no database, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from admitall.domain.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 256
PASSPHRASE_WORDS = 4
MIN_DISTINCT = 5
SEPARATORS = re.compile(r"[\s\-_.,，。、]+")
LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})
_ROWS = ("1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./", "!@#$%^&*()_+")
RUNS = (
    *_ROWS,
    "qwertyuiopasdfghjklzxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890123456789",
)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("admitall").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _refuse(code: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(f"password.{code}", zh, en, field="password")


def _is_passphrase(password: str) -> bool:
    words = [w for w in SEPARATORS.split(password.strip()) if w]
    return (
        len(words) >= PASSPHRASE_WORDS and len({w.lower() for w in words}) == len(words) and min(map(len, words)) >= 2
    )


def _periodic(text: str) -> bool:
    """One short piece repeated (the last repeat may be cut short): aaaa, abab, abcabca."""
    return any(text == (text[:k] * (len(text) // k + 1))[: len(text)] for k in range(1, len(text) // 2 + 1))


def _run(text: str) -> bool:
    """A stretch of the alphabet, the digits or a keyboard row, forwards or backwards."""
    return any(text in run or text in run[::-1] for run in RUNS)


def _core(text: str) -> str:
    """What is left when the digits and symbols at both ends are taken off."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", text)


def is_common(password: str) -> bool:
    lower = password.lower()
    compact = SEPARATORS.sub("", lower)
    plain = compact.translate(LEET)
    forms = {lower, compact, plain, _core(compact), _core(plain), _core(lower)}
    return bool(forms & common_passwords())


def check_password(password: str, username: str) -> None:
    """Refuse a password that does not fit the policy above, saying which rule it broke (zh and en)."""
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in password if c != " "):
        raise _refuse(
            "control_character",
            "密码不能含控制字符或不可见的格式字符",
            "A password cannot contain control or invisible formatting characters",
        )
    if not password.strip():
        raise _refuse("blank", "密码不能全是空格", "A password cannot be only spaces")
    if len(password) > MAX_LENGTH:
        raise _refuse(
            "too_long", f"密码不能超过 {MAX_LENGTH} 个字符", f"A password has at most {MAX_LENGTH} characters"
        )
    if len(password) < MIN_LENGTH and not _is_passphrase(password):
        raise _refuse(
            "too_short",
            f"密码至少 {MIN_LENGTH} 个字符，或由至少 {PASSPHRASE_WORDS} 个不同的词组成（用空格分开）",
            f"A password has at least {MIN_LENGTH} characters, or is a passphrase of at least {PASSPHRASE_WORDS} "
            "different words separated by spaces",
        )
    lower, name = password.lower(), username.strip().lower()
    compact = SEPARATORS.sub("", lower)
    if name and (lower == name or (len(name) >= 3 and (name in lower or name[::-1] in lower or name in compact))):
        raise _refuse(
            "has_username", "密码不能是用户名，也不能包含用户名", "A password cannot be or contain the username"
        )
    if len(set(compact)) < MIN_DISTINCT or _periodic(compact) or compact.isdigit() or _run(compact):
        raise _refuse(
            "too_simple",
            "密码过于简单：不能只有数字，不能是重复的字符或片段，也不能是键盘或字母表上连续的字符",
            "The password is too simple: not only digits, not one character or piece repeated, not a run along "
            "the keyboard or the alphabet",
        )
    if is_common(password):
        raise _refuse(
            "too_common",
            "这是常见密码，很容易被猜中；请换一个（几个词组成的短语容易记也难猜）",
            "This is a common password, easily guessed; choose another (a phrase of a few words is easy to "
            "remember and hard to guess)",
        )
