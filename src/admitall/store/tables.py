"""The schema: one for SQLite and PostgreSQL, created and changed only through Alembic migrations.

The placement invariants of DESIGN.md are CHECK constraints here as well as rules in the domain, so that no
code path (or hand-written SQL) can leave a person in the four categories neither waiting nor in a bed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on both databases (SQLite keeps naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


STATUSES = ("confirmed", "suspected", "fever", "contact", "excluded", "recovered", "released", "dead")
PLACEMENTS = ("waiting", "assigned", "in_transit", "admitted", "left")
ROLES = ("admin", "commander", "unit_officer", "dispatcher", "facility_officer", "analyst")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


units = Table(
    "units",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("level", String(12), nullable=False),
    Column("parent_code", String(12), ForeignKey("units.code"), nullable=True, index=True),
    # approximate centre and resident population: weights and distances, not sourced statistics
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("population", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("length(code) = 12", name="code_length"),
    CheckConstraint(_in("level", ("province", "city", "district", "street", "community")), name="level"),
)

persons = Table(
    "persons",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False),
    Column("document_type", String(20), nullable=True),
    Column("document_number", String(24), nullable=True),
    Column("phone", String(32), nullable=True),
    Column("sex", String(6), nullable=True),
    Column("birth_date", Date, nullable=True),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("address", String(200), nullable=True),
    Column("status", String(12), nullable=False),
    Column("severity", String(10), nullable=True),
    Column("risks", String(60), nullable=False, default=""),
    Column("placement", String(12), nullable=False),
    Column("identified_at", UTCDateTime(), nullable=False),
    Column("status_since", UTCDateTime(), nullable=False),
    Column("waiting_since", UTCDateTime(), nullable=True),
    Column("facility_code", String(40), ForeignKey("facilities.code"), nullable=True),
    Column("bed_type", String(20), nullable=True),
    # the bed still occupied during a transfer to the one in facility_code/bed_type
    Column("held_facility_code", String(40), ForeignKey("facilities.code"), nullable=True),
    Column("held_bed_type", String(20), nullable=True),
    Column("version", Integer, nullable=False),
    # the hash of the person's last event (their chain's head), so that appending an event reads nothing
    Column("event_head", String(64), nullable=False, server_default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("document_type", "document_number"),
    CheckConstraint(_in("status", STATUSES), name="status"),
    CheckConstraint(_in("placement", PLACEMENTS), name="placement"),
    CheckConstraint(
        "severity IS NULL OR " + _in("severity", ("mild", "moderate", "severe", "critical")), name="severity"
    ),
    # in the four categories (or recovered, queuing for a recovery room) ⇔ not 'left'
    CheckConstraint(f"({_in('status', ('excluded', 'released', 'dead'))}) = (placement = 'left')", name="left_iff_out"),
    # waiting, assigned or in transit ⇒ a waiting-since time (kept so that a refusal keeps the place in line);
    # admitted people have one only while they wait for a transfer; people who left have none
    CheckConstraint(
        "placement NOT IN ('waiting', 'assigned', 'in_transit') OR waiting_since IS NOT NULL",
        name="queued_has_waiting_since",
    ),
    CheckConstraint("placement <> 'left' OR waiting_since IS NULL", name="left_has_no_wait"),
    CheckConstraint("(held_facility_code IS NULL) = (held_bed_type IS NULL)", name="held_bed_whole"),
    CheckConstraint(
        "held_facility_code IS NULL OR placement IN ('assigned', 'in_transit')", name="held_only_in_transfer"
    ),
    CheckConstraint(
        f"({_in('placement', ('assigned', 'in_transit', 'admitted'))}) = (facility_code IS NOT NULL)",
        name="bed_iff_facility",
    ),
    Index("ix_persons_unit_status", "unit_code", "status"),
    Index("ix_persons_phone", "phone"),
    Index("ix_persons_placement_waiting", "placement", "waiting_since"),
    Index("ix_persons_facility_placement", "facility_code", "placement"),
    # a unit range's waiting counted by category and severity from the index alone (migration 0012)
    Index("ix_persons_waiting_unit", "placement", "unit_code", "status", "severity", "waiting_since"),
    # an arrival's namesakes and same-day births in its community (services.linkage_arrivals), led by the key so
    # that no query over a range of units takes them for ix_persons_unit_status (migration 0034)
    Index("ix_persons_name_unit", "name", "unit_code"),
    Index("ix_persons_birth_unit", "birth_date", "unit_code"),
)

FACILITY_TYPES = (
    "designated_hospital",
    "shelter_hospital",
    "isolation_point",
    "quarantine_site",
    "fever_clinic",
    "recovery_station",
)
BED_TYPES = ("icu", "severe", "general", "shelter", "single_room", "quarantine_room", "observation", "recovery_room")

facilities = Table(
    "facilities",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("type", String(24), nullable=False),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False, index=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("opens_at", UTCDateTime(), nullable=True),
    Column("closes_at", UTCDateTime(), nullable=True),
    # how many people the facility can admit in an hour (its desk, its wards); NULL: no limit
    Column("admissions_per_hour", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("type", FACILITY_TYPES), name="type"),
    CheckConstraint("admissions_per_hour IS NULL OR admissions_per_hour >= 1", name="admission_rate_positive"),
    CheckConstraint("opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at", name="opens_before_closing"),
)

# occupied + reserved + out_of_service <= capacity is enforced here, so that two dispatchers reserving the last
# bed at the same moment cannot both get it: the second UPDATE fails the CHECK (or finds no row to update)
bed_pools = Table(
    "bed_pools",
    metadata,
    Column("facility_code", String(40), ForeignKey("facilities.code"), primary_key=True),
    Column("bed_type", String(20), primary_key=True),
    Column("capacity", Integer, nullable=False),
    Column("occupied", Integer, nullable=False, default=0),
    Column("reserved", Integer, nullable=False, default=0),
    Column("out_of_service", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("bed_type", BED_TYPES), name="bed_type"),
    CheckConstraint(
        "capacity >= 0 AND occupied >= 0 AND reserved >= 0 AND out_of_service >= 0", name="counts_not_negative"
    ),
    CheckConstraint("occupied + reserved + out_of_service <= capacity", name="within_capacity"),
)

person_events = Table(
    "person_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("source", String(100), nullable=False),
    Column("reason", Text, nullable=True),
    Column("data", JSON, nullable=False),
    # the chain: this event's hash over its fields and the previous event's hash (see domain.chain)
    Column("prev_hash", String(64), nullable=False, server_default=""),
    Column("hash", String(64), nullable=False, server_default=""),
    UniqueConstraint("person_id", "seq"),
    Index("ix_person_events_kind_occurred", "kind", "occurred_at"),
    # each day's chain head counts the events recorded since the last (services.chain_heads, migration 0033)
    Index("ix_person_events_recorded", "recorded_at"),
)

# A row from an outside list (source, its own reference) that has been matched to a person, so the same
# row imported again merges into the same person even when it carries no document or phone.
person_sources = Table(
    "person_sources",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("source_ref", String(100), primary_key=True),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False, index=True),
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("source", String(100), nullable=False),
    Column("filename", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("merged", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    # rows that matched a person outside the importer's jurisdiction, kept as referrals (tables_referrals)
    Column("referred", Integer, nullable=False, server_default="0"),
    Column("actor", String(60), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(60), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    # a facility officer works at one facility's admissions desk
    Column("facility_code", String(40), ForeignKey("facilities.code"), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("role", ROLES), name="role"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("actor", String(60), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target_type", String(20), nullable=True),
    Column("target_id", String(40), nullable=True),
    Column("unit_code", String(12), nullable=True, index=True),
    Column("detail", JSON, nullable=False),
    # keyed HMAC of the entry (domain.chain.audit_record), counted in the day's chain heads
    Column("hash", String(64), nullable=False, server_default=""),
    Index("ix_audit_log_target", "target_type", "target_id"),
    # the audit page filtered by who or by what, newest first: counted and paged from the index (migration 0019)
    Index("ix_audit_log_actor_id", "actor", "id"),
    Index("ix_audit_log_action_id", "action", "id"),
)

instance_secrets = Table(
    "instance_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)


reporting_schedules = Table(
    "reporting_schedules",
    metadata,
    Column("level", String(12), primary_key=True),
    Column("period_minutes", Integer, nullable=False),
    Column("grace_minutes", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("level", ("city", "district", "street", "community")), name="level"),
    CheckConstraint("period_minutes > 0 AND grace_minutes >= 0 AND grace_minutes < period_minutes", name="sane"),
)

# a submitted report is never changed: a correction is a new version that points at the one it corrects
reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("period_start", UTCDateTime(), nullable=False),
    Column("period_end", UTCDateTime(), nullable=False),
    Column("deadline", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("supersedes_id", Integer, ForeignKey("reports.id"), nullable=True),
    Column("correction_reason", Text, nullable=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("on_time", Boolean, nullable=False),
    Column("reporter", String(60), nullable=False),
    Column("attested_by", String(100), nullable=False),
    Column("idempotency_key", String(100), nullable=True, unique=True),
    Column("reported", JSON, nullable=False),
    Column("registry", JSON, nullable=False),
    Column("field", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("unit_code", "period_start", "version"),
    # with version and on_time, first receipts are counted from the index alone
    Index("ix_reports_period_receipt", "period_start", "unit_code", "version", "on_time"),
    # a unit's chain head by one backward probe; a unit's chain cannot fork (migration 0012)
    Index("ix_reports_unit_chain", "unit_code", "id", "hash"),
    Index("ix_reports_received", "received_at"),  # the day's chain head (migration 0033)
    Index("ux_reports_unit_prev", "unit_code", "prev_hash", unique=True),
    CheckConstraint("version >= 1", name="version"),
    CheckConstraint("(version = 1) = (supersedes_id IS NULL)", name="correction_points_back"),
)

report_problems = Table(
    "report_problems",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id"), nullable=False, index=True),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("type", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("needs_help", Boolean, nullable=False),
    # a problem that needs help is a tracked item owned by the unit above, due by a time
    Column("status", String(10), nullable=False),
    Column("owner_unit", String(12), ForeignKey("units.code"), nullable=True),
    Column("due_at", UTCDateTime(), nullable=True),
    Column("escalations", Integer, nullable=False, default=0),
    Column("raised_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("resolved_by", String(60), nullable=True),
    Column("resolution_note", Text, nullable=True),
    CheckConstraint(_in("status", ("noted", "open", "resolved")), name="status"),
    CheckConstraint(
        "status <> 'resolved' OR (resolution_note IS NOT NULL AND resolved_at IS NOT NULL)", name="resolution_has_note"
    ),
    Index("ix_report_problems_owner_status", "owner_unit", "status"),
    Index("ix_report_problems_status_due", "status", "due_at"),
)

discrepancies = Table(
    "discrepancies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id"), nullable=False, index=True),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("period_start", UTCDateTime(), nullable=False),
    Column("figure", String(60), nullable=False),
    Column("reported", Integer, nullable=False),
    Column("registry", Integer, nullable=False),
    Index("ix_discrepancies_unit_period", "unit_code", "period_start"),
)

# alerts: a missing report, an overdue directive, a unit without a lead; open until someone acknowledges them
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("period_start", UTCDateTime(), nullable=True),
    # the unit that must act; step 0 is the unit above the one concerned, each escalation one more level up
    Column("target_unit", String(12), ForeignKey("units.code"), nullable=True),
    Column("step", Integer, nullable=False),
    Column("consecutive", Integer, nullable=False, default=1),
    Column("raised_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("acknowledged_at", UTCDateTime(), nullable=True),
    Column("acknowledged_by", String(60), nullable=True),
    Column("ack_note", Text, nullable=True),
    Column("detail", JSON, nullable=False),
    # what else the alert is about, for kinds with several at once (the directive recipient overdue); 0 if none
    Column("subject_id", Integer, nullable=False, default=0, server_default="0"),
    # the responsible lead of the unit concerned when the alert was raised: they are told as well
    Column("official_id", Integer, ForeignKey("officials.id"), nullable=True),
    # keyed HMAC of the alert as raised (counted in the day's chain heads), and of its state now (acknowledged,
    # resolved) chained to it: domain.chain
    Column("hash", String(64), nullable=False, server_default=""),
    Column("seal", String(64), nullable=False, server_default=""),
    # an alert's life after it was raised (migration 0018_alert_running_miss), sealed with its acknowledgement:
    # a running miss (one alert per unit while its reports stay missing: how many periods, the last one), closed
    # by the report that answers it, expired into the record when a later period is reported, gone up the chain
    # (to which unit, when, how many levels), or folded into another alert of the same broken link
    Column("periods_missed", Integer, nullable=True),
    Column("last_period_start", UTCDateTime(), nullable=True),
    Column("resolved_report", Integer, nullable=True),
    Column("expired_at", UTCDateTime(), nullable=True),
    Column("escalated_to", String(12), nullable=True),
    Column("escalated_at", UTCDateTime(), nullable=True),
    Column("escalations", Integer, nullable=True),
    Column("folded_into", Integer, nullable=True),
    UniqueConstraint("kind", "unit_code", "period_start", "step", "subject_id"),
    Index("ix_alerts_target_ack", "target_unit", "acknowledged_at"),
    Index("ix_alerts_unit", "unit_code", "kind"),
    Index("ix_alerts_raised", "raised_at"),  # the day's chain head (migration 0033)
)

# one runner at a time for scheduled jobs, across every server: a lease in the database
job_locks = Table(
    "job_locks",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)


# the accountability, simulation, bulletin and census tables share this metadata; importing them here keeps the
# schema whole wherever it is read
from admitall.store import (  # noqa: E402,F401
    tables_accountability,
    tables_boundaries,
    tables_bulletin,
    tables_cadres,
    tables_census,
    tables_chains,
    tables_help,
    tables_imports,
    tables_observation,
    tables_ops,
    tables_referrals,
    tables_screens,
    tables_security,
    tables_simulation,
    tables_staffing,
    tables_supplies,
    tables_survey,
)
