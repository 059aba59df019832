"""Record linkage's pure parts (issue 16 §2): the comparisons, their levels, blocking, the model's decisions, and
the merge and unmerge events replaying to the state they describe."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np
import pytest

from admitall.domain.identity import Document, DocumentType
from admitall.domain.lifecycle import identify, replay
from admitall.domain.linkage import FIELD_NAMES, LinkRecord, compare, name_pinyin, one_digit_apart, prepare
from admitall.domain.linkage_merge import MERGED_AWAY, state_data, survivor_first
from admitall.domain.linkage_model import (
    AUTO_MERGE,
    DEFAULT_MODEL,
    MAX_BLOCK,
    REVIEW,
    candidate_pairs,
    decision,
    estimate,
    levels_of,
)
from admitall.domain.people import EventKind, PersonDetails, PersonEvent, Placement, Stamp, Status
from tests.factories import id_number

COMMUNITY = "420102002001"
AT = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)


def rec(i: int, name: str = "张伟", **kw: object) -> LinkRecord:
    base: dict[str, object] = {
        "unit_code": COMMUNITY,
        "document": id_number(date(1985, 3, 7), seq=123),
        "phone": "13812345678",
        "sex": "male",
        "birth_date": date(1985, 3, 7),
        "address": "幸福路1号2栋3单元401室",
    }
    base.update(kw)
    return LinkRecord(i, name, **base)  # type: ignore[arg-type]


def levels(a: LinkRecord, b: LinkRecord) -> dict[str, int]:
    return dict(zip(FIELD_NAMES, compare(prepare(a), prepare(b)), strict=True))


def test_homophones_and_a_name_typed_in_pinyin_sound_the_same():
    assert name_pinyin("张伟") == name_pinyin("张维") == name_pinyin("Zhang Wei") == "zhangwei"
    assert levels(rec(1), rec(2, "张维"))["name"] == 1
    assert levels(rec(1), rec(2, "Zhang Wei"))["name"] == 1
    assert levels(rec(1), rec(2, "张伟"))["name"] == 0
    assert levels(rec(1, "王强"), rec(2, "王墙军"))["name"] == 4


def test_an_id_number_with_one_digit_wrong_or_two_swapped_is_near_a_different_one_is_not():
    number = id_number(date(1985, 3, 7), seq=123)
    wrong = number[:10] + ("0" if number[10] != "0" else "1") + number[11:]
    swapped = number[:6] + number[7] + number[6] + number[8:]
    assert one_digit_apart(number, wrong) and one_digit_apart(number, swapped)
    assert levels(rec(1), rec(2, document=wrong))["id_number"] == 1
    assert levels(rec(1), rec(2, document=swapped))["id_number"] == 1
    assert levels(rec(1), rec(2, document=id_number(date(1970, 1, 1), seq=555)))["id_number"] == 2
    assert levels(rec(1), rec(2, document=None))["id_number"] == 3  # missing: no evidence either way


def test_the_birth_date_and_sex_in_the_id_number_are_evidence_of_their_own():
    without = rec(2, document=None, birth_date=None, sex=None)
    from_id = rec(1, birth_date=None, sex=None)  # only the ID number says when and which sex
    assert levels(from_id, replace(without, birth_date=date(1985, 3, 7), sex="male"))["birth_date"] == 0
    assert levels(from_id, replace(without, birth_date=date(1985, 3, 7), sex="female"))["sex"] == 1
    assert levels(rec(1), rec(2, birth_date=date(1985, 7, 3), document=None))["birth_date"] == 1  # day/month swapped


def test_a_changed_phone_keeping_its_last_eight_digits_is_near():
    assert levels(rec(1), rec(2, phone="15912345678"))["phone"] == 1
    assert levels(rec(1), rec(2, phone="13900000000"))["phone"] == 2


def test_the_place_says_same_address_similar_community_street_or_elsewhere():
    assert levels(rec(1), rec(2))["place"] == 0
    assert levels(rec(1), rec(2, address="幸福路1号2-3-401"))["place"] == 2
    assert levels(rec(1), rec(2, address="幸福路1号院2栋3单元401室"))["place"] == 1
    assert levels(rec(1), rec(2, unit_code="420102002002"))["place"] == 3
    assert levels(rec(1), rec(2, unit_code="420106001001"))["place"] == 4


def test_blocking_pairs_records_sharing_a_key_and_ignores_a_key_too_common_to_mean_anything():
    records = [prepare(rec(i, f"人{i}", document=None, birth_date=None, phone="02788888888")) for i in range(3)]
    records.append(prepare(rec(3, "李娜", document=None, phone="13900000001", unit_code="420106001001")))
    pairs = candidate_pairs(records).tolist()
    assert [0, 1] in pairs and [3, 0] not in pairs and all(3 not in p for p in pairs)
    switchboard = [
        prepare(rec(i, f"号{i}", document=None, birth_date=None, unit_code=f"4201060{i:05d}", phone="02700000000"))
        for i in range(MAX_BLOCK + 1)
    ]
    assert len(candidate_pairs(switchboard)) == 0
    only_new = candidate_pairs(records, only=[2]).tolist()
    assert only_new and all(2 in p for p in only_new)


def test_the_same_person_with_errors_scores_high_and_household_members_low():
    model = DEFAULT_MODEL
    same = [prepare(rec(1)), prepare(rec(2, "张维", document=None, phone="15912345678"))]
    family = [
        prepare(rec(1)),
        prepare(
            rec(2, "张丽", document=id_number(date(1987, 6, 1), seq=124), sex="female", birth_date=date(1987, 6, 1))
        ),
    ]
    p_same = float(model.probabilities(levels_of(same, np.array([[0, 1]])))[0])
    p_family = float(model.probabilities(levels_of(family, np.array([[0, 1]])))[0])
    assert p_same >= REVIEW > p_family


def test_a_name_and_a_place_alone_never_merge_without_a_person():
    no_identifier = [4, 3, 3, 3, 2, 0]  # no ID number, phone or birth date agreeing
    assert decision(0.9999, no_identifier) == "review"
    assert decision(AUTO_MERGE, [0, 0, 0, 0, 0, 0]) == "merged"
    assert decision(REVIEW - 0.01, [0, 0, 0, 0, 0, 0]) == "distinct"


def test_estimation_learns_from_the_pairs_without_labels():
    rng = np.random.default_rng(1)
    matches = np.column_stack(
        [
            rng.choice(2, 300),
            np.zeros(300, int),
            rng.choice(2, 300),
            np.zeros(300, int),
            np.zeros(300, int),
            np.zeros(300, int),
        ]
    )
    others = np.column_stack(
        [np.full(900, 4), np.full(900, 2), rng.choice(3, 900), np.full(900, 2), rng.choice(2, 900), rng.choice(5, 900)]
    )
    model = estimate(np.vstack([matches, others]), DEFAULT_MODEL.u)
    assert 0.15 < model.prior < 0.35
    p = model.probabilities(np.vstack([matches[:5], others[:5]]))
    assert (p[:5] > 0.99).all() and (p[5:] < 0.01).all()


def _person(pid: int, status: Status = Status.CONTACT, document: bool = True):
    details = PersonDetails(
        "张伟", COMMUNITY, Document(DocumentType.RESIDENT_ID, id_number(seq=100 + pid)) if document else None
    )
    person, event = identify(details, status, Stamp(AT, AT, "t", "s"))
    return replace(person, id=pid), event


def test_a_merged_away_record_is_a_pointer_and_its_unmerge_replays_to_the_state_before():
    person, first = _person(2, Status.SUSPECTED)
    later = datetime(2020, 2, 10, 5, 0, tzinfo=UTC)
    merged = PersonEvent(EventKind.MERGED, Stamp(later, later, "t", "linkage"), {"role": MERGED_AWAY, "other": 1})
    away = replay([first, merged])
    assert (away.status, away.placement, away.waiting_since) == (Status.EXCLUDED, Placement.LEFT, None)
    back = PersonEvent(
        EventKind.UNMERGED, Stamp(later, later, "t", "linkage"), {"role": MERGED_AWAY, "state": state_data(person)}
    )
    restored = replay([first, merged, back])
    assert replace(restored, version=0) == replace(person, id=None, version=0)


@pytest.mark.parametrize("with_document", [True, False])
def test_the_survivor_is_the_record_further_towards_a_bed_then_the_one_with_an_id_number(with_document):
    a, _ = _person(1, Status.CONTACT, document=with_document)
    b, _ = _person(2, Status.SUSPECTED, document=True)
    assert survivor_first(a, b)[0].id == (1 if with_document else 2)
    in_bed = replace(
        a, placement=Placement.ADMITTED, facility_code="Q1", bed_type="quarantine_room", waiting_since=None
    )
    assert survivor_first(in_bed, b)[0].id == 1
