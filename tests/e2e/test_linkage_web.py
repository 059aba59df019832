"""Record linkage over HTTP and in Chromium (issue 16 §2): the review queue and a pair keep to the jurisdiction (both
people inside it) and the role (masked, no decision for those who may not); a community officer merges a pair at
1440 px and undoes it from the person's page; the pair reads side by side on a 390 px phone. Screenshots:
test-artifacts/linkage-*.png."""

from __future__ import annotations

import httpx
import pytest

from admitall.services.context import cli_actor
from admitall.services.registration import register_batch
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import DAZHI_1, DAZHI_2, person_row

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def pairs(world):
    """A fever clinic's list names 张三 again (a homophone, no ID number, the same phone and birth date) in his
    community, and a hotline's names him in pinyin in the neighbouring community: two candidate pairs, the second
    with one person outside the community's jurisdiction (inside the street's)."""
    rows = [
        person_row(name="张叁", id_number=None, unit_code=DAZHI_1, birth_date="1985-03-07", source_ref="F-1"),
        person_row(name="Zhang San", id_number=None, unit_code=DAZHI_2, category="fever", birth_date="1985-03-07",
                   source_ref="F-2"),
    ]  # fmt: skip
    ids = register_batch(world.ctx, cli_actor(), list(enumerate(rows, start=2)), source="fever_clinic").person_ids
    with world.client("commander") as c:
        everyone = {(p["a"]["id"], p["b"]["id"]): p["id"] for p in c.get("/api/linkage/pairs").json()["pairs"]}
    return {
        "near": everyone[(world.ids["zhang"], ids[2])],
        "across": everyone[(world.ids["zhang"], ids[3])],
        "zhang_again": ids[2],
    }


def test_the_queue_keeps_to_the_jurisdiction_and_the_role(world, pairs):
    with world.client("community") as c:  # the community: the pair with both people in it, not the one across
        mine = c.get("/api/linkage/pairs").json()
        listed = [p["id"] for p in mine["pairs"]]
        assert pairs["near"] in listed and pairs["across"] not in listed and mine["total"] == len(listed)
        assert mine["may_decide"] and listed == sorted(
            listed, key=lambda i: -next(p["probability"] for p in mine["pairs"] if p["id"] == i)
        )
        assert c.get(f"/api/linkage/pairs/{pairs['across']}").status_code == 404
        assert c.post(f"/api/linkage/pairs/{pairs['across']}/decision", json={"choice": "merge"}).status_code == 404
        shown = c.get(f"/api/linkage/pairs/{pairs['near']}").json()
        assert not shown["people"][0]["masked"] and shown["may_decide"]
        assert {e["field"] for e in shown["evidence"]} >= {"name", "id_number", "phone", "birth_date"}
    with world.client("dazhi") as c:  # the street holds both people of both pairs
        assert {pairs["near"], pairs["across"]} <= {p["id"] for p in c.get("/api/linkage/pairs").json()["pairs"]}
    with world.client("yiyuan") as c:  # another street: nothing, and the pair does not exist for it
        assert c.get("/api/linkage/pairs").json()["total"] == 0
        assert c.get(f"/api/linkage/pairs/{pairs['near']}").status_code == 404
    with world.client("commander") as c:  # the city sees both, masked, and may not decide
        seen = c.get(f"/api/linkage/pairs/{pairs['across']}").json()
        assert seen["people"][0]["masked"] and "*" in (seen["people"][0]["phone"] or "*")
        assert seen["may_decide"] is False
        refused = c.post(f"/api/linkage/pairs/{pairs['across']}/decision", json={"choice": "merge"})
        assert refused.status_code == 403 and refused.json()["error"]["permission"] == "link_persons"
        assert c.post("/api/linkage/persons/1/unmerge").status_code == 403
    for role in ("analyst", "facility"):
        with world.client(role) as c:
            assert c.get("/api/linkage/pairs").status_code == 403
    assert httpx.get(f"{world.url}/api/linkage/pairs").status_code == 401
    with world.client("community") as c:
        bad = c.post(f"/api/linkage/pairs/{pairs['near']}/decision", json={"choice": "maybe"})
        assert bad.status_code == 422


