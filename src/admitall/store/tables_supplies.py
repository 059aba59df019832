"""Supplies (物资保障, issue 18 §1): the sites that hold stock, the movements whose sum is the stock, the requests
sent up the chain with their lines, and the shortages the watch has open (services.supplies*). They share the
schema's metadata (store.tables); migration 0027_supplies creates them."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from admitall.store.tables import UTCDateTime, metadata

# a place that holds stock: a facility (code: the facility's), a unit (code: the unit's) or a warehouse (a code
# and name of its own). `unit_code` is the unit whose jurisdiction it is in (a facility's owner, the unit itself,
# the warehouse's unit): every query is limited by it. Created on first use.
supply_sites = Table(
    "supply_sites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("code", String(40), nullable=False),
    Column("name", String(100), nullable=True),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("kind", "code", name="uq_supply_sites_kind_code"),
    Index("ix_supply_sites_unit", "unit_code"),
)

# appended, never changed: the stock of an item at a site is the sum of `quantity` (signed). A transfer's two legs
# share `transfer_id` (the outgoing leg's id); `request_id`: the approved request the movement fulfils; a count
# correction keeps what was counted and why; `estimated`: consumption estimated from occupancy, not recorded.
supply_movements = Table(
    "supply_movements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("supply_sites.id"), nullable=False),
    Column("item_code", String(24), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("quantity", Float, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("reason", String(200), nullable=False, server_default=""),
    Column("counted", Float, nullable=True),
    Column("transfer_id", Integer, nullable=True),
    Column("request_id", Integer, nullable=True),
    Column("estimated", Integer, nullable=False, server_default="0"),
    Index("ix_supply_movements_site_item", "site_id", "item_code", "at"),
    Index("ix_supply_movements_kind_at", "kind", "at"),
)

# a request up the chain: the site asking, why, and the unit that decides (its parent or HQ); decided in full, in
# part or refused, with the reason and the site the approved stock was issued from
supply_requests = Table(
    "supply_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("supply_sites.id"), nullable=False),
    Column("unit_code", String(12), ForeignKey("units.code"), nullable=False),
    Column("approver_unit", String(12), ForeignKey("units.code"), nullable=False),
    Column("why", String(500), nullable=False),
    Column("state", String(10), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(60), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decided_by", String(60), nullable=True),
    Column("decision_reason", String(500), nullable=True),
    Column("source_site_id", Integer, ForeignKey("supply_sites.id"), nullable=True),
    Index("ix_supply_requests_unit_state", "unit_code", "state", "created_at"),
    Index("ix_supply_requests_approver_state", "approver_unit", "state"),
)

supply_request_lines = Table(
    "supply_request_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("supply_requests.id"), nullable=False),
    Column("item_code", String(24), nullable=False),
    Column("quantity", Float, nullable=False),
    Column("approved", Float, nullable=True),
    Column("reason_zh", String(200), nullable=True),
    Column("reason_en", String(200), nullable=True),
    Index("ix_supply_request_lines_request", "request_id"),
)

# a site short of an item, from the watch round that found it until the one that found its cover recovered; the
# alert it raised (kind supply_short) has its id as subject: one alert per site and item while open
supply_shortages = Table(
    "supply_shortages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("supply_sites.id"), nullable=False),
    Column("item_code", String(24), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("on_hand", Float, nullable=False),
    Column("per_day", Float, nullable=False),
    Index("ix_supply_shortages_open", "ended_at", "site_id", "item_code"),
)
