"""unit boundaries (issue 14): a unit's optional boundary for the command screen's map

`unit_boundaries`: one row per unit that has a boundary, the shape as GeoJSON geometry text (Polygon or
MultiPolygon, longitude/latitude), its bounding box and label point, the source it was imported from, when and by
whom. No PostGIS: the map only projects and draws the shapes (services.boundaries, web.choropleth).

Revision ID: 0017_unit_boundaries
Revises: 0016_watch_state
Create Date: 2026-12-07 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_unit_boundaries"
down_revision = "0016_watch_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_boundaries",
        sa.Column(
            "unit_code",
            sa.String(12),
            sa.ForeignKey("units.code", name="fk_unit_boundaries_unit_code_units"),
            nullable=False,
        ),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("label_lon", sa.Float(), nullable=False),
        sa.Column("label_lat", sa.Float(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", name=op.f("pk_unit_boundaries")),
    )


def downgrade() -> None:
    op.drop_table("unit_boundaries")
