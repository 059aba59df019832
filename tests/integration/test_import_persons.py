"""Importing messy line lists: every row accounted for, nothing half-written, nothing twice."""

import csv
import io
import random
from datetime import date

import pytest
from openpyxl import Workbook

from admitall.domain.errors import InvalidInput
from admitall.domain.intake import HEADERS
from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from admitall.services.tabular import read_table
from tests.factories import DAZHI_1, DAZHI_2, WUCHANG_1, id_number, load_small_city, officer, person_row

COLUMNS = [
    "name",
    "id_number",
    "phone",
    "sex",
    "birth_date",
    "category",
    "severity",
    "risk",
    "unit_code",
    "address",
    "identified_at",
    "source_ref",
]
CHINESE = [
    "姓名",
    "身份证号",
    "手机号",
    "性别",
    "出生日期",
    "类别",
    "病情",
    "风险",
    "社区编码",
    "住址",
    "发现时间",
    "来源编号",
]


def write_csv(path, rows, *, headers=COLUMNS, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(c, "") or "" for c in COLUMNS])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def import_file(ctx, path, actor=None, source=None):
    table = read_table(path, HEADERS, ("name", "category", "unit_code"))
    return register_batch(
        ctx, actor or cli_actor(), table.rows, source=source or path.name, filename=path.name, sha256=table.sha256
    )


def counts(ctx):
    with ctx.uow() as uow:
        events = uow.conn.exec_driver_sql("SELECT count(*) FROM person_events").scalar_one()
        return uow.persons.count(), events


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    return ctx


def test_a_clean_file_is_accepted_row_by_row(city, tmp_path):
    rows = [person_row(name=f"人{i}", id_number=id_number(seq=i), phone=f"1381234{i:04d}") for i in range(5)]
    summary = import_file(city, write_csv(tmp_path / "a.csv", rows))
    assert (summary.rows, summary.accepted, summary.merged, summary.rejected) == (5, 5, 0, 0)
    assert counts(city) == (5, 5)


def test_bad_checksums_unknown_units_and_impossible_dates_are_rejected_with_row_field_and_reason(city, tmp_path):
    good = id_number(seq=1)
    rows = [
        person_row(id_number=good),
        person_row(name="李四", id_number=good[:17] + ("0" if good[17] != "0" else "1"), phone="13900000001"),
        person_row(name="王五", id_number=id_number(seq=3), phone="13900000003", unit_code="420102002099"),
        person_row(name="赵六", id_number=id_number(seq=5), phone="13900000005", identified_at="2020-02-30 10:00"),
        person_row(name="钱七", id_number="", phone="13900000007", birth_date="1985-02-29"),
    ]
    summary = import_file(city, write_csv(tmp_path / "b.csv", rows))
    assert (summary.accepted, summary.rejected) == (1, 4)
    got = [(r.row, r.fields()) for r in summary.rejections]
    assert got == [(3, "id_number"), (4, "unit_code"), (5, "identified_at"), (6, "birth_date")]
    assert "check character" in summary.rejections[0].reason("en")
    assert "Unknown unit" in summary.rejections[1].reason("en")


def test_gb18030_and_utf8_with_bom_and_chinese_headers_are_read(city, tmp_path):
    rows = [person_row(name="欧阳娜娜", category="确诊", severity="重型")]
    for encoding in ("gb18030", "utf-8-sig", "utf-16"):
        path = write_csv(tmp_path / f"{encoding}.csv", rows, headers=CHINESE, encoding=encoding)
        table = read_table(path, HEADERS, ("name", "category", "unit_code"))
        assert next(table.rows)[1]["name"] == "欧阳娜娜"
    summary = import_file(city, tmp_path / "gb18030.csv")
    assert summary.accepted == 1
    with city.uow() as uow:
        person = uow.persons.search(None, name="欧阳")[0][0]
    assert person.status.value == "confirmed" and person.severity.value == "severe"


