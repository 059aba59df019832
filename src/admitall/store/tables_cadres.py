"""Cadres sent down and staff safety (issue 18 §3 and §4); migration 0029_cadres_staff_safety.

- `cadre_assignments`: a cadre a department sent down to a community for some days (`starts_on` to `ends_on`
  inclusive; NULL: until ended), with their role there and phone (masked for masked roles); ending one sets
  `ends_on` and who ended it, nothing is deleted (domain.cadres).
- `staff_safety_events`: an exposure or an infection of a health worker (a roster row of `staff_members`) or of a
  cadre: when, where, what protection was worn, the site it counts against (a facility, or the community for a
  cadre) and the registry person it was tracked as (domain.staff_safety).
They share the schema's metadata (store.tables).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from admitall.store.tables import UTCDateTime, _in, metadata

CADRE_SOURCES = ("desk", "import")
SAFETY_KINDS = ("exposure", "infection")
PROTECTIONS = ("none", "surgical_mask", "n95", "full_ppe")

cadre_assignments = Table(
    "cadre_assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False),
    Column("department", String(100), nullable=False),
    Column("phone", String(30), nullable=True),
    Column("community_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("role", String(60), nullable=False, server_default=""),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),
    Column("source", String(10), nullable=False),
    Column("created_by", String(60), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("ended_by", String(60), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    CheckConstraint(_in("source", CADRE_SOURCES), name="source"),
    CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
    Index("ix_cadre_assignments_community_dates", "community_code", "starts_on", "ends_on"),
)

staff_safety_events = Table(
    "staff_safety_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("staff_id", Integer, ForeignKey("staff_members.id"), nullable=True),
    Column("cadre_id", Integer, ForeignKey("cadre_assignments.id"), nullable=True),
    # the facility the rate counts it against (NULL for a cadre or community staff), and the unit it is scoped by
    Column("facility_code", String(40), ForeignKey("facilities.code"), nullable=True),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("place", String(100), nullable=False, server_default=""),
    Column("protection", String(16), nullable=False),
    Column("status", String(12), nullable=True),  # an infection: suspected | confirmed
    Column("source_case_id", Integer, ForeignKey("persons.id"), nullable=True),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=True),
    Column("note", Text, nullable=True),
    Column("recorded_by", String(60), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("kind", SAFETY_KINDS), name="kind"),
    CheckConstraint(_in("protection", PROTECTIONS), name="protection"),
    CheckConstraint("(staff_id IS NULL) <> (cadre_id IS NULL)", name="one_worker"),
    CheckConstraint(
        "(kind = 'infection' AND status IN ('suspected', 'confirmed')) OR (kind = 'exposure' AND status IS NULL)",
        name="status",
    ),
    Index("ix_staff_safety_events_facility_day", "facility_code", "occurred_on"),
    Index("ix_staff_safety_events_unit_day", "unit_code", "occurred_on"),
)
