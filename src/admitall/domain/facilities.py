"""Facilities and their bed pools, and what a change of a person's placement does to the bed counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from admitall.domain.labels import LabeledEnum
from admitall.domain.people import Person, Placement


class FacilityType(LabeledEnum):
    DESIGNATED_HOSPITAL = ("designated_hospital", "定点医院", "designated hospital", "red")
    SHELTER_HOSPITAL = ("shelter_hospital", "方舱医院", "shelter hospital", "orange")
    ISOLATION_POINT = ("isolation_point", "隔离点", "isolation point", "yellow")
    QUARANTINE_SITE = ("quarantine_site", "集中隔离点", "quarantine site", "blue")
    FEVER_CLINIC = ("fever_clinic", "发热门诊", "fever clinic", "purple")
    RECOVERY_STATION = ("recovery_station", "康复驿站", "recovery station", "green")


class BedType(LabeledEnum):
    ICU = ("icu", "重症监护床", "ICU bed", "red")
    SEVERE = ("severe", "重症床", "severe-care bed", "orange")
    GENERAL = ("general", "普通病床", "general ward bed", "yellow")
    SHELTER = ("shelter", "方舱床位", "shelter bed", "teal")
    SINGLE_ROOM = ("single_room", "单人隔离间", "single isolation room", "purple")
    QUARANTINE_ROOM = ("quarantine_room", "隔离观察房间", "quarantine room", "blue")
    OBSERVATION = ("observation", "留观床", "observation bed", "indigo")
    RECOVERY_ROOM = ("recovery_room", "康复驿站房间", "recovery room", "green")


FACILITY_BED_TYPES: dict[FacilityType, tuple[BedType, ...]] = {
    FacilityType.DESIGNATED_HOSPITAL: (BedType.ICU, BedType.SEVERE, BedType.GENERAL),
    FacilityType.SHELTER_HOSPITAL: (BedType.SHELTER,),
    FacilityType.ISOLATION_POINT: (BedType.SINGLE_ROOM,),
    FacilityType.QUARANTINE_SITE: (BedType.QUARANTINE_ROOM,),
    FacilityType.FEVER_CLINIC: (BedType.OBSERVATION,),
    FacilityType.RECOVERY_STATION: (BedType.RECOVERY_ROOM,),
}


@dataclass(frozen=True)
class Facility:
    code: str
    name: str
    type: FacilityType
    unit_code: str
    lat: float | None = None
    lon: float | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    # how many people it can admit in an hour (its desk, its wards); None: no limit
    admissions_per_hour: int | None = None

    def is_open(self, at: datetime) -> bool:
        """A facility planned to open counts only from its opening; a closed one no more."""
        return (self.opens_at is None or self.opens_at <= at) and (self.closes_at is None or at < self.closes_at)


@dataclass(frozen=True)
class BedPool:
    facility_code: str
    bed_type: BedType
    capacity: int
    occupied: int = 0
    reserved: int = 0
    out_of_service: int = 0

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.occupied - self.reserved - self.out_of_service)


Pool = tuple[str, str]  # (facility code, bed type)


def _beds_of(p: Person) -> Counter[tuple[Pool, str]]:
    """The beds a person takes up: ((facility, bed type), 'occupied' | 'reserved') → 1."""
    taken: Counter[tuple[Pool, str]] = Counter()
    if p.facility_code is not None and p.bed_type is not None:
        state = "occupied" if p.placement is Placement.ADMITTED else "reserved"
        taken[((p.facility_code, p.bed_type), state)] += 1
    if p.held_facility_code is not None and p.held_bed_type is not None:
        taken[((p.held_facility_code, p.held_bed_type), "occupied")] += 1
    return taken


def bed_changes(before: Person | None, after: Person) -> dict[Pool, tuple[int, int]]:
    """What a change of placement does to the pools: (facility, bed type) → (Δ occupied, Δ reserved).

    Derived from the beds the person takes up before and after, so every transition of the state machine —
    assignment, admission, refusal, transfer, discharge, death — moves the counts the same way.
    """
    old = _beds_of(before) if before is not None else Counter()
    new = _beds_of(after)
    changes: dict[Pool, list[int]] = {}
    for (pool, state), n in (new - old).items():
        changes.setdefault(pool, [0, 0])[0 if state == "occupied" else 1] += n
    for (pool, state), n in (old - new).items():
        changes.setdefault(pool, [0, 0])[0 if state == "occupied" else 1] -= n
    return {pool: (d[0], d[1]) for pool, d in changes.items() if d != [0, 0]}
