"""Recorded runs of the digital twin (admitall.sim): what was run, by whom, and everything it measured.

A run is kept whole as its results gave it (the scenario, the summary, the daily and hourly rows, the steps the
registry refused) so that its pages, its JSON and its CSV are read back exactly; the columns beside them are for
listing runs without reading their rows. They share the schema's metadata (store.tables)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Date, Float, Index, Integer, String, Table

from admitall.store.tables import UTCDateTime, metadata

sim_runs = Table(
    "sim_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scenario_name", String(100), nullable=False),
    Column("title_zh", String(200), nullable=False),
    Column("title_en", String(200), nullable=False),
    Column("start", Date, nullable=False),  # the simulated first day
    Column("days", Integer, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("settings", JSON, nullable=False),  # the --set changes, ["path=value", …]
    Column("wall_seconds", Float, nullable=True),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("recorded_by", String(60), nullable=False),
    Column("scenario", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("refused", JSON, nullable=False),
    Column("daily", JSON, nullable=False),
    Column("hourly", JSON, nullable=False),
    Index("ix_sim_runs_scenario_name_recorded_at", "scenario_name", "recorded_at"),
)
