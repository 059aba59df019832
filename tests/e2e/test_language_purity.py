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

The words themselves are checked without a server in tests/unit/test_language_words.py."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from sqlalchemy import text

from admitall.clock import ManualClock
from admitall.domain.access import Role
from admitall.services import reporting, reporting_batch
from admitall.services.context import Actor, Context, cli_actor
from admitall.services.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from admitall.services.reporting_rules import ReportInput
from admitall.store.db import init_database
from tests.conftest import make_ctx
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.language_walk import DataWords, foreign_words, visible_text
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
