"""Record linkage over the registry (issue 16 §2): find the candidate pairs, queue them, merge the sure ones.

`run_link` (the `admitall link` command) reads the people of a subtree (those merged away left out), scores every
pair its blocking finds (domain.linkage, domain.linkage_model), and writes the pairs at or above the review
threshold to `link_pairs`; those at or above the auto-merge threshold are merged at once (services.linkage_merge),
a chain of sure pairs (A~B, B~C) ending in one survivor. A pair a person already decided keeps their decision.
Records that just arrived (an import, a help request) are scored against the registry by
services.linkage_arrivals with the same model, and queued the same way: a new record becomes a candidate, not a
silent duplicate.

The model: estimated on the registry itself when it is large enough to learn from (`MIN_PAIRS_TO_ESTIMATE`
candidate pairs), else the one estimated on the benchmark's million (domain.linkage_model.DEFAULT_MODEL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from admitall.domain.linkage import LinkRecord, Prepared, evidence, prepare
from admitall.domain.linkage_model import (
    AUTO_MERGE,
    DEFAULT_MODEL,
    REVIEW,
    Model,
    candidate_pairs,
    decision,
    estimate,
    levels_of,
    u_from_random,
)
from admitall.domain.units import subtree_bounds
from admitall.services.context import Actor, Context, unit_in_scope
from admitall.services.linkage_merge import merge_people, merged_away_ids, survivor_of
from admitall.store.tables import person_sources, persons
from admitall.store.tables_linkage import link_pairs
from admitall.store.uow import UnitOfWork

MIN_PAIRS_TO_ESTIMATE = 20_000
_COLUMNS = (
    persons.c.id,
    persons.c.name,
    persons.c.unit_code,
    persons.c.document_type,
    persons.c.document_number,
    persons.c.phone,
    persons.c.sex,
    persons.c.birth_date,
    persons.c.address,
)


def _record(row: Any) -> LinkRecord:
    return LinkRecord(
        id=row.id,
        name=row.name,
        unit_code=row.unit_code,
        document=row.document_number if row.document_type == "resident_id" else None,
        phone=row.phone,
        sex=row.sex,
        birth_date=row.birth_date,
        address=row.address,
    )


def load_records(uow: UnitOfWork, root: str | None, where: Any = None) -> list[LinkRecord]:
    """The people of the subtree (everyone when None) as the linkage sees them, those merged away left out."""
    query = select(*_COLUMNS).where(persons.c.id.not_in(merged_away_ids())).order_by(persons.c.id)
    if root is not None:
        query = query.where(persons.c.unit_code.between(*subtree_bounds(root)))
    if where is not None:
        query = query.where(where)
    return [_record(r) for r in uow.conn.execute(query)]


def source_refs(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, list[str]]:
    """The source references each person was imported with."""
    out: dict[int, list[str]] = defaultdict(list)
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        rows = uow.conn.execute(
            select(person_sources.c.person_id, person_sources.c.source_ref)
            .where(person_sources.c.person_id.in_(chunk))
            .order_by(person_sources.c.source_ref)
        )
        for pid, ref in rows:
            out[pid].append(ref)
    return out


@dataclass
class ScoredPair:
    a: int
    b: int
    unit_a: str
    unit_b: str
    probability: float
    levels: list[int]
    decision: str


@dataclass
class LinkRun:
    people: int = 0
    candidates: int = 0
    pairs: list[ScoredPair] = field(default_factory=list)
    merged: int = 0
    review: int = 0
    distinct: int = 0
    estimated: bool = False
    model: Model = DEFAULT_MODEL
    refs: dict[int, list[str]] = field(default_factory=dict)

    def summary(self, shown: int = 100) -> dict[str, Any]:
        """The run as one JSON object: the counts, and the likeliest pairs with their evidence."""
        likely = sorted((p for p in self.pairs if p.decision != "distinct"), key=lambda p: -p.probability)
        return {
            "people": self.people,
            "candidates": self.candidates,
            "merged": self.merged,
            "review": self.review,
            "distinct": self.distinct,
            "model": "estimated" if self.estimated else "default",
            "thresholds": {"auto_merge": AUTO_MERGE, "review": REVIEW},
            "pairs": [
                {
                    "person_a": p.a,
                    "person_b": p.b,
                    "probability": round(p.probability, 6),
                    "decision": p.decision,
                    "evidence": pair_evidence(p.levels, self.model),
                }
                for p in likely[:shown]
            ],
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per candidate pair, as `admitall link --out` writes them."""
        return [
            {
                "person_a": p.a,
                "person_b": p.b,
                "source_refs_a": ";".join(self.refs.get(p.a, [])),
                "source_refs_b": ";".join(self.refs.get(p.b, [])),
                "probability": f"{p.probability:.6f}",
                "decision": p.decision,
            }
            for p in self.pairs
        ]


