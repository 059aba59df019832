"""survey_campaigns: the door-to-door survey's households, campaigns and visits (issue 17 §3, store.tables_survey)

Revision ID: 0026_survey_campaigns
Revises: 0025_contact_observation
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_survey_campaigns"
down_revision = "0025_contact_observation"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "survey_households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=100), server_default="", nullable=False),
        sa.Column("added_by", sa.String(length=60), nullable=False),
        sa.Column("added_at", WHEN, nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.CheckConstraint("source IN ('import', 'team')", name=op.f("ck_survey_households_source")),
        sa.ForeignKeyConstraint(
            ["community_code"], ["units.code"], name=op.f("fk_survey_households_community_code_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_households")),
        sa.UniqueConstraint("community_code", "address", name=op.f("uq_survey_households_community_code_address")),
    )
    op.create_table(
        "survey_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("absent_visits_done", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=60), nullable=False),
        sa.Column("set_unit", sa.String(length=12), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_survey_campaigns_dates")),
        sa.CheckConstraint("absent_visits_done >= 0", name=op.f("ck_survey_campaigns_absent_visits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_campaigns")),
    )
    op.create_table(
        "survey_campaign_units",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["survey_campaigns.id"], name=op.f("fk_survey_campaign_units_campaign_id_survey_campaigns")
        ),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_survey_campaign_units_unit_code_units")),
        sa.PrimaryKeyConstraint("campaign_id", "unit_code", name=op.f("pk_survey_campaign_units")),
    )
    op.create_table(
        "survey_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("people_home", sa.Integer(), nullable=False),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("outcome IN ('visited', 'absent')", name=op.f("ck_survey_visits_outcome")),
        sa.CheckConstraint(
            "people_home >= 0 AND (outcome = 'visited' OR people_home = 0)", name=op.f("ck_survey_visits_people_home")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["survey_campaigns.id"], name=op.f("fk_survey_visits_campaign_id_survey_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["survey_households.id"], name=op.f("fk_survey_visits_household_id_survey_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_visits")),
        sa.UniqueConstraint("key", name=op.f("uq_survey_visits_key")),
    )
    op.create_index("ix_survey_visits_household_id", "survey_visits", ["household_id"])
    op.create_index("ix_survey_visits_campaign_id_community_code", "survey_visits", ["campaign_id", "community_code"])
    op.create_table(
        "survey_visit_people",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("symptoms", sa.String(length=200), server_default="", nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "category IN ('none', 'contact', 'fever', 'suspected', 'confirmed')",
            name=op.f("ck_survey_visit_people_category"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["survey_visits.id"], name=op.f("fk_survey_visit_people_visit_id_survey_visits")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_survey_visit_people_person_id_persons")),
        sa.PrimaryKeyConstraint("visit_id", "idx", name=op.f("pk_survey_visit_people")),
    )
    op.create_index("ix_survey_visit_people_person_id", "survey_visit_people", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_survey_visit_people_person_id", table_name="survey_visit_people")
    op.drop_table("survey_visit_people")
    op.drop_index("ix_survey_visits_campaign_id_community_code", table_name="survey_visits")
    op.drop_index("ix_survey_visits_household_id", table_name="survey_visits")
    op.drop_table("survey_visits")
    op.drop_table("survey_campaign_units")
    op.drop_table("survey_campaigns")
    op.drop_table("survey_households")
