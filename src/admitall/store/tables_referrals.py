"""Registration referrals (转交核实): a registration that matched a person outside the registrant's jurisdiction.

Such a row never changes that person and tells the registrant nothing about them; it is kept here, addressed to
the person's own unit, until someone there applies it (merges it in as a registration would) or dismisses it
with a reason. They share the schema's metadata (store.tables).
"""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text

from admitall.store.tables import UTCDateTime, metadata

REFERRAL_STATES = ("open", "applied", "dismissed")

registration_referrals = Table(
    "registration_referrals",
    metadata,
    Column("id", Integer, primary_key=True),
    # the matched person, and their unit when the row came in: the unit the referral is addressed to
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    # how the row matched: document, name_phone or source (shown only to the person's own unit)
    Column("matched_by", String(12), nullable=False),
    Column("submitted_by", String(60), nullable=False),
    Column("submitted_unit", String(12), nullable=True),  # the registrant's jurisdiction; None for the console
    Column("submitted_at", UTCDateTime(), nullable=False),
    Column("source", String(100), nullable=False),
    Column("filename", String(300), nullable=False, server_default=""),
    Column("row", Integer, nullable=True),
    # the row's fields as submitted (with the time of identification the registration gave them)
    Column("fields", JSON, nullable=False),
    Column("state", String(10), nullable=False, server_default="open"),
    Column("decided_by", String(60), nullable=True),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("reason", Text, nullable=True),
    CheckConstraint("state IN ('open', 'applied', 'dismissed')", name="state"),
    CheckConstraint("(state = 'open') = (decided_at IS NULL)", name="decided_iff_closed"),
    Index("ix_registration_referrals_unit_state", "unit_code", "state"),
    Index("ix_registration_referrals_person", "person_id"),
)
