"""The red and black lists (红黑榜) are the two ends of one ranking: the black list never holds a unit from the top
half (a unit ranked #3 of 13 with one missing report keeps its review flag, but is not on the 黑榜), the red list
never one from the bottom half; the page, its JSON and the XLSX export show the same lists, and the XLSX is in
the reader's language."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import load_workbook

from admitall.domain.access import Role
from admitall.domain.scoring import COMPONENTS
from admitall.services import exports, scorecard_views
from admitall.services.context import Actor
from admitall.services.scorecard_views import median_score, split_lists
from tests.e2e.language_walk import DataWords, foreign_words
from tests.factories import CITY, load_small_city

DAY = date(2020, 2, 11)
HQ = Actor("hq", Role.COMMANDER, CITY)
# 13 districts, best first; #3 has a review flag (missing reports), #8 is commended (a high score is not enough)
SCORES = [98.0, 95.0, 93.0, 90.0, 88.0, 85.0, 80.0, 79.0, 70.0, 65.0, 58.0, 50.0, 40.0]
REVIEW_BY_RULE = {3}
COMMENDED = {1, 2, 4, 8}


def _flags(rank: int, score: float) -> list[dict[str, Any]]:
    flags = []
    if score < 60:
        flags.append({"flag": "review", "rule": "composite_below", "value": score, "threshold": 60.0, "facts": []})
    if rank in REVIEW_BY_RULE:
        flags.append({"flag": "review", "rule": "missing_reports_at_least", "value": 4, "threshold": 3, "facts": []})
    if rank in COMMENDED:
        flags.append({"flag": "commend", "rule": "composite_at_least", "value": score, "threshold": 90.0, "facts": []})
    return flags


def _code(rank: int) -> str:
    return f"4201{rank:02d}000000"


def _row(rank: int, score: float) -> dict[str, Any]:
    card = {
        "name": f"第{rank}区",
        "components": {c: {"value": score} for c in COMPONENTS},
        "flags": _flags(rank, score),
    }
    return {
        "subject_kind": "unit",
        "subject": _code(rank),
        "level": "district",
        "final": True,
        "computed_at": datetime(2020, 2, 11, 16, 30, tzinfo=UTC),
        "score": score,
        "rank": rank,
        "ranked": len(SCORES),
        "card": card,
    }


def _store(ctx: Any) -> None:
    load_small_city(ctx, leads=False)
    with ctx.uow(write=True) as uow:
        uow.scorecards.replace_day(DAY, [_row(rank, score) for rank, score in enumerate(SCORES, start=1)])
        uow.commit()


def _subjects(entries: list[dict[str, Any]]) -> list[str]:
    return [e["subject"] for e in entries]


def test_the_black_list_holds_only_units_below_the_median_worst_first(ctx):
    _store(ctx)
    data = scorecard_views.ranking(ctx, HQ, level="district", day=DAY)
    assert data["median"] == 80.0
    assert _code(3) not in _subjects(data["black_list"])  # #3 of 13 keeps its flag, in the ranking, not on the 黑榜
    assert next(e["flags"] for e in data["entries"] if e["subject"] == _code(3))[0]["flag"] == "review"
    assert _subjects(data["black_list"]) == [_code(13), _code(12), _code(11)]
    assert _subjects(data["red_list"]) == [_code(1), _code(2), _code(4)]  # #8 is below the median
    assert not set(_subjects(data["red_list"])) & set(_subjects(data["black_list"]))


def test_the_lists_are_cut_to_their_size_and_empty_when_nothing_was_scored():
    entries = [{"subject": str(i), "score": float(i), "flags": [{"flag": "review"}]} for i in range(20)]
    red, black = split_lists(entries, median_score(e["score"] for e in entries), 3)
    assert red == [] and [e["subject"] for e in black] == ["0", "1", "2"]
    assert median_score([None, None]) is None
    # most of the level failing: the median is as low as they are, the threshold still puts them on the 黑榜
    tied = [{"subject": str(i), "score": 40.0 if i else 95.0, "flags": [{"flag": "review"}]} for i in range(5)]
    assert len(split_lists(tied, median_score(e["score"] for e in tied), 10, review_below=60.0)[1]) == 4
    assert split_lists([{"subject": "x", "score": None, "flags": [{"flag": "review"}]}], None, 3) == ([], [])


def test_the_xlsx_has_the_same_lists_in_the_readers_language(ctx):
    _store(ctx)
    data = scorecard_views.ranking(ctx, HQ, level="district", day=DAY)
    no_data = DataWords(han={"zh": set(), "en": set()})
    for lang, black_sheet in (("zh", "黑榜"), ("en", "Review")):
        book = load_workbook(
            io.BytesIO(exports.scorecards_xlsx(ctx, HQ, day=DAY.isoformat(), level="district", kind="unit", lang=lang))
        )
        rows = list(book[black_sheet].iter_rows(values_only=True))
        assert [r[1] for r in rows[1:]] == _subjects(data["black_list"])
        cells = [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
        names = {f"第{rank}区" for rank in range(1, 14)}
        assert [f for f in foreign_words([c for c in cells if c not in names], lang, no_data)] == []
    flags = [
        r[-1]
        for r in load_workbook(
            io.BytesIO(exports.scorecards_xlsx(ctx, HQ, day=DAY.isoformat(), level="district", kind="unit", lang="zh"))
        )["排名"].iter_rows(values_only=True)
    ]
    assert "问责：漏报 ≥ 3 次（4）" in flags
