"""Units' boundaries for the command screen's map (services.boundaries): one per unit at most, the shape as GeoJSON
geometry text (a Polygon or a MultiPolygon in longitude/latitude, as imported), its bounding box and label point,
and where it came from. They share the schema's metadata (store.tables)."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, String, Table, Text

from admitall.store.tables import UTCDateTime, metadata

unit_boundaries = Table(
    "unit_boundaries",
    metadata,
    Column("unit_code", String(12), ForeignKey("units.code"), primary_key=True),
    Column("geometry", Text, nullable=False),  # GeoJSON geometry, compact JSON
    Column("min_lon", Float, nullable=False),
    Column("min_lat", Float, nullable=False),
    Column("max_lon", Float, nullable=False),
    Column("max_lat", Float, nullable=False),
    Column("label_lon", Float, nullable=False),
    Column("label_lat", Float, nullable=False),
    Column("source", String(200), nullable=False),
    Column("imported_at", UTCDateTime(), nullable=False),
    Column("imported_by", String(100), nullable=False),
)
