"""Tracing and medical observation (issue 17): exposures (a contact to a case), each contact's observation window,
and the twice-daily checks. They share the schema's metadata (store.tables); migration 0025_contact_observation.
"""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Date, Float, ForeignKey, Index, Integer, String, Table, Text

from admitall.store.tables import UTCDateTime, metadata

SETTINGS = ("household", "work", "transport", "care")
CLOSENESS = ("close", "medium", "casual")
OBSERVATION_STATES = ("active", "converted", "released", "ended")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# a contact exposed to a case: one row per pair (a second exposure to the same case moves the date on)
exposures = Table(
    "exposures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contact_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("case_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("exposed_on", Date, nullable=False),
    Column("setting", String(12), nullable=False),
    Column("closeness", String(8), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("source", String(100), nullable=False),
    CheckConstraint(_in("setting", SETTINGS), name="setting"),
    CheckConstraint(_in("closeness", CLOSENESS), name="closeness"),
    CheckConstraint("contact_id <> case_id", name="not_self"),
    Index("ux_exposures_contact_case", "contact_id", "case_id", unique=True),
    Index("ix_exposures_case", "case_id", "contact_id"),
)

# a contact's observation: from the last exposure for the policy's days; checks are due from `due_from` (when it
# was put on record) until `ends_on`. One active observation per person (the service keeps it so).
observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("due_from", UTCDateTime(), nullable=False),
    Column("state", String(10), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
    Column("closed_reason", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("state", OBSERVATION_STATES), name="state"),
    CheckConstraint("starts_on < ends_on", name="window"),
    CheckConstraint("(state = 'active') = (closed_at IS NULL)", name="closed_iff_not_active"),
    # by person only: a team's list finds its people first (by unit or quarantine point), then their observations;
    # an index on the state would lead the planner to walk every active observation instead
    Index("ix_observations_person_state", "person_id", "state"),
)

# one check per person, day (local) and slot (domain.observation); a second one in the same slot is refused
observation_checks = Table(
    "observation_checks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("observation_id", Integer, ForeignKey("observations.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("checked_at", UTCDateTime(), nullable=False),
    Column("temperature", Float, nullable=False),
    Column("symptoms", String(120), nullable=False, server_default=""),
    Column("alarming", Boolean, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("actor", String(60), nullable=False),
    Column("team_unit", String(12), nullable=False),
    CheckConstraint("slot >= 0", name="slot"),
    CheckConstraint("temperature >= 34 AND temperature <= 43", name="temperature"),
    Index("ux_observation_checks_person_day_slot", "person_id", "day", "slot", unique=True),
    Index("ix_observation_checks_day_slot", "day", "slot", "person_id"),
)
