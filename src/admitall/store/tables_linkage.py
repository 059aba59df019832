"""Record linkage (issue 16 §2): the candidate pairs `admitall link` and the imports find, and the merges made.

- `link_pairs`: one row per pair of people (the lower id first) that the linkage scored as possibly the same,
  with the probability, the levels of each field's comparison and the decision: `review` (waiting for a person),
  `merged`, `distinct` (a person said they are not the same, or the score was below the review threshold when a
  person asked), or `unmerged` (merged, then undone). The units of both people are kept so that the review queue
  is limited to a jurisdiction from the index alone (both people inside it).
- `person_merges`: one row per merge, with what an unmerge needs to restore both people exactly: each one's state
  before the merge, the survivor's version right after it (an unmerge restores the survivor's category and
  details only if nothing happened to them since; their own later events stand). A person merged away and not
  unmerged is a pointer to the survivor: `merged_id` of a row with `unmerged_at` NULL; every count leaves them
  out. They share the schema's metadata (store.tables).
"""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Float, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from admitall.store.tables import UTCDateTime, metadata

PAIR_STATES = ("review", "merged", "distinct", "unmerged")

link_pairs = Table(
    "link_pairs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_a", Integer, ForeignKey("persons.id"), nullable=False),
    Column("person_b", Integer, ForeignKey("persons.id"), nullable=False),
    Column("unit_a", String(12), nullable=False),
    Column("unit_b", String(12), nullable=False),
    Column("probability", Float, nullable=False),
    Column("levels", JSON, nullable=False),
    Column("state", String(10), nullable=False),
    # who found it: link (a run of `admitall link`), import, help_request
    Column("found_by", String(20), nullable=False),
    Column("found_at", UTCDateTime(), nullable=False),
    Column("decided_by", String(60), nullable=True),
    Column("decided_at", UTCDateTime(), nullable=True),
    UniqueConstraint("person_a", "person_b"),
    CheckConstraint("person_a < person_b", name="ordered"),
    CheckConstraint("state IN ('review', 'merged', 'distinct', 'unmerged')", name="state"),
    Index("ix_link_pairs_state_units", "state", "unit_a", "unit_b"),
    Index("ix_link_pairs_person_b", "person_b"),
)

person_merges = Table(
    "person_merges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pair_id", Integer, ForeignKey("link_pairs.id"), nullable=True),
    Column("survivor_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("merged_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("merged_at", UTCDateTime(), nullable=False),
    Column("merged_by", String(60), nullable=False),
    Column("survivor_before", JSON, nullable=False),
    Column("merged_before", JSON, nullable=False),
    Column("survivor_version", Integer, nullable=False),
    Column("unmerged_at", UTCDateTime(), nullable=True),
    Column("unmerged_by", String(60), nullable=True),
    CheckConstraint("survivor_id <> merged_id", name="two_people"),
    Index("ix_person_merges_merged", "merged_id", "unmerged_at"),
    Index("ix_person_merges_survivor", "survivor_id"),
)
