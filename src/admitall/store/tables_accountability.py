"""Tables of responsibility and accountability: officials, lead assignments, directives, waits, scorecards.

They share the schema's metadata (store.tables), so one migration history covers them all.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
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
    text,
)

from admitall.store.tables import UTCDateTime, _in, alerts, metadata

officials = Table(
    "officials",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False),
    Column("title", String(60), nullable=False),
    Column("home_unit", String(12), ForeignKey("units.code"), nullable=False, index=True),
    Column("phone", String(32), nullable=True),
    # the user account that signs in as this official (a plain name: users may come and go)
    Column("username", String(60), nullable=True, unique=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# who led which unit when; at most one open assignment per unit (the database says so too)
lead_assignments = Table(
    "lead_assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("official_id", Integer, ForeignKey("officials.id"), nullable=False, index=True),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=True),
    Column("assigned_by", String(60), nullable=False),
    Column("reason", Text, nullable=True),
    CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    Index("ix_lead_assignments_unit_starts", "unit_code", "starts_at"),
    Index(
        "uq_lead_assignments_one_open_per_unit",
        "unit_code",
        unique=True,
        sqlite_where=text("ends_at IS NULL"),
        postgresql_where=text("ends_at IS NULL"),
    ),
)

directives = Table(
    "directives",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer", String(60), nullable=False),
    Column("issuer_unit", String(12), ForeignKey("units.code"), nullable=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("target", JSON, nullable=False),
    Column("broadcast_level", String(12), nullable=True),
    # keyed HMAC of the directive and the units it was sent to (domain.chain.directive_record)
    Column("hash", String(64), nullable=False, server_default=""),
    CheckConstraint("due_at > issued_at", name="due_after_issue"),
    Index("ix_directives_issued", "issued_at"),  # the day's chain head (migration 0033)
)

directive_recipients = Table(
    "directive_recipients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("directive_id", Integer, ForeignKey("directives.id"), nullable=False, index=True),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    # the official it was addressed to, or the unit's lead when it was issued
    Column("official_id", Integer, ForeignKey("officials.id"), nullable=True),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("status", String(14), nullable=False),
    Column("acknowledged_at", UTCDateTime(), nullable=True),
    Column("acknowledged_by", String(60), nullable=True),
    Column("completed_at", UTCDateTime(), nullable=True),
    Column("completed_by", String(60), nullable=True),
    Column("completion_note", Text, nullable=True),
    # keyed HMAC of the receipt as it stands (acknowledged, completed), chained to the directive's
    Column("seal", String(64), nullable=False, server_default=""),
    UniqueConstraint("directive_id", "unit_code"),
    Index("ix_directive_recipients_unit_status", "unit_code", "status"),
    Index("ix_directive_recipients_status_due", "status", "due_at"),
    CheckConstraint(_in("status", ("open", "acknowledged", "completed")), name="status"),
    CheckConstraint("status <> 'completed' OR completed_at IS NOT NULL", name="completed_has_time"),
)

# the waits projection (domain.waits): kept in the same transaction as the person's events
wait_segments = Table(
    "wait_segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("unit_code", String(12), nullable=False),
    Column("priority_class", String(20), nullable=False),
    Column("wait_started_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("outcome", String(10), nullable=True),
    Index("ix_wait_segments_person_ended", "person_id", "ended_at"),
    Index("ix_wait_segments_unit_started", "unit_code", "started_at"),
    Index("ix_wait_segments_ended_unit", "ended_at", "unit_code"),
    Index("ix_wait_segments_started_unit", "started_at", "unit_code"),
    # who waits now, read from the index alone: the backlog's counts and its longest waits
    Index(
        "ix_wait_segments_open",
        "unit_code",
        "priority_class",
        "wait_started_at",
        "person_id",
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
    # the same by class, oldest first: a screen's longest waits walk it class by class (migration 0030)
    Index(
        "ix_wait_segments_open_class",
        "priority_class",
        "wait_started_at",
        "person_id",
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
    CheckConstraint("(ended_at IS NULL) = (outcome IS NULL)", name="ended_with_outcome"),
)

# a day's scorecard for a unit or an official; final once the day (and its last report deadline) has passed
scorecards = Table(
    "scorecards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("subject_kind", String(10), nullable=False),
    Column("subject", String(20), nullable=False),
    Column("level", String(12), nullable=False),
    Column("final", Boolean, nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
    Column("score", Float, nullable=True),
    Column("rank", Integer, nullable=True),
    Column("ranked", Integer, nullable=True),
    Column("card", JSON, nullable=False),
    UniqueConstraint("day", "subject_kind", "subject"),
    Index("ix_scorecards_day_kind_level", "day", "subject_kind", "level"),
    CheckConstraint(_in("subject_kind", ("unit", "official")), name="subject_kind"),
)

# the chain watch's reads of the alerts (migration 0016_watch_state): the alerts of a kind over a range of periods,
# and the open ones (neither acknowledged nor resolved) that may escalate
Index("ix_alerts_kind_period", alerts.c.kind, alerts.c.period_start)
Index(
    "ix_alerts_open_kind_raised",
    alerts.c.kind,
    alerts.c.raised_at,
    sqlite_where=text("acknowledged_at IS NULL AND resolved_at IS NULL"),
    postgresql_where=text("acknowledged_at IS NULL AND resolved_at IS NULL"),
)
# each unit's running misses, acknowledged or not (migration 0018_alert_running_miss): what the watch grows or
# expires every round, never the alerts settled long ago
UNSETTLED_SQL = "resolved_at IS NULL AND expired_at IS NULL AND folded_into IS NULL"
Index(
    "ix_alerts_unsettled_kind_unit",
    alerts.c.kind,
    alerts.c.unit_code,
    sqlite_where=text(UNSETTLED_SQL),
    postgresql_where=text(UNSETTLED_SQL),
)
