"""What the admission engine takes in and gives back. Plain values: no database, no clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from admitall.domain.facilities import BedType
from admitall.domain.policy import Policy, PriorityClass


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
    """Free beds of one type in one facility that is open now."""

    facility_code: str
    bed_type: BedType
    free: int
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Snapshot:
    """Who waits, which beds are free, the policy — and, for a facility with an hourly admission rate, how many
    more people it can take in this clock hour (a facility not in `admission_slots` has no limit)."""

    candidates: Sequence[Candidate]
    pools: Sequence[FreePool]
    policy: Policy
    admission_slots: Mapping[str, int] = field(default_factory=dict)


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
    unplaced: tuple[Unplaced, ...]
    objective: Objective
    waiting_by_class: Mapping[PriorityClass, int] = field(default_factory=dict)
    placed_by_class: Mapping[PriorityClass, int] = field(default_factory=dict)
    admission_slots: Mapping[str, int] = field(default_factory=dict)  # as the snapshot gave them
    stats: Mapping[str, int] = field(default_factory=dict)
