"""The API's interactive documentation works offline: Swagger UI at /docs and ReDoc at /redoc render the
operations from this server's own assets, under the Content-Security-Policy, with no request to any other host."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from admitall.api.security_headers import CONTENT_SECURITY_POLICY, REDOC_CONTENT_SECURITY_POLICY

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CSP_LISTENER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def open_offline(browser: Any, url: str, path: str) -> tuple[Any, Any, list[str], list[str]]:
    """The page at `path`, every request to another host refused and recorded, CSP violations and script errors
    kept."""
    context = browser.new_context(base_url=url, viewport={"width": 1440, "height": 900})
    context.add_init_script(CSP_LISTENER)
    outside: list[str] = []
    errors: list[str] = []
    server = urlsplit(url).netloc

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc == server or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = page.goto(path)
    assert response is not None and response.status == 200
    return context, page, outside, errors


def test_swagger_ui_lists_the_operations_with_nothing_from_outside(browser, world):
    context, page, outside, errors = open_offline(browser, world.url, "/docs")
    try:
        page.wait_for_selector(".opblock", timeout=30_000)
        operations = page.locator(".opblock").count()
        paths = httpx.get(f"{world.url}/openapi.json").json()["paths"]
        assert operations == sum(len(methods) for methods in paths.values())
        assert page.locator(".opblock-summary-path", has_text="/api/auth/token").count() == 1
        page.locator(".opblock-summary", has_text="/api/auth/token").first.click()  # an operation opens
        page.wait_for_selector(".opblock.is-open")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "api-docs-swagger.png"))
        assert page.evaluate("window.__csp") == []
        assert not outside, outside
        assert not errors, errors
    finally:
        context.close()


def test_redoc_renders_the_same_operations_with_nothing_from_outside(browser, world):
    context, page, outside, errors = open_offline(browser, world.url, "/redoc")
    try:
        page.wait_for_selector("[data-section-id^='operation/']", timeout=60_000)
        assert page.locator("[data-section-id^='operation/']").count() > 20
        assert page.get_by_text("/api/auth/token").count() > 0
        page.locator("input[placeholder]").first.fill("token")  # the search runs in its worker
        page.wait_for_selector("[data-markjs]", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "api-docs-redoc.png"))
        # ReDoc's sidebar always asks for the Redocly logo from a CDN: the policy stops it before any request
        assert page.evaluate("window.__csp") == ["img-src https://cdn.redoc.ly/redoc/logo-mini.svg"]
        assert not outside, outside
        assert not [e for e in errors if "logo-mini.svg" not in e], errors
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_are_public_and_name_only_this_site(world, path):
    answer = httpx.get(f"{world.url}{path}")
    assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
    assert "<script>" not in answer.text and "http" not in answer.text.replace(world.url, "")
    policy = answer.headers["content-security-policy"]
    assert policy.startswith("default-src 'self'; script-src 'self';") and "unsafe-eval" not in policy
    # Swagger UI runs under the strict policy of every page; ReDoc writes <style> elements as it runs
    assert (policy == CONTENT_SECURITY_POLICY) is (path == "/docs")
    assert (policy == REDOC_CONTENT_SECURITY_POLICY) is (path == "/redoc")


def test_the_docs_pages_twin_is_the_schema(world):
    schema = httpx.get(f"{world.url}/openapi.json").json()
    assert httpx.get(f"{world.url}/docs.json").json() == schema == httpx.get(f"{world.url}/redoc.json").json()


def test_every_other_page_keeps_the_strict_policy(world):
    for path in ("/login", "/login.json", "/bulletin", "/redoc.json", "/docs/x", "/openapi.json"):
        assert httpx.get(f"{world.url}{path}").headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path


def test_the_docs_assets_come_from_the_installed_package_and_may_be_cached(world):
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        answer = httpx.get(f"{world.url}/docs-assets/{asset}")
        assert answer.status_code == 200 and len(answer.content) > 10_000
        assert answer.headers.get("cache-control") != "no-store"
    assert httpx.get(f"{world.url}/docs-assets/../pyproject.toml").status_code == 404
