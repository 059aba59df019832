"""Benchmark: batch person steps and confirmations (issue 13), on SQLite and PostgreSQL.

A generated city (Wuhan's districts and streets, a dozen communities each) and one isolation point with ample
single rooms; `--people` suspected people registered. Then, each in one call, as the twin and the dispatch desk
make them:
- `confirm`: a bed reserved for every one of them (a plan's confirmations);
- `apply_steps`: every one departs and is admitted (2 steps each);
- `apply_steps`: every one is confirmed mild (the bed no longer fits: a transfer need, settled in the same step).
Each is timed and its statements counted (SQLAlchemy's `before_cursor_execute`; an executemany counts once).
Baseline in the same run: the same steps one at a time through the single-person path (`save_changes` under a
savepoint each, as `apply_steps` did before), on a second database built the same way.

    python bench/person_steps.py [--people 2500] [--no-postgres] [--write]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from admitall.clock import ManualClock
from admitall.domain.access import Role
from admitall.domain.errors import AdmitAllError
from admitall.services.admission import Confirmation, confirm
from admitall.services.changes import save_changes
from admitall.services.context import Actor, Context, cli_actor
from admitall.services.demo import read_divisions
from admitall.services.facilities import import_facilities
from admitall.services.person_steps import Step, StepsSummary, _command, apply_steps
from admitall.services.registration import register_batch
from admitall.services.units import import_units
from admitall.settings import Settings
from admitall.store.db import init_database, make_engine

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from common import machine, write_section

NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
ACTOR = cli_actor("bench")
# as the twin acts (sim.runner): a desk over the whole registry, and a dispatcher
DESK = Actor(username="bench-desk", role=Role.FACILITY_OFFICER, unit_code=None)
DISPATCH = Actor(username="bench-dispatch", role=Role.DISPATCHER, unit_code=None)


@contextmanager
def counted(ctx: Context) -> Iterator[list[int]]:
    """Counts the statements sent to the database inside the block (an executemany is one)."""
    n = [0]

    def count(*_: Any) -> None:
        n[0] += 1

    event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        yield n
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)


def build(url: str, people: int, fresh: bool) -> tuple[Context, list[int]]:
    clock = ManualClock(NOW)
    ctx = Context(make_engine(url), clock, Settings(database_url=url, secret_key="bench-" + "x" * 32))
    if fresh:
        init_database(ctx.engine)
    rng = random.Random(13)
    rows: list[dict[str, str | None]] = [{"code": d["code"], "name": d["name"]} for d in read_divisions()]
    communities = []
    for d in read_divisions():
        if d["level"] == "street":
            for i in range(1, 13):
                code = d["code"][:9] + f"{i:03d}"
                communities.append(code)
                rows.append({"code": code, "name": f"社区{i}"})
    import_units(ctx, ACTOR, list(enumerate(rows, start=2)))
    point = {"code": "I1", "name": "隔离点", "type": "isolation_point", "unit_code": communities[0][:9] + "000"}
    import_facilities(ctx, ACTOR, [(2, {**point, "single_room": str(people * 2)})])
    registrations = [
        (
            i + 2,
            {
                "name": f"患者{i}",
                "phone": f"139{i:08d}",
                "category": "suspected",
                "unit_code": rng.choice(communities),
                "identified_at": "2020-02-10 01:00",
            },
        )
        for i in range(people)
    ]
    summary = register_batch(ctx, ACTOR, registrations, source="bench")
    clock.advance(timedelta(hours=1))
    return ctx, sorted(summary.person_ids.values())


def one_by_one(ctx: Context, steps: list[Step]) -> StepsSummary:
    """The per-step path: each step stored by `save_changes` under its own savepoint (apply_steps before)."""
    summary = StepsSummary()
    with ctx.uow(write=True) as uow:
        people = uow.persons.get_many(s.person_id for s in steps)
        for step in steps:
            person = summary.done.get(step.person_id) or people[step.person_id]
            try:
                command = _command(DESK, step, person)
                with uow.conn.begin_nested():
                    after, e = command(person, ctx.stamp(DESK, "bench"))
                    summary.done[step.person_id] = save_changes(ctx, uow, DESK, person, after, [e], None)
            except AdmitAllError as e:
                summary.refused.append((step, e.code, e.message("en")))
        uow.commit()
    return summary


def confirm_one_by_one(ctx: Context, ids: list[int]) -> int:
    done = 0
    for pid in ids:
        done += len(confirm(ctx, DISPATCH, [Confirmation(pid, "I1", "single_room")])["confirmed"])
    return done


def measure(ctx: Context, run: Callable[[], Any]) -> tuple[float, int, Any]:
    with counted(ctx) as n:
        start = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - start
    return elapsed, n[0], result


def scenario(ctx: Context, ids: list[int], batch: bool) -> dict[str, tuple[float, int, int]]:
    """(seconds, statements, items) of the confirmations, the 2-step desk batch and the reclassifications."""
    out: dict[str, tuple[float, int, int]] = {}
    if batch:
        t, n, r = measure(ctx, lambda: confirm(ctx, DISPATCH, [Confirmation(p, "I1", "single_room") for p in ids]))
        assert len(r["confirmed"]) == len(ids), r["skipped"][:3]
    else:
        # one confirm() per person: 8 statements each before, the same service
        t, n, _ = measure(ctx, lambda: confirm_one_by_one(ctx, ids))
    out["confirm"] = (t, n, len(ids))
    ctx.clock.advance(timedelta(hours=1))
    desk = [Step(p, a) for p in ids for a in ("depart", "admit")]
    apply: Callable[[list[Step]], StepsSummary] = (
        (lambda s: apply_steps(ctx, DESK, s, source="bench")) if batch else (lambda s: one_by_one(ctx, s))
    )
    t, n, r = measure(ctx, lambda: apply(desk))
    assert not r.refused, r.refused[:3]
    out["depart+admit"] = (t, n, len(desk))
    ctx.clock.advance(timedelta(hours=1))
    classify = [Step(p, "reclassify", to="confirmed", severity="mild") for p in ids]
    t, n, r = measure(ctx, lambda: apply(classify))
    assert not r.refused, r.refused[:3]
    out["reclassify (+transfer need)"] = (t, n, len(classify))
    return out


def run_on(name: str, make_url: Callable[[], str], fresh: bool, people: int) -> dict[str, Any]:
    results = {}
    for label, batch in (("per step (baseline)", False), ("batch", True)):
        ctx, ids = build(make_url(), people, fresh)
        results[label] = scenario(ctx, ids, batch)
        ctx.engine.dispose()
        for what, (t, n, k) in results[label].items():
            print(
                f"{name} {label:20} {what:28} {t:7.2f} s  {n / k:6.2f} statements/item  ({n} in all)", file=sys.stderr
            )
    return results


def read_before(path: str | None) -> dict[tuple[str, str], tuple[float, float]]:
    """(database, operation) → (seconds, statements per item) of the batch calls, from what this script printed
    (stderr) when run on the code before the batch writer."""
    found: dict[tuple[str, str], tuple[float, float]] = {}
    if path is not None:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            m = re.match(r"^(SQLite|PostgreSQL) batch\s+(.+?)\s+([\d.]+) s\s+([\d.]+) statements/item", line)
            if m:
                found[(m[1], m[2])] = (float(m[3]), float(m[4]))
    return found


def table(name: str, results: dict[str, Any], before: dict[tuple[str, str], tuple[float, float]]) -> str:
    lines = [
        f"**{name}**\n",
        "| operation | items | before: s | statements/item | per step (baseline): s | statements/item "
        "| batch: s | statements in all | speed-up on before | on baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    base, new = results["per step (baseline)"], results["batch"]
    for what in new:
        bt, bn, k = base[what]
        nt, nn, _ = new[what]
        ot, on = before.get((name, what), (float("nan"), float("nan")))
        lines.append(
            f"| {what} | {k:,} | {ot:.2f} | {on:.2f} | {bt:.2f} | {bn / k:.2f} | {nt:.2f} | {nn} "
            f"| {ot / nt:.1f}× | {bt / nt:.1f}× |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2500)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--write", action="store_true", help="write the section of bench/RESULTS.md")
    parser.add_argument("--before", help="what this script printed (stderr) on the code before the batch writer")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as work:
        counter = iter(range(100))
        results["SQLite"] = run_on("SQLite", lambda: f"sqlite:///{work}/b{next(counter)}.db", True, args.people)
    if not args.no_postgres:
        from tests.postgres import PostgresServer

        server = PostgresServer()
        try:
            results["PostgreSQL"] = run_on("PostgreSQL", server.fresh_database, False, args.people)
        finally:
            server.stop()
    before = read_before(args.before)  # read last: the run before may have been going on beside this one
    tables = [table(name, found, before) for name, found in results.items()]
    section = f"""## Batch person steps

`python bench/person_steps.py --people {args.people}` on {machine()} — **the machine was shared with five other
helpers' work during the run: times are noisy; the statement counts are exact.** {args.people:,} suspected people
in one isolation point; each operation is one call (`confirm` of every bed; `apply_steps` of 2 desk steps each;
`apply_steps` of a reclassification each, which also records the transfer need it causes). Baseline in the same run:
each confirmation its own `confirm` call, each step stored by the single-person `save_changes` under its own
savepoint (what `apply_steps` did before, less the read of the chain head, which is kept on the person now).
"Before" is the batch call on the code before the batch writer (commit 19ebecc), run by this script at another
time (`--before`): compare it with care, the load of the machine differed. Statements counted with SQLAlchemy's
`before_cursor_execute` (an executemany counts once; on PostgreSQL the events go by one COPY, which the event does
not see: one more per batch).

{(chr(10) * 2).join(tables)}
"""
    print(section)
    if args.write:
        write_section("person-steps", section)


if __name__ == "__main__":
    main()
