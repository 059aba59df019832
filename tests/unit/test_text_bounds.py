"""Texts users write are refused, with the field named in zh and en, when they hold control or bidi characters or
are longer than the column they are stored in — the lengths read from the tables themselves — on every write path:
the API's field types, the services behind pages and the CLI, and import rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import String

from admitall.api.params import stored
from admitall.domain.access import Role
from admitall.domain.errors import InvalidInput
from admitall.domain.intake import parse_person_input
from admitall.domain.text import check_day, check_text, forbidden_character
from admitall.services import directive_lists, directives, officials, reporting
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.reporting import ReportInput
from admitall.store.tables import metadata
from admitall.store.text_limits import LONG_TEXT, max_length
from tests.factories import CITY, DAZHI, DAZHI_1, load_small_city, person_row

BIDI_AND_CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c"]
NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
WUHAN = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("bad", BIDI_AND_CONTROLS)
def test_a_control_or_bidi_character_is_refused_naming_the_field(bad):
    with pytest.raises(InvalidInput) as refused:
        check_text("name", f"张{bad}三")
    assert refused.value.field == "name" and "name" in refused.value.zh and "name" in refused.value.en
    assert f"U+{ord(bad):04X}" in refused.value.en


def test_line_breaks_are_refused_in_a_single_line_and_kept_in_a_note():
    assert forbidden_character("第一行\n第二行") == "\n"
    assert check_text("note", "第一行\r\n第二行\t完", multiline=True) == "第一行\r\n第二行\t完"
    assert check_text("name", "José Ñúñez 王") == "José Ñúñez 王"


def test_a_text_longer_than_its_column_is_refused_with_both_lengths():
    with pytest.raises(InvalidInput) as refused:
        check_text("attested_by", "王" * 10_000, max_length=100)
    assert refused.value.code == "text.too_long" and "100" in refused.value.en and "10000" in refused.value.en


def test_every_text_columns_limit_is_read_from_the_table_itself():
    assert max_length("reports", "attested_by") == metadata.tables["reports"].c.attested_by.type.length == 100
    assert max_length("directives", "title") == 200
    for table in metadata.tables.values():
        for column in table.c:
            if isinstance(column.type, String):
                assert max_length(table.name, column.name) == (column.type.length or LONG_TEXT)


def test_the_api_field_type_of_a_stored_text_takes_the_columns_length_and_refuses_controls():
    class Attest(BaseModel):
        attested_by: stored("reports", "attested_by")  # type: ignore[valid-type]
        note: stored("reports", "correction_reason", multiline=True)  # type: ignore[valid-type]

    assert Attest(attested_by="王" * 100, note="一\n二").attested_by == "王" * 100
    for bad in ({"attested_by": "王" * 101, "note": ""}, {"attested_by": "王\u202e", "note": ""}):
        with pytest.raises(ValidationError) as refused:
            Attest(**bad)
        assert refused.value.errors()[0]["loc"] == ("attested_by",)
    with pytest.raises(ValidationError):
        Attest(attested_by="王", note="\x00")


@pytest.mark.parametrize(("field", "bad"), [("name", "\u202e三张"), ("name", "张\x00三"), ("address", "江岸\u2066区")])
def test_a_registration_with_a_control_or_bidi_character_is_rejected_naming_the_field(field, bad):
    result = parse_person_input(person_row(**{field: bad}), now=NOW, tz=WUHAN)
    assert isinstance(result, list)
    assert field in [p.field for p in result]


def test_days_beyond_the_sane_years_are_refused():
    assert check_day("day", date(2020, 2, 11)) == date(2020, 2, 11)
    for day in (date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(InvalidInput) as refused:
            check_day("day", day)
        assert refused.value.field == "day"


# --- the services behind the pages, the CLI and the imports: on SQLite and PostgreSQL -----------------------------


def test_an_attestation_longer_than_its_column_is_refused_and_nothing_is_stored(ctx):
    load_small_city(ctx)
    officer = Actor("officer", Role.UNIT_OFFICER, CITY)
    start = NOW
    report = ReportInput(DAZHI_1, start, {}, "王" * 10_000, True)
    with pytest.raises(InvalidInput) as refused:
        reporting.submit(ctx, officer, report)
    assert refused.value.field == "attested_by"
    with pytest.raises(InvalidInput):
        reporting.submit(ctx, officer, ReportInput(DAZHI_1, start, {}, "值班员\u202e", True))
    assert reporting.history(ctx, officer, DAZHI_1, start.isoformat())["versions"] == []


def test_a_directive_title_longer_than_its_column_is_refused_not_cut(ctx):
    load_small_city(ctx)
    hq = Actor("hq", Role.COMMANDER, CITY)
    due = (NOW + timedelta(hours=4)).isoformat()
    with pytest.raises(InvalidInput) as refused:
        directives.issue(ctx, hq, title="收" * 10_000, due_at=due, units=[DAZHI])
    assert refused.value.field == "title" and "200" in refused.value.en
    with pytest.raises(InvalidInput):
        directives.issue(ctx, hq, title="全部收治\x1b[2J", due_at=due, units=[DAZHI])
    assert directive_lists.board(ctx, hq)["issued_total"] == 0


def test_an_official_whose_name_holds_a_right_to_left_override_is_refused(ctx):
    load_small_city(ctx, leads=False)
    with pytest.raises(InvalidInput) as refused:
        officials.add_official(ctx, cli_actor(), name="王\u202e忠", title="书记", home_unit=DAZHI)
    assert refused.value.field == "name"
    with pytest.raises(InvalidInput):
        officials.add_official(ctx, cli_actor(), name="王" * 61, title="书记", home_unit=DAZHI)


def test_an_import_row_with_a_control_character_is_rejected_by_row_and_field_and_the_rest_kept(ctx):
    load_small_city(ctx)
    rows = [(2, person_row(name="张\u202e三")), (3, person_row(name="李四", id_number=None, phone="13900000077"))]
    summary = register_batch(ctx, cli_actor(), rows, source="file")
    assert summary.accepted == 1 and len(summary.rejections) == 1
    (rejection,) = summary.rejections
    assert rejection.row == 2 and "name" in [p.field for p in rejection.problems]


def test_a_recorded_simulation_run_with_a_disguised_title_or_a_non_finite_time_is_refused(ctx):
    from admitall.services import simulations
    from tests.sim_results import small_run

    for key, value in (("title_zh", "小城\u202e演练"), ("title_en", "x" * 201), ("wall_seconds", float("nan"))):
        run = small_run()
        run.scenario[key] = value
        with pytest.raises(InvalidInput) as refused:
            simulations.record_run(ctx, cli_actor(), run)
        assert key in (refused.value.field or "") + refused.value.en
    assert simulations.list_runs(ctx, cli_actor())["runs"] == []
