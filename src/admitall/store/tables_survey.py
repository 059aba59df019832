"""The door-to-door survey (拉网式排查, issue 17 §3): households, campaigns and the visits teams record.

- `survey_households`: the addresses of a community a team visits, imported from a list or added as they go.
- `survey_campaigns` (+ `survey_campaign_units`): a survey set by a district or HQ over some units for some days,
  with what counts as done for a household: visited, or found nobody home `absent_visits_done` times (0: only a
  visit with someone home counts).
- `survey_visits`: one per visit, stored once per idempotency `key` (a phone that sends a visit twice stores it
  once); `survey_visit_people`: who was at home, their temperature, symptoms and the category the visit found,
  with the person the registration stored them as (None when nobody was registered: healthy at home).
They share the schema's metadata (store.tables).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from admitall.store.tables import UTCDateTime, metadata

VISIT_OUTCOMES = ("visited", "absent")
FOUND_CATEGORIES = ("none", "contact", "fever", "suspected", "confirmed")

survey_households = Table(
    "survey_households",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("address", String(200), nullable=False),
    Column("label", String(100), nullable=False, server_default=""),  # e.g. the householder's surname
    Column("added_by", String(60), nullable=False),
    Column("added_at", UTCDateTime(), nullable=False),
    Column("source", String(10), nullable=False),  # import | team
    CheckConstraint("source IN ('import', 'team')", name="source"),
    UniqueConstraint("community_code", "address"),
)

survey_campaigns = Table(
    "survey_campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("absent_visits_done", Integer, nullable=False),
    Column("set_by", String(60), nullable=False),
    Column("set_unit", String(12), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("ends_on >= starts_on", name="dates"),
    CheckConstraint("absent_visits_done >= 0", name="absent_visits"),
)

survey_campaign_units = Table(
    "survey_campaign_units",
    metadata,
    Column("campaign_id", Integer, ForeignKey("survey_campaigns.id"), primary_key=True),
    Column("unit_code", String(12), ForeignKey("units.code"), primary_key=True),
)

survey_visits = Table(
    "survey_visits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("campaign_id", Integer, ForeignKey("survey_campaigns.id"), nullable=True),
    Column("household_id", Integer, ForeignKey("survey_households.id"), nullable=False),
    Column("community_code", String(12), nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("people_home", Integer, nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),  # in the field, as the phone said
    Column("received_at", UTCDateTime(), nullable=False),  # by the server
    Column("recorded_by", String(60), nullable=False),
    Column("note", Text, nullable=True),
    CheckConstraint("outcome IN ('visited', 'absent')", name="outcome"),
    CheckConstraint("people_home >= 0 AND (outcome = 'visited' OR people_home = 0)", name="people_home"),
    Index("ix_survey_visits_household_id", "household_id"),
    Index("ix_survey_visits_campaign_id_community_code", "campaign_id", "community_code"),
)

survey_visit_people = Table(
    "survey_visit_people",
    metadata,
    Column("visit_id", Integer, ForeignKey("survey_visits.id"), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False, server_default=""),
    Column("temperature", Float, nullable=True),
    Column("symptoms", String(200), nullable=False, server_default=""),
    Column("category", String(12), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=True),
    # the reference the registration knows them by (source "survey"): a later visit finds the same person by it
    Column("source_ref", String(100), nullable=True),
    CheckConstraint("category IN ('none', 'contact', 'fever', 'suspected', 'confirmed')", name="category"),
    Index("ix_survey_visit_people_person_id", "person_id"),
)