def test_a_file_in_no_known_encoding_is_refused_as_a_whole(city, tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(b"name,category,unit_code\n\x81\x30\x81\xff,x,y\n")
    with pytest.raises(InvalidInput) as e:
        import_file(city, path)
    assert e.value.code == "file.encoding"
    assert counts(city) == (0, 0)


def test_missing_required_columns_are_named(city, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("name,phone\n张三,13812345678\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="category, unit_code"):
        import_file(city, path)


def test_blank_rows_are_skipped_and_counted_apart(city, tmp_path):
    path = tmp_path / "blank.csv"
    write_csv(path, [person_row(), {}, person_row(name="李四", id_number=id_number(seq=9), phone="13900000009"), {}])
    summary = import_file(city, path)
    assert (summary.rows, summary.accepted, summary.blank_rows) == (2, 2, 2)


def test_duplicate_rows_in_one_file_are_one_person(city, tmp_path):
    row = person_row()
    no_document = person_row(name="李四", id_number="", phone="13900000009")
    summary = import_file(city, write_csv(tmp_path / "dup.csv", [row, row, no_document, no_document]))
    assert (summary.accepted, summary.merged, summary.rejected) == (2, 2, 0)
    assert counts(city) == (2, 2)
    assert summary.person_ids[2] == summary.person_ids[3]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(city, tmp_path):
    rows = [
        person_row(
            name=f"人{i}", id_number=id_number(seq=i) if i % 2 else "", phone=f"1381234{i:04d}", source_ref=f"L-{i}"
        )
        for i in range(20)
    ]
    path = write_csv(tmp_path / "twice.csv", rows)
    first = import_file(city, path)
    before = counts(city)
    second = import_file(city, path)
    assert (first.accepted, second.accepted, second.merged, second.changed_existing) == (20, 0, 20, 0)
    assert counts(city) == before


def test_a_later_list_raises_the_category_and_records_its_source(city, tmp_path):
    import_file(city, write_csv(tmp_path / "door.csv", [person_row(category="contact")]), source="door-to-door")
    summary = import_file(
        city, write_csv(tmp_path / "lab.csv", [person_row(category="确诊", severity="critical")]), source="hospital lab"
    )
    assert summary.merged == 1
    with city.uow() as uow:
        pid = summary.person_ids[2]
        history = uow.persons.history(pid)
        person = uow.persons.get(pid)
    assert person.status.value == "confirmed" and person.severity.value == "critical"
    assert [(h.event.kind.value, h.event.stamp.source) for h in history] == [
        ("identified", "door-to-door"),
        ("reclassified", "hospital lab"),
    ]
    back = import_file(city, write_csv(tmp_path / "old.csv", [person_row(category="contact")]))
    assert back.merged == 1 and [w.field for _, w in back.warnings] == ["category"]


def test_an_interrupted_import_leaves_nothing_behind(city, tmp_path):
    rows = [person_row(name=f"人{i}", id_number=id_number(seq=i), phone=f"1381234{i:04d}") for i in range(50)]
    table = read_table(write_csv(tmp_path / "crash.csv", rows), HEADERS, ("name", "category", "unit_code"))

    def crash(stage, done, total):
        if stage == "saving":
            raise KeyboardInterrupt  # after the people were inserted, before the commit

    with city.uow() as uow:
        audited = uow.audit.count()
    with pytest.raises(KeyboardInterrupt):
        register_batch(city, cli_actor(), table.rows, source="crash", filename="crash.csv", sha256="x", progress=crash)
    assert counts(city) == (0, 0)
    with city.uow() as uow:
        assert uow.audit.count() == audited  # the interrupted import left no entry


def test_rows_outside_the_importers_jurisdiction_are_rejected(city, tmp_path):
    rows = [person_row(), person_row(name="李四", id_number=id_number(seq=7), phone="13900000007", unit_code=WUCHANG_1)]
    summary = import_file(city, write_csv(tmp_path / "scope.csv", rows), actor=officer())
    assert (summary.accepted, summary.rejected) == (1, 1)
    assert "jurisdiction" in summary.rejections[0].reason("en")


def test_xlsx_with_excel_dates_and_numeric_cells(city, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(CHINESE)
    sheet.append(["张三", id_number(), 13812345678, "男", None, "疑似", None, None, DAZHI_1, "", 43871.25, "X-1"])
    sheet.append(
        [
            "李四",
            None,
            "13900000002",
            "女",
            date(1990, 5, 6),
            "密接",
            None,
            None,
            int(DAZHI_2),
            "",
            "2020/2/9 18:00",
            "X-2",
        ]
    )
    path = tmp_path / "list.xlsx"
    book.save(path)
    summary = import_file(city, path)
    assert (summary.accepted, summary.rejected) == (2, 0), summary.as_dict("en")["rejections"]
    with city.uow() as uow:
        people = {p.name: p for p in uow.persons.search(None)[0]}
    assert people["张三"].details.phone == "13812345678"
    assert people["张三"].identified_at.isoformat() == "2020-02-09T22:00:00+00:00"
    assert people["李四"].details.birth_date == date(1990, 5, 6)


def test_a_thousand_rows_with_one_in_ten_bad(city, tmp_path):
    """A bad phone loses the phone, not the person (issue 14): those rows are accepted, with a warning."""
    rng = random.Random(7)
    rows, bad_rows, warned_rows = [], set(), set()
    for i in range(1000):
        row = person_row(
            name=f"人{i}",
            id_number=id_number(date(1950 + i % 60, 1 + i % 12, 1 + i % 28), seq=i % 1000),
            phone=f"139{i:08d}",
            source_ref=f"R{i}",
            category=rng.choice(["确诊", "疑似", "发热", "密接"]),
        )
        if i % 10 == 3:
            field = rng.choice(["phone", "unit_code", "identified_at", "category"])
            (warned_rows if field == "phone" else bad_rows).add(i + 2)
            row[field] = "不对"
        rows.append(row)
    summary = import_file(city, write_csv(tmp_path / "thousand.csv", rows))
    assert summary.rows == 1000
    assert summary.accepted + summary.merged + summary.rejected == 1000
    assert {r.row for r in summary.rejections} == bad_rows
    assert {row for row, w in summary.warnings if w.field == "phone"} == warned_rows
    assert summary.accepted == 1000 - len(bad_rows)
    assert counts(city) == (summary.accepted, summary.accepted)


def test_rows_that_merge_into_people_written_in_an_earlier_chunk(city, tmp_path, monkeypatch):
    from admitall.services.registration import batch

    monkeypatch.setattr(batch, "SAVE_CHUNK", 2)
    rows = [
        person_row(name=f"人{i}", id_number=id_number(seq=i), phone=f"1381234{i:04d}", category="contact")
        for i in range(7)
    ]
    rows.append(
        person_row(
            name="人0",
            id_number=id_number(seq=0),
            phone="13812340000",
            category="确诊",
            severity="severe",
            source_ref="late-list-1",
        )
    )
    rows.append(person_row(name="人1", id_number="", phone="13812340001", category="suspected"))
    summary = import_file(city, write_csv(tmp_path / "chunks.csv", rows))
    assert (summary.accepted, summary.merged) == (7, 2)
    with city.uow() as uow:
        first = uow.persons.get(summary.person_ids[2])
        history = uow.persons.history(first.id)
        assert uow.persons.ids_by_source([("chunks.csv", "late-list-1")]) == {("chunks.csv", "late-list-1"): first.id}
    assert (first.status.value, first.severity.value, first.version) == ("confirmed", "severe", 2)
    assert [h.event.kind.value for h in history] == ["identified", "reclassified"]
    assert summary.person_ids[10] == summary.person_ids[3]
    assert counts(city) == (7, 9)
