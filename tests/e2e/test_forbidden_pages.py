"""A refusal a person can read (issue 14 §4): every page that answers 403 keeps the site's frame (the navigation,
the signed-in user and the sign-out) and says in a sentence what the account cannot do and whom to ask, never an
internal permission name like "(submit_reports)"; the JSON twin keeps the machine code and the permission.

The walk takes every page route of the application (GET and POST, path parameters filled with real values of the
small city) as each demo role, so a new page or a new refusal is covered without listing it here."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from admitall.api.app import create_app
from admitall.domain.access import Permission
from tests.e2e.conftest import World
from tests.factories import DAZHI_1, PASSWORD

ROLES = ("analyst", "facility", "community", "commander", "dispatcher", "admin")
SKIPPED = ("/login", "/logout", "/lang/")  # signing in and out, switching language: no refusal to show
BINARY = (".pdf", ".xlsx")
PERMISSION_NAMES = [p.value for p in Permission]


def page_routes(world: World) -> Iterator[tuple[str, str]]:
    """(method, path template) of every page route, as the application has them."""
    app = create_app(world.ctx)
    for included in app.routes:
        for route in getattr(getattr(included, "original_router", None), "routes", [included]):
            path = getattr(route, "path", "")
            if path.startswith(("/api", "/static", "/docs", "/redoc", "/openapi")) or path.startswith(SKIPPED):
                continue
            if path.endswith(BINARY) or path.endswith(".json"):
                continue
            for method in sorted(getattr(route, "methods", ()) or ()):
                if method in ("GET", "POST"):
                    yield method, path


def filled(path: str, world: World) -> str:
    values = {
        "code": "H1" if path.startswith("/facilities") else DAZHI_1,
        "person_id": str(world.ids["zhang"]),
        "step": "admit",
        "bed_type": "icu",
        "day": "2020-02-09",
        "kind": "persons",
        "official_id": "1",
        "run_id": "1",
        "referral_id": "1",
        "alert_id": "1",
        "problem_id": "1",
        "recipient_id": "1",
        "import_id": "1",
        "request_id": "1",
        "campaign_id": "1",
        "pair_id": "1",
        "cadre_id": "1",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def session(world: World, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=world.url, timeout=30)
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    signed = client.post("/login", data={"username": username, "password": PASSWORD, "login_csrf": token.group(1)})
    assert signed.status_code == 303, signed.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/", follow_redirects=True).text)
    assert csrf is not None
    return client, csrf.group(1)


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def assert_refusal_in_the_frame(page: str, username: str, where: str) -> None:
    assert 'action="/logout"' in page and 'href="/units"' in page, f"{where}: the page frame is missing"
    text = visible_text(page)
    named = [name for name in PERMISSION_NAMES if name in text]
    assert not named, f"{where}: the page names {named}"
    assert "forbidden." not in text, f"{where}: a machine code is shown"
    message = re.search(r'role="alert"[^>]*>([^<]+)<', page)
    assert message is not None and message.group(1).strip(), f"{where}: no sentence"


@pytest.fixture(scope="module")
def refusals(world: World) -> list[tuple[str, str, str, str]]:
    """Every (role, method, path, page) the walk was refused with 403."""
    routes = sorted(set(page_routes(world)))
    assert len(routes) > 40  # the walk reaches the application's pages, not an empty list
    found: list[tuple[str, str, str, str]] = []
    for role in ROLES:
        client, csrf = session(world, role)
        with closing(client):
            for method, template in routes:
                path = filled(template, world)
                answer = client.get(path) if method == "GET" else client.post(path, data={"csrf_token": csrf})
                assert answer.status_code != 500, f"{role} {method} {path}: {answer.text[:300]}"
                if answer.status_code == 403:
                    found.append((role, method, template, answer.text))
    return found


def test_every_refused_page_keeps_the_frame_and_names_no_permission(refusals):
    for role, method, template, page in refusals:
        assert_refusal_in_the_frame(page, role, f"{role} {method} {template}")


def test_the_walk_meets_the_refusals_a_role_without_the_permission_gets(refusals):
    seen = {(role, method, template) for role, method, template, _ in refusals}
    expected = {
        ("analyst", "GET", "/people"),
        ("analyst", "GET", "/dispatch"),
        ("community", "GET", "/dispatch"),
        ("commander", "GET", "/reports/new"),
        ("facility", "GET", "/imports"),
        ("analyst", "POST", "/directives"),
        ("dispatcher", "POST", "/people/{person_id}/reclassify"),
        ("admin", "POST", "/facilities/{code}/people/{person_id}/{step}"),
    }
    assert expected <= seen, expected - seen


def test_the_sentence_says_what_the_account_cannot_do_and_whom_to_ask(world):
    client, _ = session(world, "commander")
    with closing(client):
        zh = client.get("/reports/new")
        en = client.get("/reports/new?lang=en")
    assert zh.status_code == en.status_code == 403
    assert "您的账号（指挥长）不能提交报告。如需此权限，请联系上级指挥部或系统管理员。" in zh.text
    assert "<h1>没有权限 (403)</h1>" in zh.text
    assert "Your account (commander) cannot submit reports." in en.text
    assert "submit_reports" not in visible_text(zh.text) + visible_text(en.text)


def test_the_json_twin_keeps_the_machine_code_and_the_permission(world):
    client, _ = session(world, "analyst")
    with closing(client):
        answer = client.get("/dispatch.json")
    with world.client("analyst") as api:
        from_api = api.get("/api/allocation/plan")
    for refused in (answer, from_api):
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert (error["code"], error["permission"]) == ("forbidden.role", "allocate")
        assert error["zh"].startswith("您的账号（分析员）不能调度床位")
