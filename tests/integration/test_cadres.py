"""Cadres sent down to communities (issue 18 §3): assigned one by one or from a list with every row accounted,
ended from a day on, listed within the jurisdiction with phones masked for masked roles; coverage per 1,000
households from the survey's households or the population estimate, the gaps worst first with their street and
district; the command tile and the community desk; and the refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, update

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, InvalidInput, NotFound
from admitall.services import cadres, survey
from admitall.services.cadres_coverage import coverage
from admitall.services.command import command_screen
from admitall.services.my_desk import my_desk
from admitall.services.tabular import parse_table
from admitall.store.tables import units
from tests.factories import (
    CITY,
    DAZHI,
    DAZHI_1,
    DAZHI_2,
    JIANGAN,
    WUCHANG,
    WUCHANG_1,
    YIYUAN_1,
    load_small_city,
    officer,
)

HQ = officer(CITY, Role.COMMANDER, "commander")
DISTRICT = officer(JIANGAN, username="jiangan")
COMMUNITY = officer(DAZHI_1, username="community")
ANALYST = officer(CITY, Role.ANALYST, "analyst")


def _cadre(ctx, actor=DISTRICT, community=DAZHI_1, name="李明", starts="2020-02-08", ends="", phone="13900001111"):
    fields = {"name": name, "department": "市财政局", "community_code": community, "role": "值守卡点",
              "starts_on": starts, "ends_on": ends, "phone": phone}  # fmt: skip
    return cadres.assign_cadre(ctx, actor, fields)["ids"][0]


def _population(ctx, code, n):
    with ctx.engine.begin() as conn:
        conn.execute(update(units).where(units.c.code == code).values(population=n))


def test_an_import_accounts_for_every_row_and_refuses_communities_elsewhere(ctx):
    load_small_city(ctx)
    data = (
        "姓名,派出单位,电话,社区编码,职责,开始日期,结束日期\n"
        "李明,市财政局,13900001111,420102002001,值守卡点,2020-02-08,\n"
        "李明,市财政局,13900001111,420102002001,值守卡点,2020-02-08,\n"
        ",市财政局,,420102002001,,2020-02-08,\n"
        "王芳,区教育局,,420102002002,物资配送,2020-02-09,2020-02-01\n"
        "赵强,区教育局,,420106001001,入户排查,2020-02-09,\n"
        "陈静,区民政局,,420102002000,入户排查,2020-02-09,\n"
        "周伟,区民政局,12,420102002002,入户排查,2020-02-09,\n"
        "吴敏,区民政局,,420102002002,入户排查,2020-02-09,2020-03-01\n"
    )
    table = parse_table(data.encode(), cadres.CADRE_HEADERS, cadres.REQUIRED_HEADERS)
    result = cadres.add_cadres(ctx, DISTRICT, table.rows)
    assert (result["rows"], result["added"], result["already"]) == (8, 2, 1)
    assert [r["row"] for r in result["rejected"]] == [4, 5, 6, 7, 8]
    assert result["added"] + result["already"] + len(result["rejected"]) == result["rows"]
    fields = {r["row"]: r["field"] for r in result["rejected"]}
    assert fields[4] == "name" and fields[5] == "ends_on"  # blank name, end before start
    assert "找不到" in result["rejected"][2]["zh"]  # Wuchang is outside Jiang'an: as if it did not exist
    assert "不是社区" in result["rejected"][3]["zh"]  # a street is not a community


def test_a_long_list_looks_each_community_up_once_and_refuses_every_row_of_one_elsewhere(ctx):
    load_small_city(ctx)

    def add(rows: int) -> tuple[dict, int]:
        """`rows` cadres over two communities of Jiang'an, then two in Wuchang (outside): the result and the number
        of statements sent."""
        codes, start = [DAZHI_1, DAZHI_2] * (rows // 2) + [WUCHANG_1, WUCHANG_1], "2020-02-08"
        listed = [
            (n + 2, {"name": f"干部{n}", "department": f"部门{rows}", "community_code": code, "starts_on": start})
            for n, code in enumerate(codes)
        ]
        sent: list[str] = []

        def keep(_conn, _cursor, statement, *_rest) -> None:
            sent.append(statement)

        event.listen(ctx.engine, "before_cursor_execute", keep)
        try:
            result = cadres.add_cadres(ctx, DISTRICT, listed)
        finally:
            event.remove(ctx.engine, "before_cursor_execute", keep)
        return result, len(sent)

    few, few_sent = add(4)
    many, many_sent = add(400)
    assert (few["added"], many["added"]) == (4, 400)
    assert [r["row"] for r in many["rejected"]] == [402, 403]  # each row of the community elsewhere, by its number
    assert many["rejected"][0]["zh"] == many["rejected"][1]["zh"] and "找不到" in many["rejected"][0]["zh"]
    assert many_sent == few_sent  # the same statements for 400 rows as for 4: one look-up per community


def test_assigning_and_ending_is_for_those_who_manage_cadres_within_their_jurisdiction(ctx):
    load_small_city(ctx)
    with pytest.raises(Forbidden):
        _cadre(ctx, ANALYST)
    with pytest.raises(Forbidden):
        _cadre(ctx, officer(DAZHI_1, Role.FACILITY_OFFICER, "desk"))
    cid = _cadre(ctx, HQ)
    with pytest.raises(InvalidInput):  # the same cadre from the same day again
        _cadre(ctx, HQ)
    with pytest.raises(NotFound):  # another district's desk does not see it
        cadres.end_cadre(ctx, officer(WUCHANG, username="wuchang"), cid)
    with pytest.raises(Forbidden):
        cadres.end_cadre(ctx, ANALYST, cid)
    ended = cadres.end_cadre(ctx, COMMUNITY, cid, on="2020-02-10")
    assert ended["ends_on"] == "2020-02-10"
    with pytest.raises(InvalidInput):  # an assignment ended before today cannot end again
        ctx.clock.advance(timedelta(days=2))
        cadres.end_cadre(ctx, COMMUNITY, cid)


def test_the_list_is_the_jurisdictions_on_duty_today_with_phones_masked_for_masked_roles(ctx):
    load_small_city(ctx)
    _cadre(ctx, name="李明")
    _cadre(ctx, name="王芳", community=DAZHI_2, starts="2020-02-20")  # not yet on duty
    _cadre(ctx, HQ, name="赵强", community=WUCHANG_1, phone="")
    today = cadres.list_cadres(ctx, DISTRICT)
    assert (today["total"], [c["name"] for c in today["cadres"]]) == (1, ["李明"])
    assert today["cadres"][0]["phone"] == "13900001111"  # a unit officer sees personal data
    every = cadres.list_cadres(ctx, DISTRICT, duty="all", size=1, page=2)
    assert (every["total"], every["pages"], len(every["cadres"])) == (2, 2, 1)
    hq = cadres.list_cadres(ctx, HQ, duty="all", q="李")
    assert [c["phone"] for c in hq["cadres"]] == ["139****1111"]  # a commander sees phones masked
    assert cadres.list_cadres(ctx, HQ)["total"] == 2
    with pytest.raises(NotFound):
        cadres.list_cadres(ctx, DISTRICT, WUCHANG)


def test_coverage_per_thousand_households_lists_the_gaps_worst_first_from_one_statement(ctx):
    load_small_city(ctx)
    # 幸福社区: 2 surveyed households (the survey's list wins over the population); 和平社区: 2,600 people,
    # about 1,000 households by the estimate; 建设社区: neither (no figure: a gap first); 长春社区: 520 people
    survey.add_households(ctx, COMMUNITY, DAZHI_1, [(1, {"address": "幸福路1号"}), (2, {"address": "幸福路2号"})])
    _population(ctx, DAZHI_1, 9000)
    _population(ctx, DAZHI_2, 2600)
    _population(ctx, WUCHANG_1, 520)
    _cadre(ctx, community=DAZHI_1)
    for i in range(5):
        _cadre(ctx, community=DAZHI_2, name=f"干部{i}")
    _cadre(ctx, HQ, community=WUCHANG_1, name="赵强", starts="2020-02-01", ends="2020-02-09")  # ended yesterday
    result = coverage(ctx, HQ)
    rows = {r["code"]: r for r in result["communities"]}
    assert [r["code"] for r in result["communities"]] == [YIYUAN_1, WUCHANG_1, DAZHI_2]
    assert rows[YIYUAN_1]["per_1000"] is None and rows[YIYUAN_1]["households_source"] == "none"
    assert (rows[WUCHANG_1]["on_duty"], rows[WUCHANG_1]["households"], rows[WUCHANG_1]["per_1000"]) == (0, 200, 0.0)
    assert (rows[DAZHI_2]["households"], rows[DAZHI_2]["households_source"], rows[DAZHI_2]["per_1000"]) == (
        1000,
        "estimate",
        5.0,
    )
    assert rows[DAZHI_2]["street_name"] == "大智街道" and rows[DAZHI_2]["district_name"] == "江岸区"
    assert result["total"] == 3 and result["totals"] == {"communities": 4, "gaps": 3, "on_duty": 6}
    every = coverage(ctx, HQ, gaps_only=False)
    assert every["total"] == 4
    mine = next(r for r in every["communities"] if r["code"] == DAZHI_1)
    assert (mine["households_source"], mine["per_1000"], mine["gap"]) == ("survey", 500.0, False)
    assert [x["code"] for x in result["by_unit"]] == [JIANGAN, WUCHANG]  # districts with the most gaps first
    street = coverage(ctx, DISTRICT, DAZHI)
    assert [r["code"] for r in street["communities"]] == [DAZHI_2]
    with pytest.raises(NotFound):
        coverage(ctx, DISTRICT, WUCHANG)
    tile = command_screen(ctx, HQ)["cadres"]
    assert (tile["communities"], tile["gaps"], tile["on_duty"]) == (4, 3, 6)


def test_the_community_desk_shows_who_is_on_duty_today(ctx):
    load_small_city(ctx)
    _cadre(ctx, name="李明")
    _cadre(ctx, name="王芳", starts="2020-02-20")
    _cadre(ctx, name="赵强", community=DAZHI_2)
    desk = my_desk(ctx, COMMUNITY)
    assert [c["name"] for c in desk["cadres_on_duty"]["cadres"]] == ["李明"]
    assert desk["cadres_on_duty"]["total"] == 1


def test_an_xlsx_list_is_read_like_a_csv_and_the_policy_sets_the_threshold(ctx):
    import io

    from openpyxl import Workbook

    from admitall.domain.policy import parse_policy
    from admitall.services.tabular import open_table

    load_small_city(ctx)
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "派出单位", "社区编码", "开始日期"])
    sheet.append(["李明", "市财政局", DAZHI_1, "2020-02-08"])
    sheet.append(["王芳", "市财政局", DAZHI_1, "2020/2/9"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    table = open_table(data, cadres.CADRE_HEADERS, cadres.REQUIRED_HEADERS, xlsx=True)
    assert cadres.add_cadres(ctx, COMMUNITY, table.rows)["added"] == 2
    text = "\n[cadres]\nmin_per_1000_households = 0.5\n"
    strict = parse_policy(ctx_policy_text() + text)
    assert strict.cadres.min_per_1000_households == 0.5
    with pytest.raises(InvalidInput):
        parse_policy(ctx_policy_text() + "\n[cadres]\nper_household = 3\n")


def ctx_policy_text() -> str:
    from importlib.resources import files

    return files("admitall.data").joinpath("policy.toml").read_text(encoding="utf-8").split("\n[cadres]")[0]
