"""Public help requests (求助登记): the rules that need no database — how urgent a request is, which of the four
categories an unknown resident is registered in, the follow code, the actions a community takes and the reasons
it closes one with. services.help_requests loads, decides with these and saves."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from admitall.domain.labels import LabeledEnum
from admitall.domain.people import Risk, Status

CRITICAL, NORMAL = "critical", "normal"
URGENCIES = (CRITICAL, NORMAL)
SELF, FAMILY = "self", "family"
OPEN, CLOSED = "open", "closed"

# the follow code: 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L): 31^8 ≈ 8.5e11 codes
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
NUMBER_DIGITS = 10

# what a community records, one tap each; closing takes one of CLOSE_REASONS (a fixed list: the public status shows
# it, and a fixed list holds no personal data)
ACTIONS = ("called", "visited", "registered", "fever_clinic", "closed")
CLOSE_REASONS = ("helped", "admitted", "not_needed", "unreachable", "duplicate", "moved_away", "other")
# the trail's kinds the public status page shows (and in this order of meaning); `repeated` and `linked` are for
# staff only: they would tell a stranger that someone else asked for the same person
PUBLIC_KINDS = ("received", "assigned", "called", "visited", "registered", "fever_clinic", "admitted", "closed")


class Urgency(LabeledEnum):
    """How urgent a request is (as a person's history shows it)."""

    CRITICAL = ("critical", "危急", "critical", "red")
    NORMAL = ("normal", "一般", "normal", "blue")


class ToCheck(LabeledEnum):
    """What a resident said that the community must check before anyone acts on it."""

    TESTED_POSITIVE = ("tested_positive", "自述检测阳性，待核实", "says they tested positive, to be checked", "orange")


@dataclass(frozen=True)
class SelfAssessment:
    """What the resident says of the patient's condition."""

    breathless: bool
    fever_days: int | None
    age: int | None
    chronic: bool
    told_contact: bool
    tested_positive: bool
    has_symptoms: bool


def urgency(a: SelfAssessment) -> str:
    """Critical when the patient is short of breath (the sign of a severe or critical case that a resident can
    tell); otherwise normal."""
    return CRITICAL if a.breathless else NORMAL


def deadline(received_at: datetime, level: str, hours: dict[str, timedelta]) -> datetime:
    return received_at + hours[level]


def category(a: SelfAssessment) -> tuple[Status, str | None]:
    """The category an unknown resident is registered in, and a note for the community when the resident's word
    needs checking. A resident's "tested positive" is never taken as a confirmation: suspected, to be checked.
    Told they are a close contact and no symptoms: a contact. Anything else (fever, breathlessness, other
    symptoms, or nothing said): febrile, not ruled out — the community's visit decides."""
    if a.tested_positive:
        return Status.SUSPECTED, ToCheck.TESTED_POSITIVE.value
    if a.told_contact and not (a.breathless or a.has_symptoms or a.fever_days):
        return Status.CONTACT, None
    return Status.FEVER, None


def risks(a: SelfAssessment, elderly_age: int) -> frozenset[Risk]:
    found = set()
    if a.age is not None and a.age >= elderly_age:
        found.add(Risk.ELDERLY)
    if a.chronic:
        found.add(Risk.COMORBIDITY)
    return frozenset(found)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_number() -> str:
    """The request's number: random digits (never the next in a row, so that nobody can count or walk them)."""
    return str(secrets.randbelow(9 * 10 ** (NUMBER_DIGITS - 1)) + 10 ** (NUMBER_DIGITS - 1))


def normalize_code(text: str) -> str:
    """A typed follow code: case and spaces ignored."""
    return "".join(text.split()).upper()


def code_hash(key: bytes, number: str, code: str) -> str:
    """The keyed hash the follow code is kept as (with its number, so that equal codes hash apart)."""
    return hmac.new(key, f"{number}:{normalize_code(code)}".encode(), hashlib.sha256).hexdigest()
