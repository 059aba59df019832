"""Tracing: contacts registered from a list with every row accounted for, a case's contacts with their state, the
chain up to the source and down to contacts of contacts, clusters by size and growth, and the commander's counts;
everything within the jurisdiction (a person elsewhere is not found)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from admitall.domain.access import Role
from admitall.domain.errors import Forbidden, NotFound
from admitall.services.context import Actor, cli_actor
from admitall.services.registration import register_batch
from admitall.services.tracing import (
    ExposureInput,
    chain,
    cluster_list,
    contacts_of,
    register_exposures,
    tracing_counts,
)
from admitall.services.tracing_import import import_contacts
from admitall.web.tracing_svg import chain_svg
from tests.factories import DAZHI, DAZHI_1, JIANGAN, WUCHANG_1, id_number, load_small_city, person_row

TEAM = Actor("team", Role.UNIT_OFFICER, DAZHI_1)
ELSEWHERE = Actor("other", Role.UNIT_OFFICER, WUCHANG_1)
ON = date(2020, 2, 8)


def people(ctx, categories: list[str], unit: str = DAZHI_1, seq: int = 300) -> list[int]:
    rows = [
        (i + 2, person_row(name=f"李{i}", id_number=id_number(seq=seq + i), phone=f"1391234{5600 + seq + i}",
                           category=c, unit_code=unit, source_ref=f"R{seq + i}"))
        for i, c in enumerate(categories)
    ]  # fmt: skip
    summary = register_batch(ctx, cli_actor(), rows, source="lab")
    return [summary.person_ids[i + 2] for i in range(len(categories))]


@pytest.fixture
def city(ctx):
    load_small_city(ctx)
    return ctx


def test_a_contact_list_accounts_for_every_row(city):
    (case,) = people(city, ["confirmed"])
    rows = [
        (2, person_row(name="王一", id_number=id_number(seq=401), phone="13900000401", category=None,
                       case_id=str(case), exposed_on="2020-02-08", setting="家庭")),
        (3, person_row(name="王二", id_number=id_number(seq=402), phone="13900000402", category=None,
                       case_ref="R300", exposed_on="2020/2/7", setting="work", closeness="一般")),
        (4, person_row(name="王三", id_number=id_number(seq=403), case_id="99999", exposed_on="2020-02-08",
                       setting="work")),
        (5, person_row(name="王四", id_number=id_number(seq=404), case_id=str(case), exposed_on="昨天",
                       setting="公园")),
        (6, person_row(name="王一", id_number=id_number(seq=401), phone="13900000401", category=None,
                       case_id=str(case), exposed_on="2020-02-09", setting="household")),
        (7, person_row(name="", id_number="123", case_id=str(case), exposed_on="2020-02-08", setting="care")),
    ]  # fmt: skip
    result = import_contacts(city, TEAM, rows, source="流调名单", filename="contacts.csv", lang="en")
    assert result["rows"] == 6
    assert (result["accepted"], result["merged"], result["rejected"]) == (2, 1, 3)
    assert result["accepted"] + result["merged"] + result["rejected"] == result["rows"]
    by_row = {r["row"]: r for r in result["rejections"]}
    assert by_row[4]["field"] == "case_id" and "99999" in by_row[4]["reason"]
    assert set(by_row[5]["field"].split("; ")) == {"exposed_on", "setting"}
    assert 7 in by_row
    listed = contacts_of(city, TEAM, case)
    assert [c["name"] for c in listed["contacts"]] == ["王一", "王二"]
    first = listed["contacts"][0]
    assert first["exposed_on"] == "2020-02-09" and first["status"] == "contact" and first["observation"] == "active"
    assert listed["contacts"][1]["closeness"] == "medium"


def test_a_list_naming_a_case_elsewhere_is_rejected_as_not_found(city):
    (far,) = people(city, ["confirmed"], unit=WUCHANG_1, seq=500)
    rows = [(2, person_row(case_id=str(far), exposed_on="2020-02-08", setting="work"))]
    result = import_contacts(city, TEAM, rows, source="t")
    assert result["rejected"] == 1 and result["rejections"][0]["field"] == "case_id"
    with pytest.raises(NotFound):
        contacts_of(city, TEAM, far)
    with pytest.raises(Forbidden):
        register_exposures(city, Actor("analyst", Role.ANALYST, None), [])


def _outbreak(ctx) -> list[int]:
    """source → a → (b, c); b → d; and a separate pair e → f."""
    src, a, b, c, d, e, f = people(ctx, ["confirmed", "confirmed", "confirmed", "contact", "contact", "confirmed",
                                         "contact"], seq=600)  # fmt: skip
    register_exposures(
        ctx,
        cli_actor(),
        [
            ExposureInput(a, src, ON, "household"),
            ExposureInput(b, a, ON, "work"),
            ExposureInput(c, a, ON, "transport"),
            ExposureInput(d, b, ON, "care"),
            ExposureInput(f, e, ON, "household"),
        ],
    )
    return [src, a, b, c, d, e, f]


def test_the_chain_goes_up_to_the_source_and_down_to_contacts_of_contacts(city):
    src, a, b, c, d, _e, _f = _outbreak(city)
    found = chain(city, TEAM, a, depth=2)
    assert {n["id"] for n in found["nodes"]} == {src, a, b, c, d}
    assert {(x["from"], x["to"]) for x in found["edges"]} == {(src, a), (a, b), (a, c), (b, d)}
    assert next(n for n in found["nodes"] if n["id"] == a)["focus"] is True
    assert {n["id"] for n in chain(city, TEAM, a, depth=1)["nodes"]} == {src, a, b, c}
    svg = chain_svg(found, "en")
    assert svg.startswith("<svg") and "style=" not in svg and svg.count("<line") == 4
    assert 'class="node status-confirmed focus"' in svg
    with pytest.raises(NotFound):
        chain(city, ELSEWHERE, a)


def test_clusters_by_size_and_growth(city, clock):
    src, _a, _b, _c, _d, e, _f = _outbreak(city)
    clock.advance(timedelta(days=8))
    (g,) = people(city, ["contact"], seq=700)
    register_exposures(city, cli_actor(), [ExposureInput(g, e, ON + timedelta(days=7), "work")])
    found = cluster_list(city, TEAM)
    assert found["clusters"] == 2 and found["people"] == 8
    big, small = found["largest"]
    assert (big["index_person"], big["size"], big["new_in_7_days"], big["confirmed"]) == (src, 5, 0, 3)
    assert (small["size"], small["new_in_7_days"]) == (3, 1)
    assert cluster_list(city, ELSEWHERE)["clusters"] == 0


def test_the_commanders_counts_by_unit(city, clock):
    _src, _a, _b, _c, d, _e, _f = _outbreak(city)
    counts = tracing_counts(city, Actor("cmd", Role.COMMANDER, JIANGAN))
    total = counts["total"]
    assert total["confirmed_cases"] == 4 and total["contacts_traced"] == 5
    assert total["contacts_per_case"] == 1.25
    # a and b were known contacts before they were confirmed? they were registered confirmed: not known first
    assert total["new_cases_7d"] == 4 and total["new_cases_known_contacts"] == 0
    # the cases were confirmed at 08:00 (their time of identification), their contacts observed from 10:00
    assert total["hours_to_observation_median"] == 2.0
    assert [u["unit_code"] for u in counts["units"]] == [DAZHI]
    clock.advance(timedelta(hours=5))
    from admitall.services.person_steps import Step, apply_steps

    assert not apply_steps(city, TEAM, [Step(d, "reclassify", to="confirmed", severity="mild")], source="t").refused
    later = tracing_counts(city, Actor("cmd", Role.COMMANDER, JIANGAN))["total"]
    assert (later["new_cases_7d"], later["new_cases_known_contacts"], later["share_known_contacts"]) == (5, 1, 0.2)
    with pytest.raises(NotFound):
        tracing_counts(city, TEAM, unit=WUCHANG_1)
