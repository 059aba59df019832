"""What the admission engine takes in and gives back. Plain values: no database, no clock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, overload

from admitall.domain.facilities import BedType
from admitall.domain.policy import Policy, PriorityClass
from admitall.domain.staffing import StaffRole


class Candidate(NamedTuple):
    """A person waiting for a bed (or for a transfer), with where they are now. A named tuple: a plan makes one
    for each person waiting, and a tuple is the cheapest value to make."""

    person_id: int
    priority_class: PriorityClass
    waiting_since: datetime
    origin: str  # the unit (or, for a transfer, the facility) the person leaves from
    lat: float | None = None
    lon: float | None = None
    transfer_from: str | None = None


@dataclass(frozen=True)
class FreePool:
    """Free beds of one type in one facility that is open now: `free` counts only usable beds (issue 18: usable =
    the least of beds in service, staffed beds and what critical supplies allow, less those occupied or reserved).
    `unstaffed` and `unsupplied` count the beds free in the ward that the staff on shift cannot cover (the role
    `short_role` runs out) or the supplies cannot serve (the item `short_item`, its Chinese and English name): the
    engine never places anyone in them, and its reasons say so. A pool with no usable free bed may still be given
    for its reasons."""

    facility_code: str
    bed_type: BedType
    free: int
    lat: float | None = None
    lon: float | None = None
    unstaffed: int = 0
    short_role: StaffRole | None = None
    unsupplied: int = 0
    short_item: tuple[str, str] | None = None


@dataclass(frozen=True)
class WaitingGroup:
    """The people of one class waiting at one origin, oldest first (by waiting since, then id): everyone in it has
    the same choices at the same costs. A caller that keeps its waiting list grouped this way passes the groups
    (`Snapshot.groups`) instead of a candidate per person, and a plan then costs the groups and the people it
    places, not everyone waiting. The members' own origin and place are the group's."""

    priority_class: PriorityClass
    origin: str
    lat: float | None
    lon: float | None
    members: Sequence[Candidate]


@dataclass(frozen=True)
class Snapshot:
    """Who waits, which beds are free, the policy — and, for a facility with an hourly admission rate, how many
    more people it can take in this clock hour (a facility not in `admission_slots` has no limit).

    Who waits is `candidates`, `groups` (kept grouped by the caller), or both: a candidate whose class and origin
    are a group's joins that group."""

    candidates: Sequence[Candidate]
    pools: Sequence[FreePool]
    policy: Policy
    admission_slots: Mapping[str, int] = field(default_factory=dict)
    groups: Sequence[WaitingGroup] = ()


class Assignment(NamedTuple):
    person_id: int
    priority_class: PriorityClass
    facility_code: str
    bed_type: BedType
    preference: int  # 0 for the most preferred bed type of the class
    distance_km: float | None
    reason_zh: str
    reason_en: str


class Unplaced(NamedTuple):
    person_id: int
    priority_class: PriorityClass
    reason_zh: str
    reason_en: str


class UnplacedPeople(Sequence[Unplaced]):
    """The people a plan leaves waiting, in the plan's order, made only when read: a group's unplaced are its
    members after the placed ones, all with the group's reason. Counting them or listing the first few costs no
    more than that, however many wait."""

    def __init__(self, parts: Sequence[tuple[Sequence[Candidate], int, PriorityClass, str, str]] = ()) -> None:
        self._parts = [p for p in parts if len(p[0]) > p[1]]  # (members, first unplaced, class, reason zh, en)
        self._len = sum(len(members) - start for members, start, *_ in self._parts)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Unplaced]:
        for members, start, cls, zh, en in self._parts:
            for i in range(start, len(members)):
                yield Unplaced(members[i].person_id, cls, zh, en)

    @overload
    def __getitem__(self, index: int) -> Unplaced: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Unplaced, ...]: ...

    def __getitem__(self, index: int | slice) -> Unplaced | tuple[Unplaced, ...]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._len)
            if step != 1:
                return tuple(self)[index]
            return tuple(self._between(start, stop))
        position = index + self._len if index < 0 else index
        if not 0 <= position < self._len:
            raise IndexError(index)
        return self._between(position, position + 1)[0]

    def _between(self, start: int, stop: int) -> list[Unplaced]:
        found: list[Unplaced] = []
        offset = 0
        for members, first, cls, zh, en in self._parts:
            size = len(members) - first
            low, high = max(start - offset, 0), min(stop - offset, size)
            found.extend(Unplaced(members[first + i].person_id, cls, zh, en) for i in range(low, high))
            offset += size
            if offset >= stop:
                break
        return found

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UnplacedPeople | tuple | list):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"UnplacedPeople({len(self)} people)"


@dataclass(frozen=True)
class Objective:
    """The lexicographic objective: people placed per class (highest first), then the total preference rank
    (lower is better), then the total travel in units of 100 m (lower is better)."""

    placed: tuple[int, ...]
    preference: int
    travel: int


@dataclass(frozen=True)
class Plan:
    assignments: tuple[Assignment, ...]
    unplaced: Sequence[Unplaced]
    objective: Objective
    waiting_by_class: Mapping[PriorityClass, int] = field(default_factory=dict)
    placed_by_class: Mapping[PriorityClass, int] = field(default_factory=dict)
    admission_slots: Mapping[str, int] = field(default_factory=dict)  # as the snapshot gave them
    stats: Mapping[str, int] = field(default_factory=dict)
