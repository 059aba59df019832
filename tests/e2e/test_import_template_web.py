"""The import's files over HTTP and in the browser (issue 14 §6): the template from the imports page and the API,
and the rejected rows of a web import offered as a download to the importer only."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from openpyxl import load_workbook

from admitall.domain.intake import HEADERS
from admitall.services.tabular import parse_table
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import DAZHI_1, PASSWORD, id_number

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@contextmanager
def signed_in(world, username: str, lang: str = "zh") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=world.url, timeout=30) as client:
        token = client.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
        form = {"username": username, "password": PASSWORD, "login_csrf": token, "next": "/"}
        assert client.post("/login", data=form).status_code == 303
        client.cookies.set("lang", lang)
        yield client


def csrf_of(page_text: str) -> str:
    return page_text.split('name="csrf_token" value="')[1].split('"')[0]


def bad_list() -> bytes:
    good = id_number(seq=41)
    return (
        "姓名,身份证号,手机号,类别,社区编码\n"
        f"网页甲,{good},13600000041,密接,{DAZHI_1}\n"
        f"网页乙,{good[:15]}000,027-85551234,密接,{DAZHI_1}\n"
    ).encode()


def test_the_template_downloads_in_the_users_language_from_the_page_and_the_api(world):
    with signed_in(world, "dazhi") as web:
        page = web.get("/imports")
        assert 'href="/imports/template.xlsx"' in page.text
        zh = web.get("/imports/template.xlsx")
    assert zh.status_code == 200 and zh.headers["content-type"] == XLSX
    assert "身份证号" in [c.value for c in load_workbook(io.BytesIO(zh.content)).active[1]]
    with world.client("dazhi") as api:
        en = api.get("/api/persons/import/template", headers={"Accept-Language": "en"})
    assert en.status_code == 200
    assert parse_table(en.content, HEADERS, ("name", "category", "unit_code"), xlsx=True).ignored_columns == []
    assert "id_number" in [c.value for c in load_workbook(io.BytesIO(en.content)).active[1]]


def test_those_who_may_not_import_get_no_template(world):
    with world.client("analyst") as api:
        assert api.get("/api/persons/import/template").status_code == 403
    with signed_in(world, "analyst") as web:
        assert web.get("/imports/template.xlsx").status_code == 403


def test_a_web_imports_rejected_rows_are_the_importers_to_download_and_nobody_elses(world):
    with signed_in(world, "dazhi") as web:
        token = csrf_of(web.get("/imports").text)
        result = web.post(
            "/imports/persons", data={"csrf_token": token}, files={"file": ("名单.csv", bad_list(), "text/csv")}
        )
        assert result.status_code == 200
        link = result.text.split('id="rejects-download" href="')[1].split('"')[0]
        assert "身份证号" in result.text.split('id="rejections"')[1]  # the field, named in Chinese
        assert "id_number" not in result.text.split('id="rejections"')[1]
        rejected = web.get(link)
    assert rejected.status_code == 200
    rows = list(load_workbook(io.BytesIO(rejected.content)).active.iter_rows(values_only=True))
    assert rows[1][1] == "身份证号" and "文本" in rows[1][2] and rows[1][3] == "网页乙"
    with signed_in(world, "community") as other:
        assert other.get(link).status_code == 404
    import_id = link.split("/")[2]
    with world.client("community") as api:
        assert api.get(f"/api/imports/{import_id}/rejects").status_code == 404
    with world.client("dazhi") as api:
        assert api.get(f"/api/imports/{import_id}/rejects").status_code == 200


def test_the_api_import_names_its_rejected_rows_file(world):
    with world.client("dazhi") as api:
        answer = api.post("/api/persons/import", files={"file": ("list.csv", bad_list(), "text/csv")}).json()
        assert answer["rejected"] == 1 and answer["rejects_url"].startswith("/api/imports/")
        assert answer["rejections"][0]["field"] == "id_number" and answer["rejections"][0]["field_name"] == "身份证号"
        assert api.get(answer["rejects_url"]).status_code == 200


@pytest.mark.browser
def test_in_the_browser_an_officer_fetches_the_template_and_the_rejected_rows(page, world, tmp_path):
    path = tmp_path / "名单.csv"
    path.write_bytes(bad_list())
    sign_in(page, "dazhi")
    page.goto("/imports")
    with page.expect_download() as template:
        page.click("#template-download")
    assert template.value.suggested_filename == "persons-import-template.xlsx"
    page.set_input_files("#persons-file", str(path))
    page.click("#upload-persons")
    page.wait_for_load_state("load")
    assert page.locator("[data-figure=rejected]").inner_text() == "1"
    assert "身份证号" in page.locator("#rejections").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-rejects.png"), full_page=True)
    with page.expect_download() as rejected:
        page.click("#rejects-download")
    saved = tmp_path / "rejected.xlsx"
    rejected.value.save_as(saved)
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert [r[3] for r in rows[1:]] == ["网页乙"]


def test_a_facilities_import_on_the_same_page_names_its_fields_in_the_users_language(world):
    data = f"编码,名称,类型,单位编码\nNEW-F1,新医院,不知道,{DAZHI_1}\n".encode()
    with signed_in(world, "admin") as web:
        token = csrf_of(web.get("/imports").text)
        result = web.post("/imports/facilities", data={"csrf_token": token}, files={"file": ("f.csv", data)})
    rejections = result.text.split('id="rejections"')[1].split("</table>")[0]
    assert "<td>类型</td>" in rejections and "<td>type</td>" not in rejections
