"""The audit log as a page (/audit and its JSON twin): newest first, a page at a time with the real total,
filtered by who, what, unit and days, within the auditor's jurisdiction; refused to those who may not audit."""

from __future__ import annotations

from sqlalchemy import func, select

from admitall.store.tables import audit_log
from tests.e2e.lists_world import AUDIT_DAYS, AUDIT_ENTRIES, every_page, paged_world, web
from tests.factories import DAZHI_1, JIANGAN

__all__ = ["paged_world"]


def recount(world, *conditions) -> int:
    """Entries counted in the database, apart from the pages."""
    with world.ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log).where(*conditions)).scalar_one())


def in_jiangan():
    return audit_log.c.unit_code.between(JIANGAN, "420102999999")


def test_every_page_of_the_district_audit_together_is_every_entry_once_newest_first(paged_world):
    with web(paged_world, "district_admin") as c:
        rows, total = every_page(c, "/audit.json", "entries", size=100)
    ids = [e["id"] for e in rows]
    assert total == len(ids) == len(set(ids)) == recount(paged_world, in_jiangan())
    assert ids == sorted(ids, reverse=True)
    assert not any(e["unit_code"] is None or not e["unit_code"].startswith("420102") for e in rows)


def test_page_two_continues_page_one_and_the_pager_says_which_rows(paged_world):
    with web(paged_world, "district_admin") as c:
        one = c.get("/audit.json", params={"action": "test_read"}).json()
        two = c.get("/audit.json", params={"action": "test_read", "page": 2}).json()
        html = c.get("/audit", params={"action": "test_read", "page": 2}).text
    total = recount(paged_world, in_jiangan(), audit_log.c.action == "test_read")
    assert one["total"] == two["total"] == total and total > 50
    assert one["entries"][-1]["id"] > two["entries"][0]["id"]
    assert len(one["entries"]) == 50 and len(two["entries"]) == min(50, total - 50)
    assert f"第 51–{min(100, total)} 条，共 {total} 条" in html
    assert html.count('<tr data-entry="') == len(two["entries"])
    assert 'href="/audit?action=test_read"' in html  # previous: page 1, the filter kept


def test_filters_by_actor_action_unit_and_days_count_what_they_find(paged_world):
    with web(paged_world, "district_admin") as c:
        by_actor = c.get("/audit.json", params={"by": "auditee-1"}).json()
        exports = c.get("/audit.json", params={"action": "test_export", "unit": DAZHI_1}).json()
        first_day = c.get(
            "/audit.json", params={"since": "2020-02-03", "until": "2020-02-03", "by": "auditee-0"}
        ).json()
        two_days = c.get("/audit.json", params={"since": "2020-02-03", "until": "2020-02-04", "size": 200}).json()
    assert by_actor["total"] == AUDIT_DAYS[1][1] and {e["actor"] for e in by_actor["entries"]} == {"auditee-1"}
    assert exports["total"] == recount(paged_world, audit_log.c.action == "test_export")
    assert first_day["total"] == AUDIT_DAYS[0][1]
    assert {e["actor"] for e in two_days["entries"]} >= {"auditee-0", "auditee-1"}
    assert "auditee-2" not in {e["actor"] for e in two_days["entries"]}
    assert AUDIT_DAYS[0][1] + AUDIT_DAYS[1][1] + 20 == AUDIT_ENTRIES


def test_another_district_finds_none_of_ours_and_a_unit_elsewhere_is_not_found(paged_world):
    with web(paged_world, "district_admin") as c:
        theirs = c.get("/audit.json", params={"by": "auditee-w"}).json()
        elsewhere = c.get("/audit.json", params={"unit": "420106001001"})
    with web(paged_world, "admin") as c:
        city = c.get("/audit.json", params={"by": "auditee-w"}).json()
    assert theirs["total"] == 0 and theirs["entries"] == []
    assert elsewhere.status_code == 404
    assert city["total"] == 5


def test_the_audit_is_refused_to_those_who_may_not_audit(paged_world):
    with web(paged_world, "jiangan") as c:
        assert c.get("/audit").status_code == 403
        assert c.get("/audit.json").status_code == 403
    with paged_world.client("dispatcher") as c:
        assert c.get("/api/audit").status_code == 403


def test_a_bad_day_or_size_is_refused_and_a_page_beyond_is_empty_with_the_total(paged_world):
    with web(paged_world, "district_admin") as c:
        assert c.get("/audit.json", params={"since": "3 Feb"}).status_code == 422
        assert c.get("/audit.json", params={"size": 500}).status_code == 422
        beyond = c.get("/audit.json", params={"page": 999}).json()
        html = c.get("/audit", params={"page": 999}).text
    assert beyond["entries"] == [] and beyond["total"] == recount(paged_world, in_jiangan())
    assert "此页之后已没有记录" in html


def test_the_api_pages_the_audit_the_same_way(paged_world):
    with paged_world.client("district_admin") as c:
        body = c.get("/api/audit", params={"by": "auditee-0", "size": 10, "page": 7}).json()
    assert body["total"] == AUDIT_DAYS[0][1] and len(body["entries"]) == 1 and body["pages"] == 7
