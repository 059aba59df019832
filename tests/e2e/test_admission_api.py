"""Admission over HTTP: the plan, confirming it, the desk's steps, beds and the backlog — and the refusals."""

from tests.factories import DAZHI_1


def test_the_dispatcher_plans_and_confirms_and_the_desk_admits(world):
    with world.client("dispatcher") as c:
        plan = c.get("/api/allocation/plan", headers={"Accept-Language": "en"}).json()
        by_person = {a["person"]: a for a in plan["assignments"]}
        li = by_person[world.ids["li"]]
        assert (li["priority_class"], li["facility"], li["bed_type"]) == ("severe", "H1", "severe")
        assert li["reason"].startswith("severe")
        items = [
            {"person": a["person"], "facility": a["facility"], "bed_type": a["bed_type"], "version": a["version"]}
            for a in plan["assignments"]
        ]
        result = c.post("/api/allocation/confirm", json={"items": items}).json()
        assert len(result["confirmed"]) == len(items) and result["skipped"] == []
        again = c.post("/api/allocation/confirm", json={"items": items[:1]}).json()
        assert again["confirmed"] == [] and again["skipped"][0]["code"] == "person.changed_meanwhile"
        assert c.post(f"/api/persons/{world.ids['li']}/depart", json={}).status_code == 200
        assert c.post(f"/api/persons/{world.ids['li']}/admit", json={}).status_code == 403
    with world.client("facility") as c:  # the desk of H1
        desk = c.get("/api/facilities/H1/desk").json()
        assert [p["id"] for p in desk["expected"]] == [world.ids["li"]]
        admitted = c.post(f"/api/persons/{world.ids['li']}/admit", json={})
        assert admitted.status_code == 200 and admitted.json()["placement"] == "admitted"
        beds = {b["bed_type"]: b for b in c.get("/api/facilities/H1").json()["beds"]}
        assert (beds["severe"]["occupied"], beds["severe"]["reserved"]) == (1, 0)
        # another facility's people are not this desk's
        other = world.ids["zhang"]
        assert c.post(f"/api/persons/{other}/admit", json={}).status_code in (403, 404)


def test_a_refusal_needs_a_reason_and_says_which_rule(world):
    with world.client("jiangan") as c:
        pid = c.post(
            "/api/persons", json={"name": "谢十一", "category": "contact", "unit_code": DAZHI_1, "phone": "13700000111"}
        ).json()["person"]["id"]
    with world.client("dispatcher") as c:
        plan = c.get("/api/allocation/plan").json()
        item = next(a for a in plan["assignments"] if a["person"] == pid)
        c.post(
            "/api/allocation/confirm",
            json={"items": [{"person": pid, "facility": item["facility"], "bed_type": item["bed_type"]}]},
        )
        no_reason = c.post(f"/api/persons/{pid}/cancel", json={})
        assert no_reason.status_code == 409
        assert no_reason.json()["error"]["code"] == "transition_refused.refusal_needs_reason"
        assert c.post(f"/api/persons/{pid}/cancel", json={"reason": "车辆故障"}).json()["placement"] == "waiting"


def test_beds_occupancy_and_backlog_are_counts_for_every_role(world):
    with world.client("analyst") as c:
        rows = c.get("/api/beds").json()["rows"]
        assert {r["bed_type"] for r in rows} >= {"icu", "shelter", "quarantine_room"}
        assert c.get("/api/backlog").json()["stock"]["waiting"] >= 0
        assert c.get("/api/allocation/plan").status_code == 403
        assert c.get("/api/facilities/H1/desk").status_code == 403


def test_only_the_desk_or_an_administrator_changes_a_facilitys_beds(world):
    with world.client("dispatcher") as c:
        assert c.put("/api/facilities/H1/beds/icu", json={"capacity": 9}).status_code == 403
    with world.client("facility") as c:
        assert c.put("/api/facilities/S1/beds/shelter", json={"capacity": 9}).status_code in (403, 404)
        changed = c.put("/api/facilities/H1/beds/icu", json={"capacity": 3, "out_of_service": 1})
        assert changed.status_code == 200
        assert next(b for b in changed.json()["beds"] if b["bed_type"] == "icu")["free"] == 2
        assert c.put("/api/facilities/H1/beds/shelter", json={"capacity": 3}).status_code == 422
    with world.client("admin") as c:
        assert c.put("/api/facilities/H1/beds/icu", json={"capacity": 1, "out_of_service": 0}).status_code == 200


def test_facilities_import_over_http(world):
    content = (
        "code,name,type,unit_code,quarantine_room\n"
        "Q9,新隔离酒店,quarantine_site,420102002000,40\n"
        "Q10,坏,castle,420102002000,1\n"
    )
    with world.client("dispatcher") as c:
        files = {"file": ("f.csv", content.encode(), "text/csv")}
        assert c.post("/api/facilities/import", files=files).status_code == 403
    with world.client("admin") as c:
        result = c.post("/api/facilities/import", files={"file": ("f.csv", content.encode(), "text/csv")}).json()
    assert (result["accepted"], result["rejected"]) == (1, 1) and result["rejections"][0]["row"] == 3
