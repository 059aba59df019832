"""A report attested as drafted over HTTP: the registry's figures, counted once, are what it states."""

from __future__ import annotations

from tests.factories import DAZHI_1, DAZHI_2


def body(unit: str, **kw) -> dict:
    return {"unit_code": unit, "attested_by": "值班员", "attest": True, **kw}


def test_a_report_attested_as_drafted_states_the_registrys_figures_and_has_no_discrepancy(world):
    with world.client("dazhi") as c:
        response = c.post("/api/reports", json=body(DAZHI_1, as_drafted=True))
        assert response.status_code == 201, response.text
        stored = response.json()
        assert stored["reported"]["waiting"] == stored["registry"]["waiting"]
        assert stored["reported"]["found"] == stored["registry"]["found"]
        assert stored["discrepancies"] == []
        batch = c.post("/api/reports/batch", json=[body(DAZHI_2, as_drafted=True)]).json()
        assert batch["results"][0]["outcome"] == "stored"


def test_a_report_attested_as_drafted_that_states_figures_too_is_refused(world):
    with world.client("dazhi") as c:
        response = c.post("/api/reports", json=body(DAZHI_1, as_drafted=True, reported={"admitted": 2}))
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] == "report.drafted_and_stated"