@pytest.mark.browser
def test_an_officer_merges_a_pair_and_undoes_it_from_the_person_page(browser, world, pairs):
    ARTIFACTS.mkdir(exist_ok=True)
    staff = browser.new_context(base_url=world.url, viewport=WIDE)
    page = staff.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, "community")
    twin = page.request.get("/linkage.json").json()
    assert pairs["near"] in [p["id"] for p in twin["pairs"]]
    page.goto("/linkage")
    assert page.locator(f"#linkage-pairs tr[data-pair='{pairs['near']}']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "linkage-queue-1440.png"), full_page=True)
    page.click(f"a[href='/linkage/{pairs['near']}']")
    page.wait_for_selector("#linkage-evidence")
    levels = page.eval_on_selector_all("#linkage-evidence tr[data-field]", "rs => rs.map(r => r.dataset.level)")
    assert levels[0] == "same_pinyin"  # 张三 / 张叁
    assert page.request.get(f"/linkage/{pairs['near']}.json").json()["id"] == pairs["near"]
    page.screenshot(path=str(ARTIFACTS / "linkage-pair-1440.png"), full_page=True)
    page.click("button.act-merge")
    page.wait_for_selector(".notice")
    assert page.locator(f"#linkage-pairs tr[data-pair='{pairs['near']}']").count() == 0
    page.goto(f"/people/{pairs['zhang_again']}")
    assert page.locator("#linkage-person").count() == 1
    page.screenshot(path=str(ARTIFACTS / "linkage-person-1440.png"), full_page=True)
    page.click("button.act-unmerge")
    page.wait_for_selector(".notice")
    assert page.locator("#linkage-person").count() == 0
    with world.ctx.uow() as uow:
        assert uow.persons.get(pairs["zhang_again"]).status.value == "suspected"
    page.goto("/lang/en?next=/linkage?state=unmerged")
    assert page.locator("h1").inner_text() == "Possible duplicate records"
    page.goto("/lang/zh?next=/")
    staff.close()

    phone = browser.new_context(base_url=world.url, viewport=PHONE, is_mobile=True)
    small = phone.new_page()
    sign_in(small, "commander")
    small.goto(f"/linkage/{pairs['across']}")
    assert small.locator("#linkage-decide").count() == 0  # the commander may not decide: no button to refuse
    assert "13812345678" not in small.content()  # masked for the commander
    assert small.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    small.screenshot(path=str(ARTIFACTS / "linkage-pair-390.png"), full_page=True)
    phone.close()
    assert errors == []


def test_admitall_link_prints_one_json_object_and_writes_every_candidate_pair(tmp_path):
    import csv

    from tests.e2e.test_cli import one_json, run
    from tests.factories import SMALL_CITY, id_number

    assert run(tmp_path, "init").returncode == 0
    units = tmp_path / "units.csv"
    units.write_text("code,name\n" + "\n".join(f"{c},{n}" for c, n in SMALL_CITY) + "\n", encoding="utf-8")
    assert run(tmp_path, "import", "units", str(units)).returncode == 0
    people = tmp_path / "people.csv"
    people.write_text(
        "姓名,身份证号,手机号,性别,出生日期,类别,社区编码,住址,来源编号\n"
        f"张伟,{id_number()},13812345678,男,1985-03-07,密接,{DAZHI_1},幸福路1号,C-1\n"
        f"张维,,15912345678,男,1985-03-07,疑似,{DAZHI_1},幸福路1号,C-2\n"
        f"李娜,{id_number(seq=124)},13900000001,女,1985-03-07,密接,{DAZHI_1},幸福路9号,C-3\n",
        encoding="utf-8",
    )
    assert run(tmp_path, "import", "persons", str(people), "--source", "community").returncode == 0
    out = tmp_path / "pairs.csv"
    summary = one_json(run(tmp_path, "link", "--json", "--out", str(out)))
    assert summary["people"] == 3 and summary["candidates"] >= 1 and summary["out"] == str(out)
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["person_a", "person_b", "source_refs_a", "source_refs_b", "probability", "decision"]
    assert len(rows) == summary["candidates"] and {r["decision"] for r in rows} <= {"merged", "review", "distinct"}
    zhang = [r for r in rows if {r["source_refs_a"], r["source_refs_b"]} == {"C-1", "C-2"}]
    assert zhang and zhang[0]["decision"] in ("merged", "review")
    assert run(tmp_path, "verify", "--json").returncode == 0
    assert run(tmp_path, "link", "--unit", "999999999999", "--json").returncode == 2
