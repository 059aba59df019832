"""The import template, ID numbers a spreadsheet stored as numbers, and the rejected rows kept for the importer
(issue 14 §6), on SQLite and PostgreSQL."""

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, NotFound
from admitall.domain.intake import HEADERS
from admitall.services.registration import register_batch
from admitall.services.registration.rejects import KEPT, rejects_file
from admitall.services.registration.sheets import import_template, template_workbook
from admitall.services.tabular import parse_table
from tests.factories import DAZHI_1, id_number, load_small_city, officer

REQUIRED = ("name", "category", "unit_code")


def sheet_of(content: bytes, index: int = 0):
    return load_workbook(io.BytesIO(content)).worksheets[index]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_template_has_every_column_the_import_reads_and_nothing_to_import(lang):
    content = template_workbook(lang)
    table = parse_table(content, HEADERS, REQUIRED, xlsx=True)
    assert table.ignored_columns == [] and list(table.rows) == []
    headers = [c.value for c in sheet_of(content)[1]]
    assert ("身份证号" in headers) == (lang == "zh") and ("id_number" in headers) == (lang == "en")


def test_the_templates_id_and_phone_columns_are_text_so_excel_keeps_every_digit():
    sheet = sheet_of(template_workbook("zh"))
    formats = {cell.value: sheet.column_dimensions[cell.column_letter].number_format for cell in sheet[1]}
    assert formats["身份证号"] == formats["联系电话"] == formats["社区编码"] == "@"
    assert formats["姓名"] == "General"


def test_the_templates_guide_explains_each_column_with_an_example_row_that_would_be_accepted(sqlite_ctx):
    load_small_city(sqlite_ctx)
    guide = sheet_of(template_workbook("zh"), 1)
    rows = [[c.value for c in row] for row in guide.iter_rows(min_row=3)]
    example = {HEADERS[header]: value for header, _required, _what, value in rows}
    summary = register_batch(sqlite_ctx, officer(), [(2, example)], source="example")
    assert (summary.accepted, summary.warnings) == (1, [])


def test_only_those_who_may_import_get_the_template():
    with pytest.raises(Forbidden):
        import_template(officer(role=Role.ANALYST, username="analyst"), "zh")


