"""Indexes for the lists that page with their totals (issue 14): the audit log filtered by who or by what,
newest first, is counted and paged from an index instead of reading the whole log.

The other lists' filters already have theirs (a unit's subtree, a status, a period); the people list is ordered by
waits, counted over the subtree's index; name searches are substring matches, which no B-tree index serves.

Revision ID: 0019_list_search
Revises: 0018_alert_running_miss
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0019_list_search"
down_revision = "0018_alert_running_miss"
branch_labels = None
depends_on = None

INDEXES = (("ix_audit_log_actor_id", ["actor", "id"]), ("ix_audit_log_action_id", ["action", "id"]))


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "audit_log", columns)


def downgrade() -> None:
    for name, _ in INDEXES:
        op.drop_index(name, table_name="audit_log")