def score(records: Sequence[Prepared], pairs: Any, model: Model) -> list[ScoredPair]:
    levels = levels_of(records, pairs)
    probabilities = model.probabilities(levels)
    out = []
    for (i, j), lv, p in zip(pairs.tolist(), levels.tolist(), probabilities.tolist(), strict=True):
        a, b = sorted((records[i], records[j]), key=lambda r: r.id)
        out.append(ScoredPair(a.id, b.id, a.unit_code, b.unit_code, float(p), lv, decision(float(p), lv)))
    return out


def _existing(uow: UnitOfWork, pairs: Sequence[ScoredPair]) -> dict[tuple[int, int], tuple[int, str]]:
    found: dict[tuple[int, int], tuple[int, str]] = {}
    firsts = sorted({p.a for p in pairs})
    for start in range(0, len(firsts), 5000):
        rows = uow.conn.execute(
            select(link_pairs.c.id, link_pairs.c.person_a, link_pairs.c.person_b, link_pairs.c.state).where(
                link_pairs.c.person_a.in_(firsts[start : start + 5000])
            )
        )
        found.update({(a, b): (pid, state) for pid, a, b, state in rows})
    return found


def queue_pairs(uow: UnitOfWork, pairs: Sequence[ScoredPair], found_by: str, now: Any) -> dict[tuple[int, int], int]:
    """Write the pairs worth a look (review or merge) to the queue; a pair already there keeps a person's decision
    and takes the new probability only while it still waits. Returns each pair's row id."""
    worth = [p for p in pairs if p.decision != "distinct"]
    known = _existing(uow, worth)
    new = [p for p in worth if (p.a, p.b) not in known]
    if new:
        uow.conn.execute(
            link_pairs.insert(),
            [
                {
                    "person_a": p.a,
                    "person_b": p.b,
                    "unit_a": p.unit_a,
                    "unit_b": p.unit_b,
                    "probability": p.probability,
                    "levels": p.levels,
                    "state": "review",
                    "found_by": found_by,
                    "found_at": now,
                }
                for p in new
            ],
        )
    for p in worth:
        if (p.a, p.b) in known and known[(p.a, p.b)][1] == "review":
            uow.conn.execute(
                update(link_pairs)
                .where(link_pairs.c.id == known[(p.a, p.b)][0])
                .values(probability=p.probability, levels=p.levels)
            )
    return {k: v[0] for k, v in _existing(uow, worth).items()}


