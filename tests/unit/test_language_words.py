"""One language at a time, without a server: every page word, every enum label, every Chinese and English pair of
texts in the code (error messages, export headers, explanations) is in its own language; templates hold no words of
their own; an English count has its singular; a person's history reads in labelled words. The pages themselves, as
every demo user sees them, are walked by tests/e2e/test_language_purity.py."""

from __future__ import annotations

import ast
import importlib
import itertools
import pkgutil
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from admitall.domain import lifecycle
from admitall.domain.identity import Document, DocumentType, Sex
from admitall.domain.labels import LabeledEnum
from admitall.domain.people import EventKind, PersonDetails, details_data
from admitall.services.directives import SYSTEM as DIRECTIVES_SYSTEM
from admitall.web.event_details import FIELDS, describe_event
from admitall.web.i18n import MESSAGES, translator
from admitall.web.rendering import SYSTEM_ACTORS
from tests.e2e.language_walk import HAN, DataWords, foreign_words

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
COMMENT = re.compile(r"\{#.*?#\}", re.S)
CHINESE = re.compile("[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]+")
COMMAND = re.compile(r"admitall(?: [a-z][a-z-]*)+|--[a-z][a-z-]*")  # a command or an option to type is code
PROPER_NAMES = {"Bearer", "Chromium", "GeoJSON", "FeatureCollection", "Polygon", "MultiPolygon"}
# configuration files and the command line name their keys and options as they are written (keys are code)
CODE_SPEAKS = (
    "cli.py",
    "cli_*.py",
    "keys.py",
    "domain/policy.py",
    "domain/observation_policy.py",
    "domain/scoring.py",
    "domain/supply_policy.py",
)
# keys a file must hold, named as the file writes them: a GeoJSON feature's properties
FILE_KEYS = {"services/boundaries.py": {"code", "name"}}
SOURCE = Path(__file__).resolve().parents[2] / "src" / "admitall"
NO_DATA = DataWords(han={"zh": set(), "en": set()})


def _foreign(text_: str, lang: str) -> list[str]:
    plain = COMMAND.sub(" ", PLACEHOLDER.sub(" ", text_))
    return [f for f in foreign_words([plain], lang, NO_DATA) if f.split()[0] not in PROPER_NAMES]


def test_every_page_word_is_in_its_own_language():
    found = {key: _foreign(zh, "zh") + _foreign(en, "en") for key, (zh, en) in MESSAGES.items()}
    assert {k: v for k, v in found.items() if v} == {}


def test_a_singular_is_the_same_text_in_chinese_and_has_its_plural():
    for key in (k for k in MESSAGES if k.endswith("_one")):
        plural = key.removesuffix("_one")
        assert plural in MESSAGES, key
        assert MESSAGES[key][0] == MESSAGES[plural][0], f"{key}: Chinese has no plural, the texts must agree"
        assert "{n}" in MESSAGES[plural][1], f"{plural}: a singular is chosen by {{n}}"
    t = translator("en")
    assert t("found", n=1) == "1 person" and t("found", n=2) == "2 people" and t("found", n="1,234") == "1,234 people"
    assert translator("zh")("found", n=1) == translator("zh")("found", n=2).replace("2", "1")


def _labeled_enums() -> list[type[LabeledEnum]]:
    for module in pkgutil.walk_packages([str(SOURCE / "domain")], "admitall.domain."):
        importlib.import_module(module.name)
    found, todo = [], list(LabeledEnum.__subclasses__())
    while todo:
        enum = todo.pop()
        found.append(enum)
        todo.extend(enum.__subclasses__())
    return found


def test_every_enum_label_is_in_its_own_language():
    enums = _labeled_enums()
    assert len(enums) > 10
    found = {
        f"{enum.__name__}.{member.name}": _foreign(member.zh, "zh") + _foreign(member.en, "en")
        for enum in enums
        for member in enum
    }
    assert {k: v for k, v in found.items() if v} == {}
    assert [f"{e.__name__}.{m.name}" for e in enums for m in e if not (m.zh and m.en)] == []


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else " " for v in node.values)
    return None


def _pairs(tree: ast.AST) -> Iterator[tuple[int, str, str]]:
    """Each Chinese text followed by an English one (a Chinese text with no Chinese after it), as an error's
    arguments, a tuple of words or a list: (line, zh, en)."""
    for node in ast.walk(tree):
        named = _named_pair(node)
        if named is not None:
            yield named
        if isinstance(node, ast.Call):
            items: list[ast.expr] = node.args
        elif isinstance(node, ast.Tuple | ast.List):
            items = node.elts
        else:
            continue
        for a, b in itertools.pairwise(items):
            zh, en = _text(a), _text(b)
            if zh is not None and en is not None and HAN.search(zh) and not HAN.search(en):
                yield a.lineno, zh, en


