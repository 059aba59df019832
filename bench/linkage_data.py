"""The linkage benchmark's test set: N records of which a share are second records of a person already in the set,
carrying the errors real lists make, with the truth known (each record's person number).

People: names from `admitall.domain.names` (surnames by frequency, a small pool of given-name characters, so many
different people share a name), a valid resident ID number (region of their district, birth date, sex, check
character), a mobile, an address in their community. Households: about a third of people live with another
person of the set (same surname, same address, often the same phone, their own ID and birth date) — the hard
case for precision. Some first records lack the ID number or the phone already.

A duplicate (second list naming the same person) gets, independently:
- name: a homophone character (伟→维), a wrong character, the name typed in pinyin, or unchanged;
- ID number: missing, one digit wrong, two neighbouring digits swapped, or unchanged;
- phone: missing, a changed number, the same last 8 digits with another prefix, or unchanged;
- birth date: missing, one part wrong, or unchanged (and sex missing at times);
- place: the same community, with the address written differently at times, or a neighbouring community.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from pypinyin import Style, lazy_pinyin

from admitall.domain.identity import check_character
from admitall.domain.linkage import LinkRecord
from admitall.domain.names import MOBILE_PREFIXES, given_name, surname

# common characters of given names and their homophones, for the errors people make typing by sound
_POOL = (
    "伟维玮薇卫为强墙磊蕾雷军君俊峻骏勇涌杰洁捷婕涛韬滔明鸣铭敏民超潮朝平萍苹屏刚钢岗建健剑国果志智芝之辉慧惠晖"
    "鹏朋飞菲非斐波博柏斌彬宾宇雨玉羽语浩昊皓好凯恺峰锋丰枫风华桦林琳霖玲灵凌亮靓成诚城程龙隆文雯闻博阳杨洋扬"
    "海东冬栋兵冰锋鑫欣新馨心瑞锐泽择宏红鸿虹洪振震家佳嘉加豪毫子梓紫轩萱宣然冉天田佑友芳方娜纳秀英莹颖迎静晶"
    "敬婧丽莉立力艳燕岩娟涓霞侠桂贵兰岚蓝梅玫美婷庭亭倩茜琴勤芹丹单蓉荣容怡宜仪涵寒晗诺琪琦奇棋思斯彤桐梦蒙瑶遥"
    "悦月越岳"
)


def _homophones() -> dict[str, list[str]]:
    by_sound: dict[str, list[str]] = {}
    for ch in dict.fromkeys(_POOL):
        by_sound.setdefault(lazy_pinyin(ch, style=Style.NORMAL)[0], []).append(ch)
    return {ch: [o for o in group if o != ch] for group in by_sound.values() for ch in group if len(group) > 1}


HOMOPHONES = _homophones()
STREETS = (
    "解放大道",
    "中山大道",
    "建设大道",
    "武珞路",
    "珞喻路",
    "沿江大道",
    "黄浦大街",
    "友谊大道",
    "和平大道",
    "民主路",
)


@dataclass(frozen=True)
class Truth:
    records: list[LinkRecord]
    person_of: list[int]  # each record's person number
    duplicates: int


def _id_number(rng: random.Random, region: str, born: date, male: bool, taken: set[str]) -> str:
    """A valid number no one else of the set has (ID numbers are unique: the sequence is drawn again)."""
    while True:
        seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
        first17 = f"{region}{born:%Y%m%d}{seq:03d}"
        if first17 not in taken:
            taken.add(first17)
            return first17 + check_character(first17)


def _typo_digit(rng: random.Random, number: str) -> str:
    i = rng.randrange(len(number) - 1)
    digit = rng.choice([d for d in "0123456789" if d != number[i]])
    return number[:i] + digit + number[i + 1 :]


def _swap_digits(rng: random.Random, number: str) -> str:
    for _ in range(10):
        i = rng.randrange(len(number) - 2)
        if number[i] != number[i + 1]:
            return number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    return _typo_digit(rng, number)


def _name_variant(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.30:
        spots = [i for i, ch in enumerate(name) if ch in HOMOPHONES and i > 0]
        if spots:
            i = rng.choice(spots)
            return name[:i] + rng.choice(HOMOPHONES[name[i]]) + name[i + 1 :]
    elif roll < 0.42:
        i = rng.randrange(1, len(name))
        return name[:i] + rng.choice(_POOL) + name[i + 1 :]
    elif roll < 0.50:
        syllables = lazy_pinyin(name, style=Style.NORMAL)
        return " ".join([syllables[0].capitalize(), "".join(syllables[1:]).capitalize()])
    return name


def _address(rng: random.Random) -> str:
    return f"{rng.choice(STREETS)}{rng.randrange(1, 999)}号{rng.randrange(1, 30)}栋{rng.randrange(1, 6)}单元{rng.randrange(1, 33)}{rng.randrange(1, 5):02d}室"


def _address_variant(rng: random.Random, address: str) -> str:
    roll = rng.random()
    if roll < 0.15:
        return address.replace("单元", "-").replace("栋", "-").replace("室", "")
    if roll < 0.25:
        return address.replace("号", "号院")
    return address


def generate(n: int, duplicate_share: float = 0.05, seed: int = 16, communities: int = 3500) -> Truth:
    """`n` records, `duplicate_share` of them second records of a person among the first ones."""
    rng = random.Random(seed)
    units = [f"4201{d:02d}{s:03d}{c:03d}" for d in range(2, 15) for s in range(1, 15) for c in range(1, 21)]
    units = units[:communities]
    n_dup = int(n * duplicate_share)
    n_people = n - n_dup
    records: list[LinkRecord] = []
    person_of: list[int] = []
    start = date(1935, 1, 1)
    prefixes = MOBILE_PREFIXES
    household: tuple[str, str, str, str] | None = None  # surname, unit, address, phone of the last household
    taken: set[str] = set()
    for p in range(n_people):
        male = rng.random() < 0.5
        if household is not None and rng.random() < 0.33:
            family, unit, address, phone = household
            if rng.random() < 0.4:
                phone = f"{rng.choice(prefixes)}{rng.randrange(10**8):08d}"
            household = None
        else:
            family, unit = surname(rng), rng.choice(units)
            address, phone = _address(rng), f"{rng.choice(prefixes)}{rng.randrange(10**8):08d}"
            household = (family, unit, address, phone)
        born = start + timedelta(days=rng.randrange(30000))
        document: str | None = _id_number(rng, unit[:6], born, male, taken)
        if rng.random() < 0.08:
            document = None
        records.append(
            LinkRecord(
                id=p,
                name=family + given_name(rng, male),
                unit_code=unit,
                document=document,
                phone=phone if rng.random() > 0.05 else None,
                sex="male" if male else "female",
                birth_date=born if rng.random() > 0.1 else None,
                address=address,
            )
        )
        person_of.append(p)
    for k in range(n_dup):
        p = rng.randrange(n_people)
        o = records[p]
        document = o.document
        roll = rng.random()
        if document is not None:
            if roll < 0.30:
                document = None
            elif roll < 0.42:
                document = _typo_digit(rng, document)
            elif roll < 0.52:
                document = _swap_digits(rng, document)
        phone = o.phone
        roll = rng.random()
        if roll < 0.15:
            phone = None
        elif roll < 0.35:
            phone = f"{rng.choice(prefixes)}{rng.randrange(10**8):08d}"
        elif roll < 0.42 and phone is not None:
            phone = rng.choice([x for x in prefixes if x != phone[:3]]) + phone[3:]
        born_given = o.birth_date
        roll = rng.random()
        if roll < 0.2:
            born_given = None
        elif roll < 0.27 and born_given is not None:
            born_given = born_given + timedelta(days=rng.choice((-365, 365, -30, 30, 1, -1)))
        unit = o.unit_code
        if rng.random() < 0.05:
            unit = unit[:9] + f"{(int(unit[9:]) % 20) + 1:03d}"
        records.append(
            LinkRecord(
                id=n_people + k,
                name=_name_variant(rng, o.name),
                unit_code=unit,
                document=document,
                phone=phone,
                sex=o.sex if rng.random() > 0.3 else None,
                birth_date=born_given,
                address=_address_variant(rng, o.address) if o.address and rng.random() > 0.1 else None,
            )
        )
        person_of.append(p)
    order = list(range(n))
    rng.shuffle(order)  # the second records arrive mixed with the first ones
    shuffled = [records[i] for i in order]
    return Truth(
        [LinkRecord(i, *(getattr(r, f) for f in _FIELDS)) for i, r in enumerate(shuffled)],
        [person_of[i] for i in order],
        n_dup,
    )


_FIELDS = ("name", "unit_code", "document", "phone", "sex", "birth_date", "address")
