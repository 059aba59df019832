"""Registering people, one from a form or a hundred thousand from a file, in one transaction.

Every row ends in exactly one of: accepted (a new person), merged (the same person is already registered, or
appears earlier in the same batch) or rejected (with its row number, field and reason). Nothing is written
unless everything is: an error, or an interruption, anywhere before the commit leaves the registry as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.intake import FieldProblem, PersonInput, parse_person_input
from admitall.domain.merge import merge
from admitall.domain.people import Person, PersonEvent, identify
from admitall.services.context import Actor, Context
from admitall.store.repositories.persons import NewPerson

# (stage, done, total); stages: "validating", "matching", "saving"
Progress = Callable[[str, int, int], None]
RawRow = Mapping[str, str | None]

SAVE_CHUNK = 5000


@dataclass(frozen=True)
class Rejection:
    row: int
    problems: tuple[FieldProblem, ...]
    raw: RawRow

    def fields(self) -> str:
        return "; ".join(dict.fromkeys(p.field for p in self.problems))

    def reason(self, lang: str) -> str:
        return "; ".join(p.message(lang) for p in self.problems)


@dataclass
class BatchSummary:
    rows: int = 0
    accepted: int = 0
    merged: int = 0
    rejected: int = 0
    blank_rows: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[tuple[int, FieldProblem]] = field(default_factory=list)
    # row number → person id, for every row that was accepted or merged
    person_ids: dict[int, int] = field(default_factory=dict)
    changed_existing: int = 0

    def as_dict(self, lang: str = "zh", *, detail_limit: int = 1000) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "merged": self.merged,
            "rejected": self.rejected,
            "blank_rows_skipped": self.blank_rows,
            "existing_people_changed": self.changed_existing,
            "rejections": [
                {"row": r.row, "field": r.fields(), "reason": r.reason(lang)} for r in self.rejections[:detail_limit]
            ],
            "warnings": [
                {"row": row, "field": w.field, "message": w.message(lang)} for row, w in self.warnings[:detail_limit]
            ],
        }


@dataclass
class _Target:
    """A person a row can merge into: one already stored (id) or one new in this batch."""

    person: Person
    events: list[PersonEvent]
    sources: list[tuple[str, str]]
    stored_id: int | None = None
    rows: list[int] = field(default_factory=list)


def _doc_key(p: PersonInput | Person) -> tuple[str, str] | None:
    doc = p.details.document
    return (doc.type.value, doc.number) if doc else None


def _np_key(p: PersonInput | Person) -> tuple[str, str] | None:
    return (p.details.name, p.details.phone) if p.details.phone else None


def _is_blank(raw: RawRow) -> bool:
    return not any(v is not None and str(v).strip() for v in raw.values())


class _Matcher:
    """Finds the person a registration belongs to: same document; without one, same name and phone; or the
    same (source, source reference) seen before. Knows both stored people and those new in this batch."""

    def __init__(
        self,
        by_doc: dict[tuple[str, str], _Target],
        by_np: dict[tuple[str, str], _Target],
        by_src: dict[tuple[str, str], _Target],
    ) -> None:
        self.by_doc, self.by_np, self.by_src = by_doc, by_np, by_src

    def find(self, item: PersonInput, source: str) -> _Target | None:
        doc, np_key = _doc_key(item), _np_key(item)
        if doc is not None:
            if doc in self.by_doc:
                return self.by_doc[doc]
            # a registration with a document matches a name-and-phone record only if that record has none
            candidate = self.by_np.get(np_key) if np_key else None
            if candidate is not None and candidate.person.details.document is None:
                return candidate
        elif np_key is not None and np_key in self.by_np:
            return self.by_np[np_key]
        if item.source_ref is not None:
            return self.by_src.get((source, item.source_ref))
        return None

    def remember(self, target: _Target) -> None:
        doc, np_key = _doc_key(target.person), _np_key(target.person)
        if doc is not None:
            self.by_doc.setdefault(doc, target)
        if np_key is not None:
            self.by_np.setdefault(np_key, target)
        for key in target.sources:
            self.by_src.setdefault(key, target)


def _validate(
    ctx: Context, actor: Actor, rows: Iterable[tuple[int, RawRow]], summary: BatchSummary, progress: Progress | None
) -> list[tuple[int, PersonInput, RawRow]]:
    now, tz = ctx.clock.now(), ctx.settings.tz
    valid: list[tuple[int, PersonInput, RawRow]] = []
    for i, (row, raw) in enumerate(rows, start=1):
        if _is_blank(raw):
            summary.blank_rows += 1
            continue
        summary.rows += 1
        result = parse_person_input(raw, now=now, tz=tz)
        if isinstance(result, list):
            summary.rejections.append(Rejection(row, tuple(result), raw))
        elif not actor.covers(result.details.unit_code):
            summary.rejections.append(
                Rejection(
                    row,
                    (
                        FieldProblem(
                            "unit_code",
                            f"单位 {result.details.unit_code} 不在您的管辖范围内",
                            f"Unit {result.details.unit_code} is outside your jurisdiction",
                        ),
                    ),
                    raw,
                )
            )
        else:
            valid.append((row, result, raw))
            summary.warnings.extend((row, w) for w in result.warnings)
        if progress is not None and i % 2000 == 0:
            progress("validating", i, 0)
    return valid


def register_batch(
    ctx: Context,
    actor: Actor,
    rows: Iterable[tuple[int, RawRow]],
    *,
    source: str,
    filename: str = "",
    sha256: str = "",
    progress: Progress | None = None,
) -> BatchSummary:
    """Validate, match and store a batch of registrations in one transaction; returns the accounting."""
    actor.require(Permission.REGISTER_PERSONS if not filename else Permission.IMPORT_PERSONS)
    started = ctx.clock.now()
    summary = BatchSummary()
    valid = _validate(ctx, actor, rows, summary, progress)

    with ctx.uow(write=True) as uow:
        known_units = uow.units.existing_codes({item.details.unit_code for _, item, _ in valid})
        docs = {k for _, item, _ in valid if (k := _doc_key(item))}
        nps = {k for _, item, _ in valid if (k := _np_key(item))}
        srcs = {(source, item.source_ref) for _, item, _ in valid if item.source_ref}
        doc_ids = uow.persons.ids_by_document(docs)
        np_ids = uow.persons.ids_by_name_phone(nps)
        src_ids = uow.persons.ids_by_source(srcs)
        stored = {
            pid: _Target(p, [], [], stored_id=pid)
            for pid, p in uow.persons.get_many({*doc_ids.values(), *np_ids.values(), *src_ids.values()}).items()
        }
        matcher = _Matcher(
            {k: stored[v] for k, v in doc_ids.items()},
            {k: stored[v] for k, v in np_ids.items()},
            {k: stored[v] for k, v in src_ids.items()},
        )
        new_targets: list[_Target] = []

        for n, (row, item, raw) in enumerate(valid, start=1):
            if progress is not None and n % 2000 == 0:
                progress("matching", n, len(valid))
            if item.details.unit_code not in known_units:
                summary.rejections.append(
                    Rejection(
                        row,
                        (
                            FieldProblem(
                                "unit_code",
                                f"单位编码 {item.details.unit_code} 不存在",
                                f"Unknown unit code {item.details.unit_code}",
                            ),
                        ),
                        raw,
                    )
                )
                continue
            target = matcher.find(item, source)
            src_key = (source, item.source_ref) if item.source_ref else None
            owner = matcher.by_src.get(src_key) if src_key else None
            if owner is not None and target is not None and owner is not target:
                summary.rejections.append(
                    Rejection(
                        row,
                        (
                            FieldProblem(
                                "source_ref",
                                f"来源编号 {item.source_ref} 已对应另一人",
                                f"Source reference {item.source_ref} already belongs to another person",
                            ),
                        ),
                        raw,
                    )
                )
                continue
            stamp = ctx.stamp(
                actor, source, occurred_at=item.identified_at, reason=f"{filename} row {row}" if filename else None
            )
            if target is None:
                person, event = identify(item.details, item.status, stamp, severity=item.severity, risks=item.risks)
                target = _Target(person, [event], [src_key] if src_key else [])
                new_targets.append(target)
                summary.accepted += 1
            else:
                outcome = merge(target.person, item, stamp)
                target.person = outcome.person
                target.events.extend(outcome.events)
                if src_key is not None and owner is None:
                    target.sources.append(src_key)
                summary.merged += 1
                summary.warnings.extend((row, note) for note in outcome.notes)
            target.rows.append(row)
            matcher.remember(target)

        _save(ctx, uow, stored.values(), new_targets, summary, progress)
        summary.rejected = len(summary.rejections)
        summary.rejections.sort(key=lambda r: r.row)
        assert summary.accepted + summary.merged + summary.rejected == summary.rows
        if filename:
            uow.imports.record(
                kind="persons",
                source=source,
                filename=filename,
                sha256=sha256,
                rows=summary.rows,
                accepted=summary.accepted,
                merged=summary.merged,
                rejected=summary.rejected,
                actor=actor.username,
                started_at=started,
                finished_at=ctx.clock.now(),
            )
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            "import_persons" if filename else "register_persons",
            "batch",
            None,
            source=source,
            filename=filename,
            rows=summary.rows,
            accepted=summary.accepted,
            merged=summary.merged,
            rejected=summary.rejected,
        )
        uow.commit()
    return summary


def _save(
    ctx: Context,
    uow: Any,
    stored: Iterable[_Target],
    new_targets: list[_Target],
    summary: BatchSummary,
    progress: Progress | None,
) -> None:
    now = ctx.clock.now()
    total = len(new_targets)
    for start in range(0, total, SAVE_CHUNK):
        chunk = new_targets[start : start + SAVE_CHUNK]
        ids = uow.persons.add_many([NewPerson(t.person, t.events, t.sources) for t in chunk], now)
        for target, pid in zip(chunk, ids, strict=True):
            target.person = replace(target.person, id=pid)
            summary.person_ids.update(dict.fromkeys(target.rows, pid))
        if progress is not None:
            progress("saving", min(start + SAVE_CHUNK, total), total)
    for target in stored:
        assert target.stored_id is not None
        if target.events:
            uow.persons.save(target.person, target.events, now)
            summary.changed_existing += 1
        new_sources = target.sources
        if new_sources:
            uow.persons.add_sources(target.stored_id, new_sources)
        summary.person_ids.update(dict.fromkeys(target.rows, target.stored_id))
