"""The demo's and the twin's people get realistic Chinese names and mobile numbers, the same for the same seed
and number, and never one number for two people of a run (the registry would take them for one person)."""

import re
from collections import Counter

from admitall.domain.identity import normalize_phone
from admitall.domain.names import (
    FEMALE_GIVEN,
    MALE_GIVEN,
    SURNAME_SHARES,
    SURNAMES,
    mobile_phone,
    person_name,
)


def test_a_name_depends_only_on_the_seed_and_the_number():
    assert person_name(2020, 17, male=True) == person_name(2020, 17, male=True)
    names = {person_name(2020, n, male=True) for n in range(200)}
    assert len(names) > 150
    assert {person_name(7, n, male=True) for n in range(200)} != names


def test_names_are_a_common_surname_and_a_given_name_of_one_or_two_characters_for_the_sex():
    for n in range(2000):
        male = n % 2 == 0
        name = person_name(1, n, male=male)
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", name), name
        assert name[0] in SURNAMES
        assert all(c in (MALE_GIVEN if male else FEMALE_GIVEN) for c in name[1:]), name
        assert not name.startswith("模拟")
    lengths = Counter(len(person_name(1, n, male=True)) - 1 for n in range(5000))
    assert 0.1 < lengths[1] / 5000 < 0.3 and lengths[1] + lengths[2] == 5000


def test_surnames_are_drawn_by_how_common_they_are():
    drawn = Counter(person_name(3, n, male=n % 2 == 0)[0] for n in range(40_000))
    top = [s for s, _ in drawn.most_common(5)]
    assert set(top) == {"王", "李", "张", "刘", "陈"}
    share = dict(SURNAME_SHARES)
    total = sum(share.values())
    for surname in ("王", "刘", "黄", "郭", "罗"):
        expected = 40_000 * share[surname] / total
        assert abs(drawn[surname] - expected) < 0.15 * expected, surname
    assert len(set(SURNAMES)) == len(SURNAMES) == 100


def test_mobile_numbers_are_valid_and_never_shared_within_a_run():
    phones = [mobile_phone(2020, n) for n in range(100_000)]
    assert len(set(phones)) == len(phones)
    assert all(normalize_phone(p) == p for p in phones[:2000])
    assert mobile_phone(2020, 5) == mobile_phone(2020, 5) != mobile_phone(2021, 5)
    assert len({p[:3] for p in phones}) > 20