def _named_pair(node: ast.AST) -> tuple[int, str, str] | None:
    """A {"zh": …, "en": …} dict or a call with zh=…, en=…: (line, zh, en)."""
    if isinstance(node, ast.Dict):
        named = {k.value: v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)}
    elif isinstance(node, ast.Call):
        named = {k.arg: k.value for k in node.keywords if k.arg}
    else:
        return None
    zh, en = _text(named["zh"]) if "zh" in named else None, _text(named["en"]) if "en" in named else None
    return (node.lineno, zh, en) if zh is not None and en is not None else None


def test_every_pair_of_texts_in_the_code_is_in_its_own_language():
    """Error messages, export headers, explanations: wherever the code writes a text in Chinese and in English."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        where = path.relative_to(SOURCE)
        if any(where.match(pattern) for pattern in CODE_SPEAKS):
            continue
        for line, zh, en in _pairs(ast.parse(path.read_text(encoding="utf-8"))):
            keys = FILE_KEYS.get(where.as_posix(), set())
            found.extend(
                f"{where}:{line} {f}" for f in _foreign(zh, "zh") + _foreign(en, "en") if f.split()[0] not in keys
            )
    assert found == []


def _every_kind_of_event() -> list[tuple[str, dict[str, Any]]]:
    """Each kind of history event with data as the domain writes it (a correction of every detail)."""
    details = PersonDetails(
        "张三",
        "420102002001",
        Document(DocumentType.PASSPORT, "E12345678"),
        "13900000001",
        Sex.FEMALE,
        date(1950, 1, 2),
        "武汉市江岸区某路1号",
    )
    bed = {"facility_code": "DH-JYT", "bed_type": "icu"}
    data: dict[str, dict[str, Any]] = {
        "identified": {**details_data(details), "status": "confirmed", "severity": "severe", "risks": ["elderly"]},
        "reclassified": {"from": "suspected", "to": "confirmed", "severity": "mild"},
        "severity_changed": {"from": "moderate", "to": "critical"},
        "risks_changed": {"from": [], "to": ["comorbidity", "pregnancy"]},
        "details_corrected": details_data(details),
    }
    return [(kind.value, data.get(kind.value, bed)) for kind in EventKind]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_history_event_reads_in_words_with_its_values_labelled(lang):
    t = translator(lang)
    for kind, data in _every_kind_of_event():
        lines = describe_event(kind, data, lang, t, {"DH-JYT": "金银潭医院"})
        assert lines, kind
        text_ = " · ".join(lines)
        assert "_" not in text_ and "facility_code" not in text_, text_
        names = DataWords(han={"zh": set(), "en": set()})
        for name in ("张三", "武汉市江岸区某路1号", "金银潭医院"):
            names.add(name, "en")
        assert list(foreign_words([text_], lang, names)) == [], text_
    assert describe_event(
        "admitted", {"facility_code": "DH-JYT", "bed_type": "icu"}, "zh", translator("zh"), {"DH-JYT": "金银潭医院"}
    ) == ["收治机构：金银潭医院（DH-JYT）", "床位类型：重症监护床"]


def test_every_key_the_domain_writes_into_an_event_has_a_label():
    details = PersonDetails("张三", "420102002001")
    assert set(details_data(details)) | set(lifecycle._NO_BED) <= set(FIELDS)
    assert {key for key, _ in FIELDS.values()} <= set(MESSAGES)


def test_templates_hold_no_words_of_their_own():
    """Every word of a page comes from the page words (or the data): a Chinese character or Chinese punctuation
    written into a template would show on the English page too."""
    templates = SOURCE / "web" / "templates"
    found = []
    for path in sorted(templates.glob("*.html")):
        for number, line in enumerate(COMMENT.sub("", path.read_text(encoding="utf-8")).splitlines(), start=1):
            found.extend(f"{path.name}:{number} {m}" for m in CHINESE.findall(line))
    assert found == []


# English texts with a count {n} that is never one where the pages use them (reviewed): their templates say why
NEVER_ONE = {
    "alerts_periods_missed": "shown only above one period",
    "desks_report_hours": "one hour is said as hourly",
    "lists_hours": "windows of several hours",
}


def test_an_english_count_has_its_singular():
    """'{n} units' needs 'KEY_one' ('{n} unit') for n = 1; '(s)' is no plural."""
    plural = re.compile(r"\{n\} (people|[a-z]+[^s\W]s)\b|\(s\)")
    lacking = [
        f"{key}: {en}"
        for key, (_, en) in MESSAGES.items()
        if not key.endswith("_one") and plural.search(en) and f"{key}_one" not in MESSAGES and key not in NEVER_ONE
    ]
    assert lacking == []


def test_who_acted_when_no_person_did_is_said_in_words():
    assert all(f"language_who_{name}" in MESSAGES for name in SYSTEM_ACTORS)
    assert "system" in SYSTEM_ACTORS and DIRECTIVES_SYSTEM == "system"
