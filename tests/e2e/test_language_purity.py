"""One language at a time: every page of the demo, as every demo user, shows no English in Chinese and no Chinese
in English, except what is data (names of units, people, facilities, officials; what people typed) and the few
codes and units of `language_walk.ALLOWED_LATIN`.

The demo city (one day played) is built once for the module and served by a real server; each demo user signs in
through the sign-in form and walks the site over HTTP breadth first from `/`, following same-origin links once per
*shape* of address (the crawler's shapes, tests/e2e/test_crawler_browser.py), and reads every HTML page it reaches —
with a few addresses no link leads to: pages the role may not open (403) and records that do not exist (404).
Before the walks, the community sends a report with a problem that needs help (the demo has none), and the walks
also open people with a bed (their history has every kind of bed event). What each walk found is written to
test-artifacts/language.json.

The words themselves are checked too, without a server: every page word, every enum label, and every Chinese and
English pair of texts in the code (error messages, export headers) is in its own language."""

from __future__ import annotations

import ast
import importlib
import itertools
import json
import pkgutil
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from sqlalchemy import text

from admitall.clock import ManualClock
from admitall.domain import lifecycle
from admitall.domain.access import Role
from admitall.domain.identity import Document, DocumentType, Sex
from admitall.domain.labels import LabeledEnum
from admitall.domain.people import EventKind, PersonDetails, details_data
from admitall.services import reporting, reporting_batch
from admitall.services.context import Actor, Context, cli_actor
from admitall.services.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from admitall.services.directives import SYSTEM as DIRECTIVES_SYSTEM
from admitall.services.reporting_rules import ReportInput
from admitall.store.db import init_database
from admitall.web.event_details import FIELDS, describe_event
from admitall.web.i18n import MESSAGES, translator
from admitall.web.rendering import SYSTEM_ACTORS
from tests.conftest import make_ctx
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.language_walk import HAN, DataWords, foreign_words, visible_text
from tests.e2e.test_crawler_browser import DEMO_NOW, NOT_FOLLOWED, shapes
from tests.live_server import serving

MAX_PAGES = 250  # per walk, as the crawler's
SKIPPED_SUFFIXES = (".json", ".csv", ".xlsx", ".pdf")
# addresses no link leads to: a record that does not exist, an address that does not exist, and the pages of the
# roles that may change things (each a 403 for some demo user)
UNLINKED = (
    "/people/999999999",
    "/units/429999999999",
    "/no-such-page",
    "/people/new",
    "/imports",
    "/dispatch",
    "/officials",
    "/directives",
    "/me",
    "/referrals",
)


@dataclass
class Site:
    url: str
    data: DataWords
    extra: list[str]  # addresses of records no link may lead to


@dataclass
class Walk:
    user: str
    lang: str
    pages: int = 0
    findings: dict[str, list[str]] = field(default_factory=dict)  # word → pages
    failed: list[str] = field(default_factory=list)  # pages that did not answer


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    path: Path = tmp_path_factory.mktemp("language") / "demo.db"
    ctx = make_ctx(f"sqlite:///{path}", ManualClock(DEMO_NOW))
    init_database(ctx.engine)
    assert load_demo(ctx, cli_actor(), seed=7, days=1)["loaded"]
    extra = _problem_and_people(ctx)
    with serving(ctx) as url:
        yield Site(url, DataWords.read(ctx.engine), extra)
    ctx.engine.dispose()


