"""province level: cities report on a schedule of their own, name searches served by a trigram index, and the
command screens' shared cache (issue 15 §5)

- `reporting_schedules.level` may be `city`: in a province's tree the cities report to the province.
- PostgreSQL only: the `pg_trgm` extension and GIN trigram indexes on the names the lists search by substring
  (people's names; officials' names; directive titles), so that `ILIKE '%…%'` is answered from the index. Creating
  the extension needs a superuser, or a database owner where pg_trgm is trusted (PostgreSQL 13 and later):
  docs/deploy.md says what an operator runs. A trigram needs three characters, and most Chinese names have two or
  three: a search of one or two characters is answered by a second GIN index, over every one- and two-character
  piece of the name (`admitall_short_grams`). pg_trgm counts CJK characters as word characters only where the
  database's LC_CTYPE is a UTF-8 locale (C.UTF-8 will do): docs/deploy.md. SQLite keeps its scans.
- `screen_cache`: one row per command screen as one audience sees it (store.tables_screens).

Revision ID: 0022_province_level
Revises: 0021_watch_rounds
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_province_level"
down_revision = "0021_watch_rounds"
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = (
    ("ix_persons_name_trgm", "persons", "name"),
    ("ix_officials_name_trgm", "officials", "name"),
    ("ix_directives_title_trgm", "directives", "title"),
)

# every piece of one and of two characters of a name, lower-cased (store.name_search asks for the query in it)
SHORT_GRAMS = """
CREATE OR REPLACE FUNCTION admitall_short_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, n)), '{}')
  FROM generate_series(1, length(t)) AS i, (VALUES (1), (2)) AS v(n)
  WHERE i + n - 1 <= length(t)
$$
"""


def _levels(levels: tuple[str, ...]) -> None:
    with op.batch_alter_table("reporting_schedules", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_reporting_schedules_level"), type_="check")
        batch_op.create_check_constraint("level", f"level IN ({', '.join(repr(v) for v in levels)})")


def upgrade() -> None:
    _levels(("city", "district", "street", "community"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in TRIGRAM_INDEXES:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
        op.execute(SHORT_GRAMS)
        op.execute("CREATE INDEX ix_persons_name_short_grams ON persons USING gin (admitall_short_grams(name))")
    op.create_table(
        "screen_cache",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("stamp", sa.String(length=100), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_screen_cache")),
    )
    op.create_index(op.f("ix_screen_cache_unit_code"), "screen_cache", ["unit_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_screen_cache_unit_code"), table_name="screen_cache")
    op.drop_table("screen_cache")
    if op.get_bind().dialect.name == "postgresql":
        for name, _, _ in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP INDEX IF EXISTS ix_persons_name_short_grams")
        op.execute("DROP FUNCTION IF EXISTS admitall_short_grams(text)")
        # the extension stays: other databases' objects or an operator's own may use it
    op.execute("DELETE FROM reporting_schedules WHERE level = 'city'")
    _levels(("district", "street", "community"))
