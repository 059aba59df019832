"""POST /api/reports/batch over HTTP: many reports in one request, each stored or refused with its reason."""

from __future__ import annotations

from tests.factories import DAZHI, DAZHI_1, DAZHI_2, WUCHANG_1


def body(unit: str, **kw) -> dict:
    return {"unit_code": unit, "attested_by": "值班员", "attest": True, "field": {"households_screened": 3}, **kw}


def test_a_street_sends_its_communities_reports_collected_on_paper_in_one_request(world):
    with world.client("dazhi") as c:
        response = c.post(
            "/api/reports/batch",
            json=[
                body(DAZHI_1, idempotency_key="paper-1"),
                body(DAZHI_2, idempotency_key="paper-2"),
                body(DAZHI, idempotency_key="paper-3"),
            ],
        )
        assert response.status_code == 200, response.text
        result = response.json()
        assert [r["outcome"] for r in result["results"]] == ["stored"] * 3
        again = c.post("/api/reports/batch", json=[body(DAZHI_1, idempotency_key="paper-1")]).json()
        assert again["results"][0]["outcome"] == "duplicate"
        assert again["results"][0]["id"] == result["results"][0]["id"]
        history = c.get(
            "/api/reports/history", params={"unit": DAZHI_2, "period_start": result["results"][1]["period_start"]}
        )
        assert history.status_code == 200 and history.json()["versions"][0]["field"] == {"households_screened": 3}


def test_a_unit_outside_the_jurisdiction_is_refused_like_an_absent_one_and_the_rest_is_stored(world):
    with world.client("yiyuan") as c:
        result = c.post(
            "/api/reports/batch",
            json=[
                body(WUCHANG_1),
                body("420102003999"),
                body("420102003001", reported={"waiting": {"contact": "many"}}),
            ],
            headers={"Accept-Language": "en"},
        ).json()
    errors = [r["error"] for r in result["results"]]
    assert [e["code"] for e in errors] == ["unit.not_found", "unit.not_found", "report.bad_figure"]
    assert errors[0]["message"].replace(WUCHANG_1, "X") == errors[1]["message"].replace("420102003999", "X")
    assert errors[2]["field"] == "waiting.contact"
    assert result["refused"] == 3 and result["stored"] == 0


def test_roles_that_see_personal_data_masked_cannot_send_a_batch(world):
    for username in ("admin", "commander", "analyst"):
        with world.client(username) as c:
            response = c.post("/api/reports/batch", json=[body(DAZHI_1)])
        assert response.status_code == 403, (username, response.text)


def test_a_batch_that_is_not_a_list_of_reports_is_refused_whole(world):
    with world.client("dazhi") as c:
        assert c.post("/api/reports/batch", json={"unit_code": DAZHI_1}).status_code == 422
        assert c.post("/api/reports/batch", json=[{"unit_code": DAZHI_1}]).status_code == 422
