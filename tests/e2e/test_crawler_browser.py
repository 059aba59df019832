"""Every page linked from every page of the demo, as every demo user, in Chromium: no 5xx, no script error, no
Content-Security-Policy violation.

The demo city is built once for the module (one day played, up to 02:00 the next morning), served by a real
server, and each demo user signs in through the sign-in form with the demo password and walks the site breadth
first from `/`, following same-origin GET links. Addresses are visited once per *shape* — ids, unit codes,
facility codes and days replaced by a placeholder, each query key followed once — so the walk stays in minutes
and still reaches every kind of page: each list, each detail page, each JSON twin and each download. The walk
is in Chinese for every user and once more in English for the administrator. What it saw is written to
test-artifacts/crawl.json, with screenshots of a few pages at 1440 px."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from admitall.api.security_headers import CONTENT_SECURITY_POLICY
from admitall.clock import ManualClock
from admitall.services.context import cli_actor
from admitall.services.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from admitall.store.db import init_database
from tests.conftest import make_ctx
from tests.e2e.conftest import ARTIFACTS
from tests.live_server import serving

pytestmark = pytest.mark.browser

# 02:00 in Wuhan on 10 February 2020: the demo plays 9 February whole and two hours of the 10th
DEMO_NOW = datetime(2020, 2, 9, 18, 0, tzinfo=UTC)
MAX_PAGES = 250  # per user: a bound in case a new kind of address escapes the shapes below
# downloads are fetched, not opened; a PDF is printed by a browser on the server, so each shape once in all
DOWNLOADS = (".csv", ".xlsx", ".pdf")
NOT_FOLLOWED = ("/lang/", "/logout", "/static/")
SCREENSHOTS = {
    "/command": "crawl-command.png",
    "/units/{code}": "crawl-unit.png",
    "/sim/runs/{n}": "crawl-sim-run.png",
    "/bulletin": "crawl-bulletin.png",
    "/scorecards/ranking": "crawl-ranking.png",
}
SCREENSHOT_USER = "commander"
CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")  # a facility code: DH-JYT, SH-03
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Site:
    url: str
    printed: set[str] = field(default_factory=set)  # PDF shapes fetched already (by any user)


@dataclass
class Visit:
    url: str
    status: int
    kind: str  # page | json | download
    found_on: str


@dataclass
class Crawl:
    user: str
    visits: list[Visit] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    dead_links: list[str] = field(default_factory=list)  # to an address the application does not have at all
    client_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    missing_headers: list[str] = field(default_factory=list)
    shapes_left: int = 0


def shape(url: str) -> str:
    """The address's path with what identifies one record replaced: `/people/{n}`, `/units/{code}`,
    `/bulletin/{day}.json`, `/facilities/{facility}`."""
    parts = urlsplit(url)
    segments = []
    for segment in parts.path.split("/"):
        stem, dot, suffix = segment.partition(".")
        if DAY.match(stem):
            stem = "{day}"
        elif re.fullmatch(r"\d{12}", stem):
            stem = "{code}"
        elif stem.isdigit():
            stem = "{n}"
        elif CODE.match(stem):
            stem = "{facility}"
        segments.append(stem + dot + suffix)
    return "/".join(segments)


def shapes(url: str) -> set[str]:
    """What visiting the address covers: its path's shape, and that shape with each of its query's keys (so that
    `/people?status=…&page=…` is visited once `/people?status` and `/people?page` have been, not for every
    combination)."""
    path = shape(url)
    return {path, *(f"{path}?{k}" for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True))}


@pytest.fixture(scope="module")
def demo_site(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo city (one day played) on a real server; asks for the browser first, so that where there is no
    browser the demo is not built for nothing."""
    path: Path = tmp_path_factory.mktemp("crawl") / "demo.db"
    ctx = make_ctx(f"sqlite:///{path}", ManualClock(DEMO_NOW))
    init_database(ctx.engine)
    assert load_demo(ctx, cli_actor(), seed=7, days=1)["loaded"]
    with serving(ctx) as url:
        yield Site(url)
    ctx.engine.dispose()


CSP_LISTENER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.sourceFile + ":" + e.lineNumber;
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + where);
});
"""


def _links(page: Any, origin: str) -> Iterator[tuple[str, bool]]:
    """The page's links to this site that a crawl follows, and whether each is marked as a download."""
    for href, download in page.eval_on_selector_all(
        "a[href]", "els => els.map(a => [a.href, a.hasAttribute('download')])"
    ):
        target = urljoin(page.url, href).split("#", 1)[0]
        parts = urlsplit(target)
        if parts.scheme in ("http", "https") and parts.netloc == origin and not parts.path.startswith(NOT_FOLLOWED):
            yield target, download


def _fetch(context: Any, url: str, kind: str, found_on: str) -> tuple[Visit, dict[str, str], bool]:
    """A JSON twin or a download, fetched on the page's session: the visit, its headers, and whether no route
    answers the address at all."""
    response = context.request.get(url, max_redirects=0)
    if kind == "json" and response.status < 500:
        assert "application/json" in response.headers.get("content-type", ""), url
    dead = response.status == 404 and _no_such_address(response)
    return Visit(url, response.status, kind, found_on), response.headers, dead


def _screenshot(page: Any, page_shape: str) -> None:
    if page_shape in SCREENSHOTS:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / SCREENSHOTS[page_shape]), full_page=True)


