"""A province's registry for bench/province.py, generated inside PostgreSQL (issue 15).

Hubei's 17 cities (real codes and names), 6 districts a city, 12 streets a district and 23-24 communities a street:
30,000 units, imported through `admitall import units`' own service. Then 10,000 facilities with their bed pools, one
lead official per unit, and 10,000,000 people identified along an epidemic curve over 30 days (names drawn like
domain/names.py draws them: surnames by frequency, a one- or two-character given name), about 90% admitted hours to
days later (an `identified` and an `admitted` event each, one wait segment each), and the reports of every city,
district, street and community for the last `report_hours` hours (~92% on time, ~5% late, ~3% missing).

Rows are written by `INSERT … SELECT` over `generate_series` in the server (no client formatting or transfer:
faster than COPY from a client on this machine), a million people at a time, with the big tables' secondary
indexes dropped during the load and built again after it. Hashes are placeholders: `admitall verify` is timed over
them, not trusted.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from admitall.domain.names import FEMALE_GIVEN, MALE_GIVEN, SURNAME_SHARES
from admitall.services.context import Context, cli_actor
from admitall.services.units import import_units

PROVINCE = "420000000000"
CITIES = (
    ("4201", "武汉市"), ("4202", "黄石市"), ("4203", "十堰市"), ("4205", "宜昌市"), ("4206", "襄阳市"),
    ("4207", "鄂州市"), ("4208", "荆门市"), ("4209", "孝感市"), ("4210", "荆州市"), ("4211", "黄冈市"),
    ("4212", "咸宁市"), ("4213", "随州市"), ("4228", "恩施土家族苗族自治州"), ("4290", "省直辖县级行政区划"),
    ("4214", "仙桃市"), ("4215", "潜江市"), ("4216", "天门市"),
)  # fmt: skip
DISTRICTS_PER_CITY, STREETS_PER_DISTRICT, UNITS = 6, 12, 30_000
BIG_TABLES = ("persons", "person_events", "wait_segments", "reports")
FACILITY_MIX = (  # type, how many, bed types
    ("designated_hospital", 1000, ("icu", "severe", "general")),
    ("shelter_hospital", 600, ("shelter",)),
    ("isolation_point", 2000, ("single_room",)),
    ("quarantine_site", 4000, ("quarantine_room",)),
    ("fever_clinic", 1900, ("observation",)),
    ("recovery_station", 500, ("recovery_room",)),
)
FACILITY_NAMES = {
    "designated_hospital": "定点医院",
    "shelter_hospital": "方舱医院",
    "isolation_point": "隔离点",
    "quarantine_site": "集中隔离点",
    "fever_clinic": "发热门诊",
    "recovery_station": "康复驿站",
}
TITLES = {
    "province": "省指挥部总指挥",
    "city": "市指挥部指挥长",
    "district": "区指挥部指挥长",
    "street": "街道党工委书记",
    "community": "社区书记",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def unit_rows(rng: random.Random) -> list[dict[str, str | None]]:
    """The province, its cities, districts, streets and communities: UNITS rows in all."""
    rows: list[dict[str, str | None]] = [{"code": PROVINCE, "name": "湖北省", "population": "58000000"}]
    streets: list[str] = []
    for prefix, name in CITIES:
        rows.append({"code": prefix.ljust(12, "0"), "name": name, "population": None})
        for d in range(1, DISTRICTS_PER_CITY + 1):
            district = f"{prefix}{d:02d}"
            rows.append({"code": district.ljust(12, "0"), "name": f"{name[:2]}第{d}区", "population": None})
            for s in range(1, STREETS_PER_DISTRICT + 1):
                street = f"{district}{s:03d}"
                streets.append(street)
                rows.append({"code": street.ljust(12, "0"), "name": f"{name[:2]}{d}区{s}街道", "population": None})
    communities = UNITS - len(rows)
    each, extra = divmod(communities, len(streets))
    for i, street in enumerate(streets):
        for n in range(1, each + (1 if i < extra else 0) + 1):
            rows.append(
                {
                    "code": f"{street}{n:03d}",
                    "name": f"社区{street[-5:]}{n:03d}",
                    "population": str(rng.randint(1200, 2800)),
                }
            )
    return rows


def secondary_indexes(conn: Connection) -> list[tuple[str, str]]:
    """The big tables' indexes that no constraint owns: (name, CREATE statement)."""
    found = conn.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(:t) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ),
        {"t": list(BIG_TABLES)},
    ).all()
    return [(str(n), str(d)) for n, d in found]


