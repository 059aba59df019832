"""unit census: counts of people per unit by status, severity and placement, kept by triggers on persons

Revision ID: 0007_unit_census
Revises: 0006_daily_bulletins
Create Date: 2026-11-28 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_unit_census"
down_revision = "0006_daily_bulletins"
branch_labels = None
depends_on = None

KEY = "unit_code, status, severity, placement"

SQLITE_TRIGGERS = [
    """CREATE TRIGGER persons_census_insert AFTER INSERT ON persons BEGIN
        INSERT INTO unit_census_changes (unit_code, status, severity, placement, n)
        VALUES (NEW.unit_code, NEW.status, COALESCE(NEW.severity, ''), NEW.placement, 1);
    END""",
    """CREATE TRIGGER persons_census_update AFTER UPDATE OF unit_code, status, severity, placement ON persons
    WHEN OLD.unit_code IS NOT NEW.unit_code OR OLD.status IS NOT NEW.status
      OR OLD.severity IS NOT NEW.severity OR OLD.placement IS NOT NEW.placement
    BEGIN
        INSERT INTO unit_census_changes (unit_code, status, severity, placement, n)
        VALUES (OLD.unit_code, OLD.status, COALESCE(OLD.severity, ''), OLD.placement, -1);
        INSERT INTO unit_census_changes (unit_code, status, severity, placement, n)
        VALUES (NEW.unit_code, NEW.status, COALESCE(NEW.severity, ''), NEW.placement, 1);
    END""",
    """CREATE TRIGGER persons_census_delete AFTER DELETE ON persons BEGIN
        INSERT INTO unit_census_changes (unit_code, status, severity, placement, n)
        VALUES (OLD.unit_code, OLD.status, COALESCE(OLD.severity, ''), OLD.placement, -1);
    END""",
]

# PostgreSQL: once per statement, over the rows it touched (a bulk insert appends one change per group)
POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION persons_census_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO unit_census_changes ({KEY}, n)
        SELECT unit_code, status, COALESCE(severity, ''), placement, count(*) FROM new_rows GROUP BY 1, 2, 3, 4;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION persons_census_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO unit_census_changes ({KEY}, n)
        SELECT k.unit_code, k.status, k.severity, k.placement, sum(k.n) FROM (
            SELECT o.unit_code, o.status, COALESCE(o.severity, '') AS severity, o.placement, -1 AS n
            FROM old_rows o JOIN new_rows w ON w.id = o.id
            WHERE (o.unit_code, o.status, COALESCE(o.severity, ''), o.placement)
               IS DISTINCT FROM (w.unit_code, w.status, COALESCE(w.severity, ''), w.placement)
            UNION ALL
            SELECT w.unit_code, w.status, COALESCE(w.severity, ''), w.placement, 1
            FROM old_rows o JOIN new_rows w ON w.id = o.id
            WHERE (o.unit_code, o.status, COALESCE(o.severity, ''), o.placement)
               IS DISTINCT FROM (w.unit_code, w.status, COALESCE(w.severity, ''), w.placement)
        ) k GROUP BY 1, 2, 3, 4 HAVING sum(k.n) <> 0;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION persons_census_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO unit_census_changes ({KEY}, n)
        SELECT unit_code, status, COALESCE(severity, ''), placement, -count(*) FROM old_rows GROUP BY 1, 2, 3, 4;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER persons_census_insert AFTER INSERT ON persons REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION persons_census_insert()""",
    """CREATE TRIGGER persons_census_update AFTER UPDATE ON persons REFERENCING OLD TABLE AS old_rows
    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION persons_census_update()""",
    """CREATE TRIGGER persons_census_delete AFTER DELETE ON persons REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION persons_census_delete()""",
]


def upgrade() -> None:
    op.create_table(
        "unit_census",
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("placement", sa.String(length=12), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", "status", "severity", "placement", name=op.f("pk_unit_census")),
    )
    op.create_table(
        "unit_census_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("placement", sa.String(length=12), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_census_changes")),
    )
    op.execute(
        f"INSERT INTO unit_census ({KEY}, n) "
        "SELECT unit_code, status, COALESCE(severity, ''), placement, count(*) FROM persons GROUP BY 1, 2, 3, 4"
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER persons_census_{name} ON persons")
            op.execute(f"DROP FUNCTION persons_census_{name}()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER persons_census_{name}")
    op.drop_table("unit_census_changes")
    op.drop_table("unit_census")