def _check_headers(crawl: Crawl, url: str, headers: dict[str, str], kind: str) -> None:
    wanted = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "cache-control": "no-store"}
    if kind == "page":
        wanted["content-security-policy"] = CONTENT_SECURITY_POLICY
    for name, value in wanted.items():
        if name == "cache-control" and shape(url).startswith("/bulletin"):
            continue
        if headers.get(name) != value:
            crawl.missing_headers.append(f"{url}: {name}={headers.get(name)!r}")


def crawl_as(browser: Any, site: Site, username: str, lang: str = "zh") -> Crawl:
    crawl = Crawl(username if lang == "zh" else f"{username} ({lang})")
    context = browser.new_context(base_url=site.url, viewport={"width": 1440, "height": 900})
    context.add_cookies([{"name": "lang", "value": lang, "url": site.url}])
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    current: list[str] = [""]
    page.on("pageerror", lambda e: crawl.script_errors.append(f"{current[0]}: {e}"))

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        text = f"{current[0]}: {message.text}"
        if "Content Security Policy" in message.text:
            crawl.csp_violations.append(text)
        elif "Failed to load resource" not in message.text:  # the document's own 4xx: counted from its status
            crawl.console_errors.append(text)

    page.on("console", on_console)

    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url, f"{username} could not sign in with the demo password"

    origin = urlsplit(site.url).netloc
    seen: set[str] = set()
    queue: deque[tuple[str, bool, str]] = deque([(site.url + "/", False, "")])
    seen.update(shapes("/"))
    while queue:
        if len(crawl.visits) >= MAX_PAGES:
            crawl.shapes_left = len(queue)
            break
        url, download, found_on = queue.popleft()
        current[0] = url
        path = urlsplit(url).path
        if download or path.endswith(DOWNLOADS):
            if path.endswith(".pdf"):
                if shape(url) in site.printed:
                    continue
                site.printed.add(shape(url))
            visit, headers, dead = _fetch(context, url, "download", found_on)
        elif path.endswith(".json"):
            visit, headers, dead = _fetch(context, url, "json", found_on)
        else:
            try:
                response = page.goto(url, wait_until="load")
            except PlaywrightError as e:  # a link to a download without the download attribute
                if "Download is starting" not in str(e):
                    raise
                queue.appendleft((url, True, found_on))
                continue
            assert response is not None, url
            # a redirect (the bulletin's day picker, a page that moved) ends on the page it went to
            visit, headers = Visit(page.url, response.status, "page", found_on), response.headers
            crawl.csp_violations.extend(f"{url}: {v}" for v in page.evaluate("window.__csp || []"))
            dead = visit.status == 404 and page.locator("[role=alert][data-code='http.404']").count() > 0
            if username == SCREENSHOT_USER and lang == "zh" and visit.status == 200 and not urlsplit(url).query:
                _screenshot(page, shape(url))
            for target, is_download in _links(page, origin):
                covers = shapes(target)
                if not covers <= seen:
                    seen.update(covers)
                    queue.append((target, is_download, url))
        crawl.visits.append(visit)
        _check_headers(crawl, visit.url, headers, visit.kind)
        where = f"{visit.status} {url} (linked from {found_on})"
        if dead:
            crawl.dead_links.append(where)
        if visit.status >= 500 and not (visit.status == 503 and "retry-after" in headers):
            crawl.server_errors.append(where)  # a 503 saying when to retry is the printer busy, not a fault
        elif visit.status >= 400:
            crawl.client_errors.append(where)
    context.close()
    return crawl


def _no_such_address(response: Any) -> bool:
    """A 404 because no route answers the address (not because a record is missing or out of reach)."""
    try:
        return bool(response.json()["error"]["code"] == "http.404")
    except (ValueError, KeyError, TypeError):
        return False


def _record(crawl: Crawl) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "crawl.json"
    kept = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    kept[crawl.user] = {
        "visited": len(crawl.visits),
        "pages": sum(v.kind == "page" for v in crawl.visits),
        "json": sum(v.kind == "json" for v in crawl.visits),
        "downloads": sum(v.kind == "download" for v in crawl.visits),
        "shapes_left": crawl.shapes_left,
        "server_errors": crawl.server_errors,
        "dead_links": crawl.dead_links,
        "client_errors": crawl.client_errors,
        "script_errors": crawl.script_errors,
        "csp_violations": crawl.csp_violations,
        "console_errors": crawl.console_errors,
        "missing_headers": crawl.missing_headers,
        "urls": [f"{v.status} {v.url.split('//', 1)[1].split('/', 1)[1]}" for v in crawl.visits],
    }
    out.write_text(json.dumps(kept, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.mark.parametrize(
    ("username", "lang"),
    [*((u.username, "zh") for u in DEMO_USERS), ("admin", "en")],  # and the English pages, as the widest role
)
def test_every_page_linked_from_every_page_opens_for_every_demo_user(browser, demo_site, username, lang):
    crawl = crawl_as(browser, demo_site, username, lang)
    _record(crawl)
    assert len(crawl.visits) > 10, f"{username} reached only {[v.url for v in crawl.visits]}"
    assert crawl.shapes_left == 0, f"{username}: more than {MAX_PAGES} kinds of page; the shapes need a look"
    assert crawl.server_errors == [], crawl.server_errors
    assert crawl.dead_links == [], crawl.dead_links
    assert crawl.script_errors == [], crawl.script_errors
    assert crawl.csp_violations == [], crawl.csp_violations
    assert crawl.console_errors == [], crawl.console_errors
    assert crawl.missing_headers == [], crawl.missing_headers