def _problem_and_people(ctx: Context) -> list[str]:
    """The community reports a problem that needs help from above; the people with a bed at the facility user's
    facility and in the community user's jurisdiction, to be opened by every walk."""
    with ctx.engine.connect() as c:
        users = {r.username: r for r in c.execute(text("SELECT username, unit_code, facility_code FROM users"))}
        community = users["community"]
        people = [
            c.execute(text("SELECT min(id) FROM persons WHERE facility_code IS NOT NULL AND " + where), params).scalar()
            for where, params in (
                ("facility_code = :f", {"f": users["facility"].facility_code}),
                ("unit_code LIKE :u", {"u": community.unit_code[:9] + "%"}),
            )
        ]
    actor = Actor("community", Role.UNIT_OFFICER, community.unit_code)
    figures = reporting.draft(ctx, actor, community.unit_code)["figures"]
    problem = {"type": "transport", "severity": "high", "description": "转运车辆不足", "needs_help": True}
    report = ReportInput(
        unit_code=community.unit_code,
        period_start=None,
        reported={k: v["registry"] if isinstance(v, dict) and "registry" in v else v for k, v in figures.items()},
        attested_by="陈静",
        attest=True,
        problems=[problem],
    )
    reporting_batch.submit(ctx, actor, report)
    return [f"/people/{pid}" for pid in people if pid is not None]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href and "download" not in dict(attrs):
            self.hrefs.append(href)


def _links(html: str, base: str, origin: str) -> Iterator[str]:
    parser = _Links()
    parser.feed(html)
    for href in parser.hrefs:
        target = urljoin(base, href).split("#", 1)[0]
        parts = urlsplit(target)
        if (
            parts.netloc == origin
            and not parts.path.startswith(NOT_FOLLOWED)
            and not parts.path.endswith(SKIPPED_SUFFIXES)
        ):
            yield target


def sign_in(client: httpx.Client, username: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form)
    assert token, "the sign-in form has no login_csrf"
    response = client.post(
        "/login",
        data={"login_csrf": token.group(1), "next": "/", "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 303 and "/login" not in response.headers["location"], username


def walk(site: Site, username: str, lang: str) -> Walk:
    result = Walk(username, lang)
    with httpx.Client(base_url=site.url, timeout=60, cookies={"lang": lang}) as client:
        sign_in(client, username)
        origin = urlsplit(site.url).netloc
        seen: set[str] = set(shapes("/"))
        queue: deque[str] = deque([site.url + "/", *(site.url + path for path in (*UNLINKED, *site.extra))])
        while queue and result.pages < MAX_PAGES:
            url = queue.popleft()
            try:
                response = client.get(url, follow_redirects=True)
            except httpx.HTTPError as e:  # a page that fails is the crawler's finding; the walk goes on
                result.failed.append(f"{urlsplit(url).path}: {e!r}")
                continue
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            result.pages += 1
            where = f"{response.status_code} {urlsplit(str(response.url)).path}"
            for finding in foreign_words(visible_text(response.text), lang, site.data):
                result.findings.setdefault(finding, []).append(where)
            for target in _links(response.text, str(response.url), origin):
                covers = shapes(target)
                if not covers <= seen:
                    seen.update(covers)
                    queue.append(target)
    return result


def _record(result: Walk) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "language.json"
    kept = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    kept[f"{result.user} ({result.lang})"] = {
        "pages": result.pages,
        "failed": result.failed,
        "findings": {word: sorted(set(pages))[:5] for word, pages in sorted(result.findings.items())},
    }
    out.write_text(json.dumps(kept, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", [u.username for u in DEMO_USERS])
def test_every_page_is_in_one_language_for_every_demo_user(site, username, lang):
    result = walk(site, username, lang)
    _record(result)
    assert result.pages > 10, f"{username} reached only {result.pages} pages"
    assert result.findings == {}, "\n".join(f"{w}: {p[:3]}" for w, p in sorted(result.findings.items()))


# --- the words themselves, without a server ---------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
COMMENT = re.compile(r"\{#.*?#\}", re.S)
CHINESE = re.compile("[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]+")
COMMAND = re.compile(r"admitall(?: [a-z][a-z-]*)+|--[a-z][a-z-]*")  # a command or an option to type is code
PROPER_NAMES = {"Bearer", "Chromium", "GeoJSON", "FeatureCollection", "Polygon", "MultiPolygon"}
# configuration files and the command line name their keys and options as they are written (keys are code)
CODE_SPEAKS = ("cli.py", "cli_*.py", "keys.py", "domain/policy.py", "domain/scoring.py")
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
