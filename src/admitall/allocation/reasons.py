"""Why each person was placed where they were, or not placed: said in Chinese and English."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from admitall.allocation.model import FreePool
from admitall.domain.facilities import BedType
from admitall.domain.policy import Policy, PriorityClass
from admitall.domain.staffing import StaffRole


@dataclass(frozen=True)
class Blocked:
    """Beds free in the wards that nobody can be placed in, by bed type: for want of staff on shift (by the role
    that runs out) or of a critical supply (by the item's Chinese and English name)."""

    unstaffed: Counter[tuple[BedType, StaffRole]] = field(default_factory=Counter)
    unsupplied: Counter[tuple[BedType, tuple[str, str]]] = field(default_factory=Counter)


def blocked_beds(pools: Sequence[FreePool]) -> Blocked:
    blocked = Blocked()
    for p in pools:
        if p.unstaffed > 0 and p.short_role is not None:
            blocked.unstaffed[(p.bed_type, p.short_role)] += p.unstaffed
        if p.unsupplied > 0 and p.short_item is not None:
            blocked.unsupplied[(p.bed_type, p.short_item)] += p.unsupplied
    return blocked


def _limits(beds: Sequence[BedType], blocked: Blocked) -> tuple[str, str]:
    """'ICU bed free but no ICU nurse on shift (3)'; empty when no bed of these types is held back."""
    zh: list[str] = []
    en: list[str] = []
    for (bed, role), n in sorted(blocked.unstaffed.items(), key=lambda kv: (kv[0][0].value, kv[0][1].value)):
        if bed in beds:
            zh.append(f"{bed.zh}有空床但当班没有{role.zh}（{n} 张）")
            en.append(f"{bed.en} free but no {role.en} on shift ({n})")
    for (bed, (item_zh, item_en)), n in sorted(blocked.unsupplied.items(), key=lambda kv: (kv[0][0].value, kv[0][1])):
        if bed in beds:
            zh.append(f"{bed.zh}有空床但{item_zh}不足（{n} 张）")
            en.append(f"{bed.en} free but no {item_en} ({n})")
    return "；".join(zh), "; ".join(en)


def placed_reason(
    cls: PriorityClass,
    pool: FreePool,
    rank: int,
    km: float | None,
    is_nearest: bool,
    policy: Policy,
    blocked: Blocked | None = None,
) -> tuple[str, str]:
    """'critical, nearest free ICU bed, 4.2 km' — and when it is not the first choice, why not (with the better
    beds held back for want of staff or supplies, if any)."""
    bed = pool.bed_type
    where_zh = "最近的空闲" if is_nearest else "空闲的"
    where_en = "nearest free" if is_nearest else "free"
    distance_zh = f"{km:.1f} 公里" if km is not None else "距离未知"
    distance_en = f"{km:.1f} km" if km is not None else "distance unknown"
    zh = f"{cls.zh}，{where_zh}{bed.zh}（{pool.facility_code}），{distance_zh}"
    en = f"{cls.en}, {where_en} {bed.en} at {pool.facility_code}, {distance_en}"
    if rank > 0:
        better = policy.eligibility[cls][:rank]
        zh += f"；更优先的{'、'.join(b.zh for b in better)}已无空位可给此类"
        en += f"; no {' or '.join(b.en for b in better)} left for this class"
        held_zh, held_en = _limits(better, blocked or Blocked())
        if held_zh:
            zh += f"（{held_zh}）"
            en += f" ({held_en})"
    if not is_nearest and km is not None:
        zh += "；更近的床位已分给更优先或等待更久的人"
        en += "; nearer beds went to people of higher priority or who waited longer"
    return zh, en


def unplaced_reason(
    cls: PriorityClass,
    policy: Policy,
    free: Counter[BedType],
    admittable: Counter[BedType],
    blocked: Blocked | None = None,
) -> tuple[str, str]:
    """'no free icu or severe bed in the city'; or that the free ones are in facilities that admit no more this
    hour (their admission rate is reached); or that the free ones went to people ahead in line — and, when beds
    stand free in the wards without the staff or supplies to use them, that too."""
    zh, en = _unplaced(cls, policy, free, admittable)
    held_zh, held_en = _limits(policy.eligibility[cls], blocked or Blocked())
    if not held_zh:
        return zh, en
    if sum(free[b] for b in policy.eligibility[cls]) == 0:
        names_zh = "或".join(b.zh for b in policy.eligibility[cls])
        names_en = " or ".join(b.en for b in policy.eligibility[cls])
        return (
            f"{cls.zh}：全市没有可用的{names_zh}：{held_zh}",
            f"{cls.en}: no usable free {names_en} in the city: {held_en}",
        )
    return f"{zh}；另有{held_zh}", f"{en}; besides, {held_en}"


def _unplaced(
    cls: PriorityClass, policy: Policy, free: Counter[BedType], admittable: Counter[BedType]
) -> tuple[str, str]:
    beds = policy.eligibility[cls]
    names_zh, names_en = "或".join(b.zh for b in beds), " or ".join(b.en for b in beds)
    available = sum(free[b] for b in beds)
    open_now = min(available, sum(admittable[b] for b in beds))
    if available == 0:
        return f"{cls.zh}：全市没有空闲的{names_zh}", f"{cls.en}: no free {names_en} in the city"
    if open_now == 0:
        return (
            f"{cls.zh}：机构本小时收治已达上限（全市 {available} 张空闲的{names_zh}所在机构本小时不能再收治）",
            f"{cls.en}: facility admission rate reached (the {available} free {names_en} in the city are in "
            "facilities that can admit no one else this hour)",
        )
    if open_now < available:
        return (
            f"{cls.zh}：本小时尚可收治的 {open_now} 张空闲的{names_zh}已分给更优先或等待更久的人；"
            f"其余 {available - open_now} 张所在机构本小时收治已达上限",
            f"{cls.en}: the {open_now} free {names_en} that can still admit this hour went to people of higher "
            f"priority or who waited longer; facility admission rate reached for the other {available - open_now}",
        )
    return (
        f"{cls.zh}：全市 {available} 张空闲的{names_zh}已分给更优先或等待更久的人",
        f"{cls.en}: the {available} free {names_en} in the city went to people of higher priority or who waited longer",
    )
