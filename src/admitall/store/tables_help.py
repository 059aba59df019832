"""Public help requests (求助登记, issue 16 §1): what a resident asked, the trail a request leaves as its community
acts on it, and the throttle that holds across workers (services.help_requests). They share the schema's metadata
(store.tables); migration 0023_help_requests creates them."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table

from admitall.store.tables import UTCDateTime, metadata

# one row per request. `number` is what the resident is told (random, unique); `code_hash` the keyed hash of the
# follow code they were given with it (the code itself is never stored). The community chosen owns the request
# from the start; `person_id` is the registry's person it was linked to (services.help_requests.link_request).
help_requests = Table(
    "help_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(10), nullable=False, unique=True),
    Column("code_hash", String(64), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("for_whom", String(10), nullable=False),
    Column("name", String(60), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("document_type", String(20), nullable=True),
    Column("document_number", String(24), nullable=True),
    Column("address", String(200), nullable=False),
    Column("symptoms", String(500), nullable=False, server_default=""),
    Column("symptoms_since", String(10), nullable=True),
    Column("breathless", Boolean, nullable=False),
    Column("fever_days", Integer, nullable=True),
    Column("age", Integer, nullable=True),
    Column("chronic", Boolean, nullable=False),
    Column("told_contact", Boolean, nullable=False),
    Column("tested_positive", Boolean, nullable=False),
    # critical (breathless) or normal: the deadline follows from it (policy: help_request_hours)
    Column("urgency", String(10), nullable=False),
    Column("deadline_at", UTCDateTime(), nullable=False),
    # open until closed with a reason; acted_at: the community's first action (stops the clock)
    Column("state", String(10), nullable=False),
    Column("acted_at", UTCDateTime(), nullable=True),
    Column("closed_at", UTCDateTime(), nullable=True),
    Column("close_reason", String(20), nullable=True),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=True),
    Column("matched_by", String(20), nullable=True),
    Column("linked_at", UTCDateTime(), nullable=True),
    Column("repeats", Integer, nullable=False, server_default="0"),
    Index("ix_help_requests_unit_state", "unit_code", "state", "deadline_at"),
    Index("ix_help_requests_dup", "phone", "unit_code", "state"),
    Index("ix_help_requests_state_received", "state", "received_at"),
    Index("ix_help_requests_linked", "linked_at"),
)

# the request's trail: received, assigned (to its community), linked, called, visited, registered, fever_clinic,
# repeated, closed — what the public status page shows (by kind and place, never the free text)
help_request_events = Table(
    "help_request_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("help_requests.id"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_help_request_events_request", "request_id", "id"),
)

# one row per counted attempt: `kind` phone (a submission; key the phone's hash), address (a submission; key the
# client address) or status (a failed status look-up; key the client address)
help_throttle = Table(
    "help_throttle",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("key", String(64), nullable=False),
    Index("ix_help_throttle_kind_key_at", "kind", "key", "at"),
)
