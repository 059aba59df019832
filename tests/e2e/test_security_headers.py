"""Every response carries the security headers — every route of the application, signed in or not, a refusal,
a missing page, a static asset, even an unexpected error — and no page can be framed (its action buttons cannot
be clickjacked). Personal data is never kept by a browser or a proxy: everything but the static assets and the
public bulletin is `Cache-Control: no-store`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from admitall.api.app import create_app
from admitall.api.security_headers import (
    CONTENT_SECURITY_POLICY,
    PDF_CONTENT_SECURITY_POLICY,
    REDOC_CONTENT_SECURITY_POLICY,
)
from tests.factories import CITY, PASSWORD
from tests.live_server import serving

ALWAYS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
# a value for each path parameter the routes have; a route whose parameter is missing here fails the walk
PARAMETERS = {
    "code": CITY,
    "day": "2020-02-10",
    "lang": "en",
    "level": "district",
    "bed_type": "icu",
    "kind": "persons",
    "which": "daily",
    "step": "admit",
}
ID = re.compile(r"^[a-z_]+_id$")  # person_id, alert_id, run_id, …: the first record of its kind


def _crash() -> None:
    raise RuntimeError("a bug nobody has found yet")


@pytest.fixture(scope="module")
def site(world) -> Iterator[tuple[str, Any]]:
    """The application over the e2e city on a server of its own, with two routes that fail as a bug would."""
    app = create_app(world.ctx)
    app.add_api_route("/api/test/crash", _crash)
    app.add_api_route("/test/crash", _crash)
    with serving(app, log_level="critical") as url:
        yield url, app


def _routes(routes: Iterable[Any]) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)  # a router included as a whole
        yield from _routes(included.routes) if included is not None else [route]


def _path(template: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return "1" if ID.match(name) else PARAMETERS[name]

    return re.sub(r"\{([a-z_]+)(?::[a-z]+)?\}", value, template)


@contextmanager
def _signed_in(url: str, username: str) -> Iterator[httpx.Client]:
    """A client with both a page session (cookie) and an API token."""
    with httpx.Client(base_url=url, timeout=60) as client:
        yield _sign_in(client, username)


def _sign_in(client: httpx.Client, username: str) -> httpx.Client:
    token = client.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
    client.post("/login", data={"username": username, "password": PASSWORD, "login_csrf": token})
    assert client.cookies, "signed in"
    api = client.post("/api/auth/token", data={"username": username, "password": PASSWORD}).json()
    client.headers["Authorization"] = f"Bearer {api['access_token']}"
    return client


def _missing(response: httpx.Response) -> list[str]:
    """What the response lacks of the headers (empty when all are there and right)."""
    path = response.request.url.path
    wrong = [f"{k}: {response.headers.get(k)!r}" for k, v in ALWAYS.items() if response.headers.get(k) != v]
    pdf = response.headers.get("content-type", "").startswith("application/pdf")
    csp = PDF_CONTENT_SECURITY_POLICY if pdf else CONTENT_SECURITY_POLICY
    if path == "/redoc":  # ReDoc alone writes <style> elements and starts a worker (see security_headers)
        csp = REDOC_CONTENT_SECURITY_POLICY
    if response.headers.get("content-security-policy") != csp:
        wrong.append(f"csp: {response.headers.get('content-security-policy')!r}")
    public = path == "/bulletin" or path.startswith(("/static/", "/docs-assets/", "/bulletin/", "/bulletin."))
    if not public and response.headers.get("cache-control") != "no-store":
        wrong.append(f"cache-control: {response.headers.get('cache-control')!r}")
    if public and "no-store" in response.headers.get("cache-control", ""):
        wrong.append("a public page need not be refetched every time")
    return [f"{response.request.method} {path} {response.status_code} {w}" for w in wrong]


def test_every_route_answers_with_the_security_headers_signed_in_or_not(site):
    url, app = site
    routes = [r for r in _routes(app.routes) if getattr(r, "methods", None) and not r.path.startswith("/test")]
    routes = [r for r in routes if not r.path.startswith("/api/test")]
    assert len(routes) > 100  # the walk sees every route, not the routers
    problems: list[str] = []
    statuses: set[int] = set()
    with _signed_in(url, "admin") as admin, httpx.Client(base_url=url, timeout=60) as anonymous:
        for route in routes:
            path = _path(route.path)
            for method in sorted(route.methods - {"HEAD"}):
                if method == "GET":
                    for client in (admin, anonymous):
                        response = client.get(path)
                        statuses.add(response.status_code)
                        problems += _missing(response)
                else:  # a change is only ever tried unsigned: refused, and with the headers
                    response = anonymous.request(method, path)
                    assert response.status_code in (303, 401, 403, 422), f"{method} {path} {response.status_code}"
                    problems += _missing(response)
        for path in (
            "/static/app.css",
            "/static/command.js",
            "/static/none.css",
            "/no/such/page",
            "/api/none",
            "/docs-assets/swagger-ui.css",
            "/docs",
        ):
            problems += _missing(anonymous.get(path))
    assert problems == []
    assert {200, 303, 401, 404} <= statuses  # pages, redirects to sign in, refusals and missing records were seen


def test_an_unexpected_error_carries_the_headers_too(site):
    url, _app = site
    for path in ("/api/test/crash", "/test/crash"):
        # a client each: the server closes a keep-alive connection after an unexpected error
        with httpx.Client(base_url=url, timeout=30) as client:
            response = client.get(path)
        assert response.status_code == 500
        assert _missing(response) == []
        assert "a bug nobody" not in response.text


def test_static_assets_may_be_cached_and_pages_may_not(site):
    url, _app = site
    with _signed_in(url, "dazhi") as client:
        assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")
        for path in ("/", "/people", "/people.json", "/api/persons", "/login"):
            assert client.get(path).headers["cache-control"] == "no-store", path


def _framed(page: Any, target: str) -> Any:
    """Put `target` in an iframe of the page now open and wait until the frame has loaded (or been refused)."""
    page.evaluate(
        """target => new Promise(done => {
            const frame = document.createElement("iframe");
            frame.id = "framed";
            frame.addEventListener("load", () => done());
            frame.src = target;
            document.body.appendChild(frame);
        })""",
        target,
    )
    return page.frame_locator("#framed")


@pytest.mark.browser
def test_a_page_cannot_be_framed_by_another_site_nor_by_itself(page, world):
    from tests.e2e.conftest import sign_in

    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "frame" in m.text.lower() else None)
    page.set_content("<h1>a site that would clickjack</h1>")  # about:blank: another origin than the server's
    framed = _framed(page, f"{world.url}/login")
    assert framed.locator("#username").count() == 0
    assert [f.url for f in page.frames[1:]] == ["chrome-error://chromewebdata/"]
    sign_in(page, "dazhi")
    assert page.locator("h1").count() >= 1
    framed = _framed(page, f"{world.url}/people/{world.ids['zhang']}")  # same origin, signed in
    assert framed.locator("form[action$=reclassify]").count() == 0
    assert [f.url for f in page.frames[1:]] == ["chrome-error://chromewebdata/"]  # the browser's refusal instead
    assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in refused), refused


@pytest.mark.browser
def test_the_error_pages_back_link_works_without_inline_script(page, world):
    from tests.e2e.conftest import sign_in

    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, "dazhi")
    page.goto("/people")
    assert page.goto("/no/such/page").status == 404
    assert page.locator("a[href^='javascript:']").count() == 0
    page.click("#back")
    page.wait_for_url("**/people")
    assert refused == []
