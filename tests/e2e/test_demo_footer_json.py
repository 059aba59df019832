"""Every page's footer link to its JSON twin answers 200 with JSON, signed in as each role and signed out.

The pages are walked breadth first over HTTP from where each visitor starts (`/` signed in, `/login` and the public
bulletin signed out), following same-origin GET links; an address is fetched once per shape (ids, codes and days
replaced), so the walk reaches every kind of page in seconds. A page that is a form says so by having no link."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.factories import PASSWORD

FOOTER_LINK = re.compile(r"<footer>.*?</footer>", re.S)
HREF = re.compile(r'href="([^"#]+)"')
PAGES_PER_VISITOR = 150
SKIP = ("/logout", "/static/", "/docs-assets/", "/lang/")


def shape(path: str) -> str:
    path = re.sub(r"\d{4}-\d{2}-\d{2}", "{day}", path)
    path = re.sub(r"/\d{12}(?=[/.]|$)", "/{code}", path)
    return re.sub(r"/\d+(?=[/.]|$)", "/{n}", path)


def signed_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30, follow_redirects=True)
    token = client.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "login_csrf": token, "next": "/"})
    assert answer.status_code == 200 and "/login" not in str(answer.url), answer.text[:200]
    return client


def walk(client: httpx.Client, starts: list[str]) -> tuple[dict[str, str], list[str]]:
    """Pages visited (address -> its footer JSON link) and what went wrong."""
    queue, seen, footers, problems = deque(starts), set(), {}, []
    while queue and len(footers) < PAGES_PER_VISITOR:
        address = queue.popleft()
        answer = client.get(address)
        if answer.status_code != 200 or "text/html" not in answer.headers.get("content-type", ""):
            continue
        html = answer.text
        footer = FOOTER_LINK.search(html)
        links = HREF.findall(footer.group(0)) if footer else []
        footers[address] = links[0] if links else ""
        for link in links:
            twin = urljoin(str(answer.url), link.replace("&amp;", "&"))
            got = client.get(twin)
            if got.status_code != 200 or "application/json" not in got.headers.get("content-type", ""):
                problems.append(f"{address} -> {link}: {got.status_code} {got.headers.get('content-type')}")
        for href in HREF.findall(html):
            target = urlsplit(urljoin(str(answer.url), href.replace("&amp;", "&")))
            if target.netloc != urlsplit(str(answer.url)).netloc or target.path.startswith(SKIP):
                continue
            if target.path.endswith((".json", ".csv", ".xlsx", ".pdf")):
                continue
            key = shape(target.path)
            if key not in seen:
                seen.add(key)
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return footers, problems


@pytest.mark.parametrize("username", ["admin", "commander", "dazhi", "community", "dispatcher", "facility", "analyst"])
def test_every_footer_json_link_answers_for_every_role(world, username):
    client = signed_in(world.url, username)
    try:
        footers, problems = walk(client, ["/"])
    finally:
        client.close()
    assert len(footers) > 5, footers
    assert not problems, problems


def test_every_footer_json_link_answers_when_signed_out(world):
    with httpx.Client(base_url=world.url, timeout=30, follow_redirects=True) as client:
        footers, problems = walk(client, ["/login", "/login?next=/people", "/bulletin"])
    assert "/login" in footers and footers["/login"] == "/login.json"
    assert not problems, problems


def test_the_sign_in_page_twin_says_what_a_client_needs(world):
    with httpx.Client(base_url=world.url, timeout=30) as client:
        out = client.get("/login.json?next=/people").json()
        assert out["signed_in"] is False and out["user"] is None
        assert out["form"]["action"] == "/login" and out["form"]["method"] == "post"
        fields = {f["name"]: f for f in out["form"]["fields"]}
        assert set(fields) == {"username", "password", "login_csrf", "next"}
        assert fields["next"]["value"] == "/people" and fields["login_csrf"]["value"] == out["login_csrf"]
        assert [lang["code"] for lang in out["languages"]] == ["zh", "en"] and out["lang"] == "zh"
        assert out["api_token_url"] == "/api/auth/token"
        # the token it gives is the one its cookie carries: a client can sign in with it
        sent = {"username": "dazhi", "password": PASSWORD, "login_csrf": out["login_csrf"], "next": "/"}
        assert client.post("/login", data=sent, follow_redirects=False).status_code == 303
        now = client.get("/login.json").json()
        assert now["signed_in"] is True and now["user"]["username"] == "dazhi"
        assert now["user"]["role"] == "unit_officer" and "password" not in str(now["user"])
    english = httpx.get(f"{world.url}/login.json", cookies={"lang": "en"}).json()
    assert english["lang"] == "en" and english["languages"][1]["current"] is True