def _exec(conn: Connection, sql: str, **params: Any) -> int:
    return int(conn.execute(text(sql), params).rowcount or 0)


def build(
    ctx: Context,
    *,
    people: int,
    now: datetime,
    days: int,
    report_hours: int,
    seed: int,
    parts: Callable[[list[tuple[int, int]]], None] | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Generate everything; returns what was generated and how long each part took (seconds). With `jobs` > 1 the
    people are written in that many contiguous ranges at once by `parts` (other processes: the cores)."""
    rng = random.Random(seed)
    times: dict[str, float] = {}
    counts: dict[str, int] = {}
    t = time.perf_counter()
    rows = unit_rows(rng)
    summary = import_units(ctx, cli_actor(), enumerate(rows, start=2))
    assert summary.rejected == 0, summary.rejections[:3]
    times["units (import units service)"] = time.perf_counter() - t
    counts["units"] = len(rows)
    log(f"units {len(rows):,} in {times['units (import units service)']:.0f} s")
    t0 = now - timedelta(days=days)
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql(f"SELECT setseed({(seed % 1000) / 1000})")
        t = time.perf_counter()
        counts["facilities"], counts["bed pools"] = _facilities(conn, t0)
        counts["officials"] = _officials(conn, t0)
        times["facilities, bed pools, officials"] = time.perf_counter() - t
        dropped = secondary_indexes(conn)
        for name, _ in dropped:
            conn.exec_driver_sql(f"DROP INDEX {name}")
    log(f"facilities {counts['facilities']:,}, officials {counts['officials']:,}; dropped {len(dropped)} indexes")
    t = time.perf_counter()
    if jobs > 1 and parts is not None:
        _people(ctx, 0, t0, now, counts, finish=False)
        size = -(-people // jobs // 1_000_000) * 1_000_000
        parts([(lo, min(lo + size - 1, people)) for lo in range(1, people + 1, size)])
        finish_people(ctx, people, t0, now, counts)
    else:
        _people(ctx, people, t0, now, counts)
    times["people, events, wait segments"] = time.perf_counter() - t
    finish(ctx, now, report_hours, dropped, counts, times)
    return {"counts": counts, "times": times, "t0": t0.isoformat(), "now": now.isoformat()}


def finish(
    ctx: Context,
    now: datetime,
    report_hours: int,
    dropped: list[tuple[str, str]],
    counts: dict[str, int],
    times: dict[str, float],
) -> None:
    """The reports, the dropped indexes built again, the sequences, and VACUUM ANALYZE."""
    t = time.perf_counter()
    with ctx.engine.begin() as conn:
        counts["reports"] = _reports(conn, now, report_hours)
    times["reports"] = time.perf_counter() - t
    log(f"reports {counts['reports']:,} in {times['reports']:.0f} s")
    t = time.perf_counter()
    with ctx.engine.begin() as conn:
        for name, statement in dropped:
            conn.exec_driver_sql(statement)
            log(f"  index {name} ({time.perf_counter() - t:.0f} s)")
        for table in ("persons", "person_events", "wait_segments", "reports", "officials", "lead_assignments"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    times["indexes rebuilt"] = time.perf_counter() - t
    t = time.perf_counter()
    with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    times["vacuum analyze"] = time.perf_counter() - t


def finish_people(ctx: Context, n: int, t0: datetime, end: datetime, counts: dict[str, int]) -> None:
    """After every range was written: the counts and the bed pools."""
    _people(ctx, n, t0, end, counts, first=n + 1, setup=False, finish=True)


def _facilities(conn: Connection, t0: datetime) -> tuple[int, int]:
    offset = 0
    for kind, n, beds in FACILITY_MIX:
        _exec(
            conn,
            "INSERT INTO facilities (code, name, type, unit_code, lat, lon, created_at, updated_at) "
            "WITH u AS (SELECT array_agg(code) AS a FROM units WHERE level = 'community') "
            "SELECT 'F' || lpad(g::text, 6, '0'), :kind_name || g, :kind, u.a[1 + floor(random() * "
            "array_length(u.a, 1))::int], 30 + random() * 3, 109 + random() * 7, :t0, :t0 "
            "FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) g, u",
            kind_name=FACILITY_NAMES[kind],
            kind=kind,
            t0=t0,
            lo=offset + 1,
            hi=offset + n,
        )
        for bed in beds:
            _exec(
                conn,
                "INSERT INTO bed_pools (facility_code, bed_type, capacity, occupied, reserved, out_of_service, "
                "updated_at) SELECT code, :bed, 0, 0, 0, 0, :t0 FROM facilities WHERE type = :kind",
                bed=bed,
                kind=kind,
                t0=t0,
            )
        offset += n
    pools = conn.execute(text("SELECT count(*) FROM bed_pools")).scalar_one()
    return offset, int(pools)


def _officials(conn: Connection, t0: datetime) -> int:
    cases = " ".join(f"WHEN '{level}' THEN '{title}'" for level, title in TITLES.items())
    n = _exec(
        conn,
        "INSERT INTO officials (id, name, title, home_unit, active, created_at) "
        f"SELECT row_number() OVER (ORDER BY code), '干部' || right(code, 8), CASE level {cases} END, code, true, :at "
        "FROM units",
        at=t0 - timedelta(days=40),
    )
    _exec(
        conn,
        "INSERT INTO lead_assignments (unit_code, official_id, starts_at, assigned_by) "
        "SELECT home_unit, id, :at, 'bench' FROM officials",
        at=t0 - timedelta(days=31),
    )
    return n


# (priority class, share, bed, median hours to a bed, share never admitted); statuses from demo.CATEGORY_MIX and
# severities from demo.SEVERITY_MIX: contact 0.42, confirmed 0.30 (critical 5%, severe 14%, risk 20% of the rest),
# suspected 0.14, fever 0.14
def _people(
    ctx: Context,
    n: int,
    t0: datetime,
    end: datetime,
    counts: dict[str, int],
    *,
    first: int = 1,
    setup: bool = True,
    finish: bool = True,
) -> None:
    """People `first` to `n`; `setup` makes the lookup tables the chunks draw from, `finish` drops them and makes
    the bed pools agree (several processes may each write a range in between)."""
    surnames = "{" + ",".join(s for s, share in SURNAME_SHARES for _ in range(max(1, round(share * 10)))) + "}"
    given = "{" + ",".join(MALE_GIVEN + FEMALE_GIVEN) + "}"
    span = int((end - t0).total_seconds())
    with ctx.engine.begin() as conn:
        if setup:
            conn.exec_driver_sql("DROP TABLE IF EXISTS bench_beds, bench_bedn, bench_units")
            conn.exec_driver_sql(
                "CREATE UNLOGGED TABLE bench_beds AS SELECT bed_type, row_number() OVER (PARTITION BY bed_type "
                "ORDER BY facility_code) - 1 AS idx, facility_code, count(*) OVER (PARTITION BY bed_type) AS n "
                "FROM bed_pools"
            )
            conn.exec_driver_sql("ALTER TABLE bench_beds ADD PRIMARY KEY (bed_type, idx)")
            conn.exec_driver_sql(
                "CREATE UNLOGGED TABLE bench_bedn AS SELECT bed_type, count(*) AS n FROM bed_pools GROUP BY 1"
            )
            conn.exec_driver_sql(
                "CREATE UNLOGGED TABLE bench_units AS SELECT row_number() OVER (ORDER BY code) AS idx, code "
                "FROM units WHERE level = 'community'"
            )
            conn.exec_driver_sql("ALTER TABLE bench_units ADD PRIMARY KEY (idx)")
        n_units = int(conn.exec_driver_sql("SELECT count(*) FROM bench_units").scalar_one())
    chunk = 1_000_000
    started = time.perf_counter()
    for lo in range(first, n + 1, chunk):
        hi = min(lo + chunk - 1, n)
        with ctx.engine.begin() as conn:
            # no row-level foreign-key checks (the rows are made consistent); the census and flow rows the
            # statement triggers would write are written below by the same statements, once per chunk
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            _exec(
                conn,
                """CREATE TEMP TABLE bench_p ON COMMIT DROP AS
                SELECT g AS id, u.code AS unit, s.name, s.status, s.severity, s.risks, s.cls, s.identified,
                  CASE WHEN s.r_never < (CASE s.cls WHEN 'critical' THEN 0.02 WHEN 'severe' THEN 0.03 ELSE 0.11 END)
                    THEN NULL
                    ELSE s.identified + make_interval(secs => 60 + 3600 * (CASE s.cls WHEN 'critical' THEN 0.6
                      WHEN 'severe' THEN 2.5 WHEN 'confirmed_risk' THEN 8 WHEN 'confirmed' THEN 10
                      WHEN 'suspected' THEN 5 WHEN 'fever' THEN 5 ELSE 10 END) * exp(0.8 * s.z)) END AS admitted
                FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) g
                CROSS JOIN LATERAL (
                  SELECT 1 + floor(random() * :n_units)::int AS unit_idx,
                    ((:surnames)::text[])[1 + floor(random() * array_length((:surnames)::text[], 1))::int]
                      || ((:given)::text[])[1 + floor(random() * array_length((:given)::text[], 1))::int]
                      || CASE WHEN random() < 0.8
                           THEN ((:given)::text[])[1 + floor(random() * array_length((:given)::text[], 1))::int]
                           ELSE '' END AS name,
                    x.status, x.severity, x.risks,
                    CASE WHEN x.status <> 'confirmed' THEN x.status WHEN x.severity IN ('critical', 'severe')
                      THEN x.severity WHEN x.risks <> '' THEN 'confirmed_risk' ELSE 'confirmed' END AS cls,
                    :t0 + make_interval(secs => floor(:span * CASE WHEN random() < 0.85
                      THEN (random() + random() + random()) / 3 ELSE random() END)) AS identified,
                    random() AS r_never,
                    sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z
                  FROM (SELECT random() AS r1, random() AS r2, random() AS r3 WHERE g > 0) r,
                  LATERAL (SELECT
                    CASE WHEN r.r1 < 0.42 THEN 'contact' WHEN r.r1 < 0.72 THEN 'confirmed'
                      WHEN r.r1 < 0.86 THEN 'suspected' ELSE 'fever' END AS status,
                    CASE WHEN r.r1 >= 0.42 AND r.r1 < 0.72 THEN CASE WHEN r.r2 < 0.40 THEN 'mild'
                      WHEN r.r2 < 0.81 THEN 'moderate' WHEN r.r2 < 0.95 THEN 'severe' ELSE 'critical' END END
                      AS severity,
                    CASE WHEN r.r1 >= 0.42 AND r.r1 < 0.72 AND r.r2 < 0.81 AND r.r3 < 0.2 THEN 'comorbidity'
                      ELSE '' END AS risks) x
                ) s JOIN bench_units u ON u.idx = s.unit_idx""",
                lo=lo,
                hi=hi,
                surnames=surnames,
                given=given,
                t0=t0,
                span=span,
                n_units=n_units,
            )
            conn.execute(text("UPDATE bench_p SET admitted = NULL WHERE admitted >= :end"), {"end": end})
            conn.exec_driver_sql(
                """INSERT INTO persons (id, name, unit_code, status, severity, risks, placement, identified_at,
                  status_since, waiting_since, facility_code, bed_type, version, event_head, created_at, updated_at)
                SELECT p.id, p.name, p.unit, p.status, p.severity, p.risks,
                  CASE WHEN p.admitted IS NULL THEN 'waiting' ELSE 'admitted' END, p.identified, p.identified,
                  CASE WHEN p.admitted IS NULL THEN p.identified END,
                  CASE WHEN p.admitted IS NOT NULL THEN b.facility_code END,
                  CASE WHEN p.admitted IS NOT NULL THEN b.bed_type END,
                  CASE WHEN p.admitted IS NULL THEN 1 ELSE 2 END,
                  lpad(to_hex(p.id::bigint * 4 + CASE WHEN p.admitted IS NULL THEN 1 ELSE 2 END), 64, '0'),
                  p.identified, coalesce(p.admitted, p.identified)
                FROM bench_p p JOIN bench_bedn bn ON bn.bed_type = CASE p.cls WHEN 'critical' THEN 'icu'
                  WHEN 'severe' THEN 'severe' WHEN 'confirmed_risk' THEN 'general' WHEN 'confirmed' THEN 'shelter'
                  WHEN 'suspected' THEN 'single_room' WHEN 'fever' THEN 'observation' ELSE 'quarantine_room' END
                JOIN bench_beds b ON b.bed_type = bn.bed_type AND b.idx = mod(p.id::bigint * 7919, bn.n)"""
            )
            conn.exec_driver_sql(
                """INSERT INTO person_events (person_id, seq, kind, occurred_at, recorded_at, actor, source, data,
                  prev_hash, hash)
                SELECT id, 1, 'identified', identified, identified, 'bench', 'bench',
                  json_build_object('name', name, 'unit_code', unit, 'status', status, 'severity', severity,
                    'risks', CASE WHEN risks = '' THEN '[]'::json ELSE json_build_array(risks) END),
                  repeat('0', 64), lpad(to_hex(id::bigint * 4 + 1), 64, '0') FROM bench_p"""
            )
            conn.exec_driver_sql(
                """INSERT INTO person_events (person_id, seq, kind, occurred_at, recorded_at, actor, source, data,
                  prev_hash, hash)
                SELECT p.id, 2, 'admitted', p.admitted, p.admitted, 'bench', 'bench',
                  json_build_object('facility_code', q.facility_code, 'bed_type', q.bed_type),
                  lpad(to_hex(p.id::bigint * 4 + 1), 64, '0'), lpad(to_hex(p.id::bigint * 4 + 2), 64, '0')
                FROM bench_p p JOIN persons q ON q.id = p.id WHERE p.admitted IS NOT NULL"""
            )
            conn.exec_driver_sql(
                """INSERT INTO wait_segments (person_id, unit_code, priority_class, wait_started_at, started_at,
                  ended_at, outcome)
                SELECT id, unit, cls, identified, identified, admitted,
                  CASE WHEN admitted IS NOT NULL THEN 'admitted' END FROM bench_p"""
            )
            _projections(conn, lo, hi)
        log(f"  people {hi:,} ({time.perf_counter() - started:.0f} s)")
    if not finish:
        return
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_beds, bench_bedn, bench_units")
        counts["people"] = int(conn.execute(text("SELECT count(*) FROM persons")).scalar_one())
        counts["events"] = int(conn.execute(text("SELECT count(*) FROM person_events")).scalar_one())
        counts["waiting"] = int(
            conn.execute(text("SELECT count(*) FROM persons WHERE placement = 'waiting'")).scalar_one()
        )
        # every pool says what the people say: occupied <= capacity, a few beds free
        conn.exec_driver_sql(
            """UPDATE bed_pools b SET occupied = o.n, capacity = o.n + 10 + (o.n / 20)
            FROM (SELECT bp.facility_code, bp.bed_type, count(p.id) AS n FROM bed_pools bp
                  LEFT JOIN persons p ON p.facility_code = bp.facility_code AND p.bed_type = bp.bed_type
                  AND p.placement = 'admitted' GROUP BY 1, 2) o
            WHERE o.facility_code = b.facility_code AND o.bed_type = b.bed_type"""
        )


def _projections(conn: Connection, lo: int, hi: int) -> None:
    """What the census and flow triggers (migrations 0007, 0008) write for people `lo` to `hi` and their events."""
    _exec(
        conn,
        "INSERT INTO unit_census_changes (unit_code, status, severity, placement, n) "
        "SELECT unit_code, status, COALESCE(severity, ''), placement, count(*) FROM persons "
        "WHERE id BETWEEN :lo AND :hi GROUP BY 1, 2, 3, 4",
        lo=lo,
        hi=hi,
    )
    _exec(
        conn,
        "INSERT INTO event_flows (event_id, unit_code, occurred_at, kind, from_value, to_value) "
        "SELECT e.id, p.unit_code, e.occurred_at, e.kind, e.data->>'from', COALESCE(e.data->>'status', e.data->>'to') "
        "FROM person_events e JOIN persons p ON p.id = e.person_id "
        "WHERE e.person_id BETWEEN :lo AND :hi AND e.kind IN ('identified', 'reclassified', 'severity_changed', "
        "'admitted')",
        lo=lo,
        hi=hi,
    )


def _reports(conn: Connection, now: datetime, hours: int) -> int:
    """Every city, district, street and community's reports for the last `hours` whole hours before `now`."""
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)
    return _exec(
        conn,
        """INSERT INTO reports (unit_code, period_start, period_end, deadline, version, received_at, on_time,
          reporter, attested_by, reported, registry, field, prev_hash, hash)
        SELECT u.code, ps, ps + interval '1 hour', ps + interval '70 minutes', 1, r.received,
          r.received <= ps + interval '70 minutes', 'bench', '值班员', '{}', '{}', '{}',
          CASE WHEN h = 0 THEN '' ELSE md5(u.code || (h - 1)) || md5(u.code) END, md5(u.code || h) || md5(u.code)
        FROM units u CROSS JOIN generate_series(0, CAST(:hours AS int) - 1) h
        CROSS JOIN LATERAL (SELECT :first + make_interval(hours => h) AS ps, random() AS draw WHERE u.code <> '') p
        CROSS JOIN LATERAL (SELECT CASE WHEN p.draw < 0.05
            THEN p.ps + interval '70 minutes' + make_interval(secs => 60 + floor(random() * 7000))
            ELSE p.ps + interval '1 hour' - make_interval(secs => floor(random() * 2400) - 600) END AS received) r
        WHERE u.level <> 'province' AND p.draw >= 0.03 AND r.received <= :now""",
        hours=hours,
        first=first,
        now=now,
    )
