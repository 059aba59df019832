"""Record linkage at a million (issue 16): precision, recall and time of `admitall link`'s model against the truth
of a generated set (bench/linkage_data.py), beside exact-key matching (the import's rule: the same ID number, or
the same name and phone) on the same records in the same run.

    python bench/linkage.py --records 1000000 [--write]

`--write` puts the figures between the markers of the "Record linkage (issue 16)" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from admitall.domain.linkage import FIELD_NAMES, FIELDS, prepare
from admitall.domain.linkage_model import AUTO_MERGE, BLOCKING_RULES, REVIEW, decision, link
from linkage_data import generate


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def truth_pairs(person_of: list[int]) -> set[tuple[int, int]]:
    by_person: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(person_of):
        by_person[p].append(i)
    out = set()
    for members in by_person.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                out.add((members[x], members[y]))
    return out


def exact_keys(records) -> set[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """The import's matching: a record joins the first one with its ID number, or (without one) its name and phone."""
    by_doc: dict[str, int] = {}
    by_np: dict[tuple[str, str], int] = {}
    found = set()
    for r in records:
        target = None
        if r.document is not None:
            target = by_doc.get(r.document)
            if target is None and r.phone:
                target = by_np.get((r.name, r.phone))
        elif r.phone:
            target = by_np.get((r.name, r.phone))
        if target is not None:
            found.add((min(target, r.id), max(target, r.id)))
        else:
            if r.document is not None:
                by_doc.setdefault(r.document, r.id)
            if r.phone:
                by_np.setdefault((r.name, r.phone), r.id)
    return found


def score(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0, hits / len(truth) if truth else 1.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--model-out", type=Path, help="write the estimated model (JSON) here")
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = generate(args.records)
    generated = time.perf_counter() - t0
    truth = truth_pairs(data.person_of)

    w0, c0 = time.perf_counter(), _cpu()
    exact = exact_keys(data.records)
    exact_wall, exact_cpu = time.perf_counter() - w0, _cpu() - c0

    w0, c0 = time.perf_counter(), _cpu()
    prepared = [prepare(r) for r in data.records]
    t_prep = time.perf_counter() - w0
    linked = link(prepared)
    link_wall, link_cpu = time.perf_counter() - w0, _cpu() - c0

    probs = linked.probabilities
    pairs = [tuple(p) for p in linked.pairs.tolist()]
    levels = linked.levels.tolist()
    blocked_true = sum(1 for p in pairs if p in truth)
    rows = []
    for auto, review in ((AUTO_MERGE, REVIEW), (0.99, 0.5), (0.999, 0.8), (0.9999, 0.9)):
        said = [decision(q, lv, auto, review) for q, lv in zip(probs.tolist(), levels, strict=True)]
        merged = {p for p, d in zip(pairs, said, strict=True) if d == "merged"}
        queued = {p for p, d in zip(pairs, said, strict=True) if d == "review"}
        pm, _ = score(merged, truth)
        pa, ra = score(merged | queued, truth)
        rows.append((auto, review, len(merged), pm, len(queued), pa, ra))
    pe, re_ = score(exact, truth)
    weights = linked.model.weights
    lines = [
        "## Record linkage (issue 16)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.system()} {platform.machine()}, "
        f"2 cores shared with other helpers' work, Python {platform.python_version()}.",
        f"`python bench/linkage.py --records {args.records}`: {args.records:,} generated records "
        f"({data.duplicates:,} of them second records of a person already in the set, "
        f"{len(truth):,} true pairs; bench/linkage_data.py says which errors), generated in {generated:.1f} s. "
        "Our own Fellegi–Sunter (domain/linkage.py, domain/linkage_model.py), no labels used: m from the blocked "
        "pairs that are surely one person by other fields, u from those surely two people (two different ID "
        "numbers; a different name and birth date), the prior by EM, the weights held monotone.",
        "",
        "| what | wall | CPU |",
        "| --- | ---: | ---: |",
        f"| exact-key matching (the import's rule: same ID number, else same name and phone) | {exact_wall:.1f} s | {exact_cpu:.1f} s |",
        f"| probabilistic linkage, whole (prepare + block + compare + estimate + score) | {link_wall:.1f} s | {link_cpu:.1f} s |",
        f"| of which preparing the records (pinyin, ID birth date and sex) | {t_prep:.1f} s | |",
        "",
        f"Blocking ({', '.join(BLOCKING_RULES)}): "
        f"{len(pairs):,} candidate pairs holding {blocked_true:,} of the {len(truth):,} true pairs "
        f"(recall ceiling {blocked_true / len(truth):.4f}). Estimated prior {linked.model.prior:.4f}.",
        "",
        "| auto-merge ≥ | review ≥ | merged | precision of merges | to review | precision (merged + review) | recall (merged + review) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for auto, review, nm, pm, nq, pa, ra in rows:
        lines.append(f"| {auto} | {review} | {nm:,} | {pm:.4f} | {nq:,} | {pa:.4f} | {ra:.4f} |")
    lines += [
        f"| exact keys | | {len(exact):,} | {pe:.4f} | | {pe:.4f} | {re_:.4f} |",
        "",
        "Match weights (log2 m/u) estimated:",
        "",
        "| field | " + " | ".join(f"level {i}" for i in range(5)) + " |",
        "| --- |" + " ---: |" * 5,
    ]
    for k, name in enumerate(FIELD_NAMES):
        cells = [f"{lvl} {weights[k][i]:+.1f}" for i, lvl in enumerate(FIELDS[name])]
        lines.append(f"| {name} | " + " | ".join(cells + [""] * (5 - len(cells))) + " |")
    text = "\n".join(lines) + "\n"
    if args.model_out:
        args.model_out.write_text(json.dumps(linked.model.to_json()))
    print(text)
    if args.write:
        path = Path(__file__).parent / "RESULTS.md"
        body = path.read_text()
        begin, end = "<!-- linkage:begin -->", "<!-- linkage:end -->"
        block = f"{begin}\n{text}\n{end}"
        if begin in body:
            body = body[: body.index(begin)] + block + body[body.index(end) + len(end) :]
        else:
            body = body.rstrip("\n") + "\n\n" + block + "\n"
        path.write_text(body)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
