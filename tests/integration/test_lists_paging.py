"""The lists' pages on SQLite and PostgreSQL: every page together is the whole list once in its order, the total
is the list's own count, a page beyond the last is empty with the total; the people list puts the longest waits
first and, among equal waits, the graver case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitall.domain.access import Role
from admitall.domain.officials import Official
from admitall.services import audit, officials, people
from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from tests.factories import DAZHI, DAZHI_1, JIANGAN, WUCHANG_1, id_number, load_small_city, officer, person_row

SEVERITIES = ("mild", "critical", "moderate", "severe")


@pytest.fixture
def city(ctx):
    load_small_city(ctx, leads=False)
    rows = [
        person_row(
            name=f"甲{i}",
            id_number=id_number(seq=100 + i),
            phone=None,
            category="confirmed",
            severity=SEVERITIES[i % 4],
            identified_at=f"2020-02-0{1 + i // 4} 08:00",  # four at a time: equal waits, four severities
        )
        for i in range(12)
    ]
    rows.append(person_row(name="乙", id_number=id_number(seq=300), phone=None, unit_code=WUCHANG_1))
    register_batch(ctx, cli_actor(), list(enumerate(rows, start=2)), source="seed")
    start = datetime(2020, 2, 3, 0, 0, tzinfo=UTC)
    with ctx.uow(write=True) as uow:
        uow.officials.add_many([Official(None, f"干部{i}", "书记", DAZHI_1) for i in range(7)], start)
        uow.officials.add_many([Official(None, "武昌干部", "书记", WUCHANG_1)], start)
        entries = [(start + timedelta(hours=i), f"u{i % 2}", "test", None, None, DAZHI_1, {}) for i in range(9)]
        uow.audit.record_many([*entries, (start, "w", "test", None, None, WUCHANG_1, {})])
        uow.commit()
    return ctx


def pages(fetch, key: str, size: int) -> tuple[list, int]:
    rows, totals, page = [], set(), 1
    while True:
        body = fetch(page, size)
        totals.add(body["total"])
        if not body[key]:
            return rows, totals.pop() if len(totals) == 1 else -1
        rows += body[key]
        page += 1


def test_people_page_longest_waits_first_then_the_graver_case(city):
    actor = officer(DAZHI)
    rows, total = pages(lambda p, s: people.search_people(city, actor, limit=s, offset=(p - 1) * s), "people", 5)
    assert total == len(rows) == len({r["id"] for r in rows}) == 12
    rank = {s: i for i, s in enumerate(("mild", "moderate", "severe", "critical"))}
    order = [(r["waiting_since"], -rank[r["severity"]]) for r in rows]
    assert order == sorted(order) and rows[0]["severity"] == "critical"
    beyond = people.search_people(city, actor, limit=5, offset=50)
    assert beyond["people"] == [] and beyond["total"] == 12


def test_officials_page_and_search_within_the_jurisdiction(city):
    actor = officer(JIANGAN, Role.COMMANDER, "boss")
    rows, total = pages(lambda p, s: officials.list_officials(city, actor, page=p, size=s), "officials", 3)
    assert total == len(rows) == len({o["id"] for o in rows}) == 7
    assert officials.list_officials(city, actor, q="武昌")["total"] == 0
    found = officials.list_officials(city, actor, q="幸福社区", size=2, page=5)
    assert found["officials"] == [] and found["total"] == 7


def test_audit_pages_newest_first_filtered_within_the_jurisdiction(city):
    actor = officer(JIANGAN, Role.ADMIN, "auditor")
    rows, total = pages(lambda p, s: audit.audit_trail(city, actor, action="test", page=p, size=s), "entries", 4)
    assert total == len(rows) == 9 and [e["id"] for e in rows] == sorted((e["id"] for e in rows), reverse=True)
    walked, _ = pages(lambda p, s: audit.audit_trail(city, actor, page=p, size=s), "entries", 4)
    assert [e["id"] for e in walked if e["action"] == "test"] == [e["id"] for e in rows]
    assert audit.audit_trail(city, actor, by="u1")["total"] == 4
    assert audit.audit_trail(city, actor, action="test", since="2020-02-03", until="2020-02-03")["total"] == 9
    assert audit.audit_trail(city, actor, action="test", since="2020-02-04")["total"] == 0
    assert audit.audit_trail(city, actor, by="w")["total"] == 0


def test_directives_received_and_issued_page_with_their_totals(city):
    from admitall.services import directive_lists, directives
    from tests.factories import CITY

    due = datetime(2020, 2, 12, tzinfo=UTC)
    for i in range(5):
        directives.issue(city, officer(CITY, Role.COMMANDER, "hq"), title=f"市令{i}", due_at=due, units=[JIANGAN])
    for i in range(3):
        directives.issue(city, officer(JIANGAN), title=f"区令{i}", due_at=due, units=[DAZHI])
    district = officer(JIANGAN)
    rows, total = pages(lambda p, s: directive_lists.received(city, district, page=p, size=s), "received", 2)
    assert total == len(rows) == len({x["id"] for x in rows}) == 5
    assert directive_lists.issued(city, district, size=2)["total"] == 3
    assert directive_lists.received(city, officer(DAZHI), status="pending", q="区令")["total"] == 3
    assert directive_lists.received(city, officer(WUCHANG_1))["total"] == 0


def test_sim_runs_page_newest_first(city):
    from admitall.services import simulations

    def bare(n: int) -> dict:
        scenario = {"name": f"b{n}", "title_zh": "最少", "title_en": "Bare", "days": 1, "seed": n}
        scenario["start"] = "2020-02-01"
        return {"scenario": scenario, "summary": {}, "daily": [{"day": "2020-02-01"}], "hourly": []}

    ids = [simulations.record_run(city, cli_actor(), bare(n)) for n in range(5)]
    actor = officer(JIANGAN, Role.COMMANDER, "boss")
    rows, total = pages(lambda p, s: simulations.list_runs(city, actor, page=p, size=s), "runs", 2)
    assert total == 5 and [r["id"] for r in rows] == sorted(ids, reverse=True)