def run_link(
    ctx: Context, actor: Actor, unit: str | None = None, *, merge: bool = True, with_refs: bool = False
) -> LinkRun:
    """`admitall link`: find, queue and (above AUTO_MERGE) merge. Returns every candidate pair scored."""
    run = LinkRun()
    with ctx.uow(write=True) as uow:
        root = unit_in_scope(uow, actor, unit) if unit else actor.unit_code  # a unit elsewhere: as none at all
        prepared = [prepare(r) for r in load_records(uow, root)]
        run.people = len(prepared)
        pairs = candidate_pairs(prepared)
        run.candidates = len(pairs)
        model = DEFAULT_MODEL
        if len(pairs) >= MIN_PAIRS_TO_ESTIMATE:
            model = estimate(levels_of(prepared, pairs), u_from_random(prepared, 200_000))
            run.estimated = True
        run.model = model
        run.pairs = score(prepared, pairs, model)
        now = ctx.clock.now()
        ids = queue_pairs(uow, run.pairs, "link", now)
        if merge:
            _auto_merge(ctx, uow, actor, run.pairs, ids)
        states: dict[int, str] = {}
        wanted = sorted(ids.values())
        for first in range(0, len(wanted), 5000):
            query = select(link_pairs.c.id, link_pairs.c.state).where(link_pairs.c.id.in_(wanted[first : first + 5000]))
            states.update({pid: state for pid, state in uow.conn.execute(query)})
        for p in run.pairs:
            if (p.a, p.b) in ids:
                p.decision = {"merged": "merged", "review": "review"}.get(states.get(ids[(p.a, p.b)], ""), "distinct")
        if with_refs:
            run.refs = source_refs(uow, {x for p in run.pairs for x in (p.a, p.b)})
        uow.audit.record(now, actor.username, "link_persons", "unit", root, unit=root, candidates=run.candidates)
        uow.commit()
    run.merged = sum(p.decision == "merged" for p in run.pairs)
    run.review = sum(p.decision == "review" for p in run.pairs)
    run.distinct = len(run.pairs) - run.merged - run.review
    return run


def _auto_merge(
    ctx: Context, uow: UnitOfWork, actor: Actor, pairs: Sequence[ScoredPair], ids: dict[tuple[int, int], int]
) -> None:
    """Merge the sure pairs, strongest first; a record already merged away is followed to its survivor."""
    sure = sorted((p for p in pairs if p.decision == "merged"), key=lambda p: -p.probability)
    for p in sure:
        pair_id = ids.get((p.a, p.b))
        if pair_id is None:
            continue
        state = uow.conn.execute(select(link_pairs.c.state).where(link_pairs.c.id == pair_id)).scalar_one()
        if state != "review":
            continue  # a person decided it, or it was merged and undone: left as they said
        a, b = _current(uow, p.a), _current(uow, p.b)
        if a == b:
            _decide(uow, pair_id, "merged", actor.username, ctx)
            continue
        people = uow.persons.get_many([a, b])
        if any(x.status.value == "dead" for x in people.values()):
            continue
        stamp = ctx.stamp(actor, "link")
        merge_people(ctx, uow, actor, people[a], people[b], stamp, pair_id)
        _decide(uow, pair_id, "merged", actor.username, ctx)


def _current(uow: UnitOfWork, person_id: int) -> int:
    seen = person_id
    for _ in range(50):
        nxt = survivor_of(uow, seen)
        if nxt is None:
            return seen
        seen = nxt
    return seen


def _decide(uow: UnitOfWork, pair_id: int, state: str, who: str, ctx: Context) -> None:
    uow.conn.execute(
        update(link_pairs)
        .where(link_pairs.c.id == pair_id)
        .values(state=state, decided_by=who, decided_at=ctx.clock.now())
    )


def unresolved(uow: UnitOfWork, root: str | None) -> int:
    """Candidate duplicates still waiting for a person, both people inside the subtree."""
    query = select(func.count()).select_from(link_pairs).where(link_pairs.c.state == "review")
    if root is not None:
        low, high = subtree_bounds(root)
        query = query.where(link_pairs.c.unit_a.between(low, high), link_pairs.c.unit_b.between(low, high))
    return int(uow.conn.execute(query).scalar_one())


def pair_evidence(levels: Sequence[int], model: Model = DEFAULT_MODEL) -> list[dict[str, Any]]:
    return [{"field": e.field, "level": e.level, "weight": e.weight} for e in evidence(levels, model.weights)]
