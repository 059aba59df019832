"""Made-up but realistic Chinese names and mobile numbers for the demo's and the digital twin's people.

A name is a surname drawn by how common it is (the hundred commonest surnames with their approximate shares of
the population, in the order of the household registry's published ranking; together about 87 % of people)
and a given name of one character (about one in five) or two, from characters common in men's or women's names.
Each person's name depends only on the seed and their own number, so the same run names everyone the same way
whatever order they are registered in, and naming costs nothing else's random numbers.

A phone number is a mainland mobile number (a real carrier prefix and eight digits). The eight digits are the
person's number spread over 10^8 by a multiplication that has an inverse, so two people of one run never share
a number: a name and phone pair is never taken for someone else (the registry matches people by it).
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

# (surname, approximate share of the population in per cent), commonest first
SURNAME_SHARES = (
    ("王", 7.12), ("李", 7.00), ("张", 6.74), ("刘", 5.10), ("陈", 4.61), ("杨", 3.22), ("黄", 2.45), ("赵", 2.30),
    ("吴", 2.05), ("周", 1.99), ("徐", 1.45), ("孙", 1.38), ("马", 1.29), ("朱", 1.26), ("胡", 1.16), ("郭", 1.13),
    ("何", 1.01), ("林", 0.97), ("高", 0.96), ("罗", 0.86), ("郑", 0.83), ("梁", 0.80), ("谢", 0.71), ("宋", 0.66),
    ("唐", 0.65), ("许", 0.62), ("韩", 0.60), ("邓", 0.57), ("冯", 0.57), ("曹", 0.56), ("彭", 0.54), ("曾", 0.52),
    ("肖", 0.50), ("田", 0.49), ("董", 0.48), ("潘", 0.45), ("袁", 0.45), ("蔡", 0.43), ("蒋", 0.43), ("余", 0.42),
    ("于", 0.42), ("杜", 0.40), ("叶", 0.39), ("程", 0.38), ("魏", 0.37), ("苏", 0.37), ("吕", 0.36), ("丁", 0.35),
    ("任", 0.34), ("卢", 0.33), ("姚", 0.33), ("沈", 0.33), ("钟", 0.32), ("姜", 0.32), ("崔", 0.31), ("谭", 0.30),
    ("陆", 0.29), ("范", 0.28), ("汪", 0.28), ("廖", 0.27), ("石", 0.27), ("金", 0.26), ("韦", 0.26), ("贾", 0.25),
    ("夏", 0.25), ("付", 0.24), ("方", 0.24), ("邹", 0.23), ("熊", 0.23), ("白", 0.23), ("孟", 0.22), ("秦", 0.22),
    ("邱", 0.22), ("侯", 0.21), ("江", 0.21), ("尹", 0.20), ("薛", 0.20), ("闫", 0.19), ("段", 0.19), ("雷", 0.19),
    ("龙", 0.18), ("黎", 0.18), ("史", 0.18), ("陶", 0.17), ("贺", 0.17), ("毛", 0.16), ("郝", 0.16), ("顾", 0.16),
    ("龚", 0.16), ("邵", 0.15), ("万", 0.15), ("覃", 0.15), ("武", 0.15), ("钱", 0.14), ("戴", 0.14), ("严", 0.14),
    ("莫", 0.13), ("孔", 0.13), ("向", 0.13), ("常", 0.13),
)  # fmt: skip
SURNAMES = tuple(s for s, _ in SURNAME_SHARES)
_CUMULATIVE = tuple(accumulate(share for _, share in SURNAME_SHARES))

MALE_GIVEN = "伟强磊军勇杰涛明超平刚建国志辉鹏飞俊波斌宇浩凯峰华林彬亮成龙文博晨阳海东兵锋鑫瑞泽宏鸿振家豪子轩然天佑"
FEMALE_GIVEN = "芳娜秀英敏静丽艳娟霞桂兰红玉梅燕萍莉琳洁雪婷慧颖倩琴丹蓉晶欣怡子涵雨萱梓诺佳琪思彤梦瑶悦嘉月"
SINGLE_GIVEN_SHARE = 0.2  # people whose given name is one character

# mainland mobile prefixes of the three carriers (three digits)
MOBILE_PREFIXES = tuple(
    f"{p}"
    for p in (*range(130, 140), *range(150, 154), *range(155, 160), 166, 176, 177, 178, *range(180, 190), 198, 199)
)
_SPREAD = 48_271 * 2_083  # odd and not a multiple of 5: invertible modulo 10^8


def _rng(seed: int, number: int, what: str) -> random.Random:
    return random.Random(f"{what}:{seed}:{number}")  # a string seed is hashed the same way in every process


def surname(rng: random.Random) -> str:
    """A surname drawn by its share of the population."""
    return SURNAMES[min(bisect(_CUMULATIVE, rng.uniform(0, _CUMULATIVE[-1])), len(SURNAMES) - 1)]


def given_name(rng: random.Random, male: bool) -> str:
    pool = MALE_GIVEN if male else FEMALE_GIVEN
    return "".join(rng.choice(pool) for _ in range(1 if rng.random() < SINGLE_GIVEN_SHARE else 2))


def person_name(seed: int, number: int, *, male: bool) -> str:
    """The name of person `number` of a run with `seed`: the same arguments always give the same name."""
    rng = _rng(seed, number, "name")
    return surname(rng) + given_name(rng, male)


def mobile_phone(seed: int, number: int) -> str:
    """A mainland mobile number for person `number` (0 ≤ number < 10^8): different for every number of a seed."""
    prefix = _rng(seed, number, "phone").choice(MOBILE_PREFIXES)
    offset = (seed * 2_654_435_761 + 48_271_113) % 100_000_000  # the same for every number of a seed
    return f"{prefix}{(number * _SPREAD + offset) % 100_000_000:08d}"