def xlsx_rows(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_id_number_excel_stored_as_a_number_is_refused_with_how_to_fix_the_sheet(ctx):
    load_small_city(ctx)
    good = id_number(seq=3)
    content = xlsx_rows(
        ["姓名", "身份证号", "类别", "社区编码"],
        ["甲", float(id_number(seq=1)), "密接", DAZHI_1],  # what Excel keeps: 4.20102198503071e+17
        ["乙", "4.20102E+17", "密接", DAZHI_1],  # a CSV saved from it
        ["丙", good, "密接", int(DAZHI_1)],  # a unit code as a number is fine: 12 digits
    )
    table = parse_table(content, HEADERS, REQUIRED, xlsx=True)
    summary = register_batch(ctx, officer(), table.rows, source="x", filename="x.xlsx")
    assert (summary.accepted, summary.rejected) == (1, 2)
    for rejection in summary.rejections:
        [problem] = rejection.problems
        assert problem.field == "id_number"
        assert "文本" in problem.zh and "15" in problem.zh and "Text" in problem.en
        assert "校验位" not in problem.zh
    assert f"{id_number(seq=1)[:15]}000" in summary.rejections[0].problems[0].zh  # the digits Excel kept


def test_a_csv_id_with_fifteen_digits_then_zeros_is_named_as_excels_doing(ctx):
    load_small_city(ctx)
    content = f"姓名,身份证号,类别,社区编码\n甲,{id_number(seq=1)[:15]}000,密接,{DAZHI_1}\n".encode()
    summary = register_batch(ctx, officer(), parse_table(content, HEADERS, REQUIRED).rows, source="c", filename="c")
    problem = summary.rejections[0].problems[0]
    assert problem.zh.startswith("身份证号") and "文本" in problem.zh


def import_with_rejects(ctx, actor, *, keep=True):
    good = id_number(seq=2)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    content = (
        "姓名,身份证号,手机号,类别,社区编码\n"
        f"好,{id_number(seq=1)},13800000001,密接,{DAZHI_1}\n"
        f'坏,{bad},=HYPERLINK("x"),感冒,{DAZHI_1}\n'
    ).encode()
    table = parse_table(content, HEADERS, REQUIRED)
    return register_batch(ctx, actor, table.rows, source="l", filename="l.csv", keep_rejects=keep)


def test_the_rejected_rows_come_back_to_the_importer_in_their_language_ready_to_import_again(ctx):
    load_small_city(ctx)
    summary = import_with_rejects(ctx, officer())
    assert summary.rejected == 1 and summary.import_id is not None
    sheet = sheet_of(rejects_file(ctx, officer(), summary.import_id, "zh"))
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["行号", "出错的列", "原因", "姓名", "身份证号", "联系电话", "人员类别", "社区编码"]
    assert rows[1][0] == 3 and set(rows[1][1].split("；")) == {"身份证号", "联系电话", "人员类别"}
    assert rows[1][5] == '=HYPERLINK("x")' and sheet.cell(2, 6).data_type == "s"  # text, never a formula
    again = parse_table(rejects_file(ctx, officer(), summary.import_id, "en"), HEADERS, REQUIRED, xlsx=True)
    assert [fields["name"] for _, fields in again.rows] == ["坏"]
    assert again.ignored_columns == ["row", "field", "reason"]


def test_nobody_else_gets_an_imports_rejected_rows(ctx):
    load_small_city(ctx)
    summary = import_with_rejects(ctx, officer())
    other = officer(username="someone_else")
    with pytest.raises(NotFound):
        rejects_file(ctx, other, summary.import_id, "zh")
    with pytest.raises(Forbidden):
        rejects_file(ctx, officer(role=Role.ANALYST, username="officer"), summary.import_id, "zh")


def test_rejected_rows_are_kept_only_when_asked_and_only_for_a_while(ctx, clock):
    load_small_city(ctx)
    unkept = import_with_rejects(ctx, officer(), keep=False)
    with pytest.raises(NotFound):
        rejects_file(ctx, officer(), unkept.import_id, "zh")
    kept = import_with_rejects(ctx, officer())
    assert rejects_file(ctx, officer(), kept.import_id, "zh")
    clock.advance(KEPT + timedelta(minutes=1))
    with pytest.raises(NotFound):  # too old to be given out, though still stored
        rejects_file(ctx, officer(), kept.import_id, "zh")
    with ctx.uow() as uow:
        assert uow.conn.exec_driver_sql("SELECT count(*) FROM import_rejects").scalar_one() == 1
    import_with_rejects(ctx, officer())  # the next import deletes what is older than KEPT
    with ctx.uow() as uow:
        assert uow.conn.exec_driver_sql("SELECT import_id FROM import_rejects").scalars().all() != [kept.import_id]
        assert uow.conn.exec_driver_sql("SELECT count(*) FROM import_rejects").scalar_one() == 1


def test_every_warning_comes_back_too_on_its_own_sheet_even_when_no_row_was_rejected(ctx):
    load_small_city(ctx)
    lines = [f"甲{i},{id_number(seq=i)},8555-{i:03d},密接,{DAZHI_1}" for i in range(150)]  # 150 phones not recorded
    content = ("姓名,身份证号,手机号,类别,社区编码\n" + "\n".join(lines) + "\n").encode()
    table = parse_table(content, HEADERS, REQUIRED)
    summary = register_batch(ctx, officer(), table.rows, source="w", filename="w.csv", keep_rejects=True)
    assert (summary.accepted, summary.rejected, len(summary.warnings)) == (150, 0, 150)
    book = load_workbook(io.BytesIO(rejects_file(ctx, officer(), summary.import_id, "zh")))
    assert book.sheetnames == ["被拒绝的行", "提示"]
    noted = list(book["提示"].iter_rows(min_row=2, values_only=True))
    assert len(noted) == 150 and noted[0][:2] == (2, "联系电话") and "8555-000" in noted[0][2]
