"""Uploads against a real server: a body over the limit is refused with 413 while it streams in (with or without a
Content-Length), a zip bomb is refused, and a long import does not hold up anyone else's request."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from openpyxl import Workbook

from admitall.clock import ManualClock
from admitall.store.db import init_database
from tests.conftest import make_ctx
from tests.e2e.conftest import World, _seed
from tests.factories import DAZHI_1, PASSWORD
from tests.live_server import serving

LIMIT_MB = 8
HEADER = "name,category,unit_code,phone\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path = tmp_path_factory.mktemp("uploads") / "admitall.db"
    clock = ManualClock(datetime(2020, 2, 10, 2, 0, tzinfo=UTC))
    ctx = make_ctx(f"sqlite:///{path}", clock)
    ctx.settings = ctx.settings.model_copy(update={"max_upload_mb": LIMIT_MB})
    init_database(ctx.engine)
    ids = _seed(ctx)
    with serving(ctx) as url:
        yield World(url, ctx, clock, ids)
    ctx.engine.dispose()


def persons_csv(rows: int, start: int = 0) -> bytes:
    lines = [f"人{n},contact,{DAZHI_1},139{n:08d}\n" for n in range(start, start + rows)]
    return (HEADER + "".join(lines)).encode()


def oversized(extra_mb: int = 1) -> bytes:
    """A valid persons CSV just over the limit."""
    data = persons_csv(10)
    return data + b"#" * ((LIMIT_MB + extra_mb) * 1024 * 1024 - len(data))


def test_an_api_upload_over_the_limit_is_refused_with_413_in_the_users_language(server):
    with server.client("admin") as admin:
        refused = admin.post("/api/persons/import", files={"file": ("big.csv", oversized())})
        assert refused.status_code == 413
        error = refused.json()["error"]
        assert error["code"] == "upload.too_large" and f"{LIMIT_MB} MB" in error["zh"]
        english = admin.post(
            "/api/persons/import?lang=en", files={"file": ("big.csv", oversized())}, headers={"Accept-Language": "en"}
        )
        assert english.status_code == 413 and "larger than the 8 MB limit" in english.json()["error"]["message"]
        assert admin.get("/api/persons", params={"q": "人1"}).json()["total"] == 0  # nothing of it was stored


def test_a_streamed_body_without_content_length_is_cut_off_at_the_limit(server):
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        boundary = b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        yield boundary + persons_csv(10)
        for _ in range(4 * LIMIT_MB):  # four times the limit, if it were all read
            sent += 1
            yield b"#" * (1024 * 1024)
        yield b"\r\n--x--\r\n"

    token = server.token("admin")
    with httpx.Client(base_url=server.url, timeout=30) as client:
        try:
            refused = client.post(
                "/api/persons/import",
                content=chunks(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data; boundary=x"},
            )
        except httpx.TransportError:  # the server may close while the client is still sending: nothing was read
            refused = None
        if refused is not None:
            assert "content-length" not in refused.request.headers
            assert refused.status_code == 413 and refused.json()["error"]["code"] == "upload.too_large"
    assert sent < 4 * LIMIT_MB  # the server stopped reading well before the end


def test_a_page_upload_over_the_limit_is_a_page_saying_so(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.cookies.set("lang", "en")
        refused = client.post("/imports/persons", files={"file": ("big.csv", oversized())})
    assert refused.status_code == 413 and refused.headers["content-type"].startswith("text/html")
    assert "larger than the 8 MB limit" in refused.text


def test_an_xlsx_zip_bomb_is_refused_with_a_clear_message(server):
    book = Workbook()
    book.active.append(["name", "category", "unit_code"])
    out = io.BytesIO()
    book.save(out)
    source, bomb = zipfile.ZipFile(out), io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"</sheetData>", b"<row/>" * 3_000_000 + b"</sheetData>")
            target.writestr(item.filename, body)
    assert len(bomb.getvalue()) < 100_000
    with server.client("admin") as admin:
        refused = admin.post(
            "/api/persons/import?lang=en",
            files={"file": ("bomb.xlsx", bomb.getvalue())},
            headers={"Accept-Language": "en"},
        )
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "file.xlsx_unpacks_too_much"
    assert "unpacks to too much" in refused.json()["error"]["message"]


def test_other_requests_are_answered_while_a_big_import_runs(server):
    """Ordering, not timing: several quick requests are answered before the import's own answer arrives."""
    token = server.token("admin")
    answer: dict[str, httpx.Response] = {}

    def import_big() -> None:
        with httpx.Client(base_url=server.url, timeout=300, headers={"Authorization": f"Bearer {token}"}) as c:
            answer["import"] = c.post("/api/persons/import", files={"file": ("big.csv", persons_csv(40_000, 1000))})

    importing = threading.Thread(target=import_big)
    importing.start()
    answered_meanwhile = 0
    with httpx.Client(base_url=server.url, timeout=300, headers={"Authorization": f"Bearer {token}"}) as quick:
        while importing.is_alive() and answered_meanwhile < 20:
            assert quick.get("/api/units/root").status_code == 200
            if importing.is_alive():
                answered_meanwhile += 1
    importing.join()
    assert answered_meanwhile == 20, "the quick requests waited for the import"
    assert answer["import"].status_code == 200, answer["import"].text
    assert answer["import"].json()["accepted"] == 40_000


def test_a_file_refused_at_its_last_row_stores_nothing_of_the_rows_before(server):
    """Rows stream into the import; a problem found on the way still leaves nothing behind (one transaction)."""
    good = f"NEW-1,新方舱,shelter_hospital,{DAZHI_1},100\n"
    bad = f"NEW-2,{'长' * 40_000},shelter_hospital,{DAZHI_1},100\n"
    data = ("code,name,type,unit_code,shelter\n" + good + bad).encode()
    with server.client("admin") as admin:
        refused = admin.post(
            "/api/facilities/import?lang=en", files={"file": ("f.csv", data)}, headers={"Accept-Language": "en"}
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "file.cell_too_long" and "Row 3" in refused.json()["error"]["message"]
        assert admin.get("/api/facilities/NEW-1").status_code == 404


def test_the_import_page_states_the_limits_before_anyone_uploads(server):
    with httpx.Client(base_url=server.url, timeout=30) as web:
        login = web.get("/login")
        token = login.text.split('name="login_csrf" value="')[1].split('"')[0]
        signed = web.post("/login", data={"username": "admin", "password": PASSWORD, "login_csrf": token, "next": "/"})
        assert signed.status_code == 303
        web.cookies.set("lang", "en")
        page = web.get("/imports")
    assert page.status_code == 200
    assert page.text.count(f"Files up to {LIMIT_MB} MB and 100,000 rows") == 2
