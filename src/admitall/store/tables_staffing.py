"""Staff on the roster and medical teams (issue 18 §2): what a facility's staffed beds are counted from.

- `staff_members`: one row per person on the roster — name, role (domain.staffing.StaffRole), the site they work at
  (a facility code or a unit code), the team they came with (nullable), phone and ID number (masked for masked
  roles), the days they are on the roster (`active_from`, `active_until` inclusive, NULL: still on it) and their
  registry record if they fall ill (`person_id`).
- `medical_teams`: a team sent from elsewhere (e.g. a province's team of 130) assigned to a facility, counting
  there from its arrival day to its departure day (inclusive; NULL: still there); `medical_team_headcounts` holds
  its headcount by role, so 130 people need no 130 roster rows (individual members may still be added with
  `team_id`; a team's headcount already counts them, see services.staffing.headcount).
They share the schema's metadata (store.tables).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table

from admitall.store.tables import UTCDateTime, _in, metadata

STAFF_ROLES = ("doctor", "nurse", "icu_doctor", "icu_nurse", "community_worker", "technician", "other")
STAFF_SOURCES = ("desk", "import")

medical_teams = Table(
    "medical_teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("origin", String(60), nullable=False),  # where it was sent from, e.g. "Jiangsu"
    Column("facility_code", String(40), ForeignKey("facilities.code"), nullable=False, index=True),
    Column("arrives_on", Date, nullable=False),
    Column("departs_on", Date, nullable=True),
    Column("created_by", String(60), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("departs_on IS NULL OR departs_on >= arrives_on", name="dates"),
)

medical_team_headcounts = Table(
    "medical_team_headcounts",
    metadata,
    Column("team_id", Integer, ForeignKey("medical_teams.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(20), primary_key=True),
    Column("headcount", Integer, nullable=False),
    CheckConstraint(_in("role", STAFF_ROLES), name="role"),
    CheckConstraint("headcount >= 0", name="headcount_not_negative"),
)

staff_members = Table(
    "staff_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("site_code", String(40), nullable=False),  # a facility code or a unit code
    Column("team_id", Integer, ForeignKey("medical_teams.id"), nullable=True),
    Column("phone", String(30), nullable=True),
    Column("id_number", String(30), nullable=True),
    Column("active_from", Date, nullable=False),
    Column("active_until", Date, nullable=True),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=True),
    Column("source", String(10), nullable=False),
    Column("created_by", String(60), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("role", STAFF_ROLES), name="role"),
    CheckConstraint(_in("source", STAFF_SOURCES), name="source"),
    CheckConstraint("active_until IS NULL OR active_until >= active_from", name="dates"),
    Index("ix_staff_members_site_code_role", "site_code", "role"),
    Index("ix_staff_members_team_id", "team_id"),
    Index("ix_staff_members_person_id", "person_id"),
)
