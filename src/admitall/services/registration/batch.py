"""The batch: validate every row, match it to a person, and store new people while the next are matched."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from admitall.domain.access import Permission
from admitall.domain.errors import Conflict
from admitall.domain.intake import HEADERS, PersonInput, parse_person_input
from admitall.domain.lifecycle import identify
from admitall.domain.merge import merge
from admitall.domain.waits import wait_key
from admitall.services.changes import save_changes
from admitall.services.context import Actor, Context
from admitall.services.linkage_arrivals import Keys, link_arrivals
from admitall.services.linkage_merge import survivors
from admitall.services.registration import rejects
from admitall.services.registration.matching import Key, Matcher, Target, doc_key, name_phone_key
from admitall.services.registration.summary import BatchSummary, Rejection
from admitall.store.bulk import projections_once
from admitall.store.repositories.persons import NewPerson
from admitall.store.repositories.referrals import NewReferral, ReferralRepository
from admitall.store.uow import UnitOfWork

# (stage, done, total); stages: "validating", "matching", "saving"
Progress = Callable[[str, int, int], None]
RawRow = Mapping[str, str | None]
Valid = tuple[int, PersonInput, RawRow]

# new people are written in chunks of this many as matching goes on
SAVE_CHUNK = 5000
PROGRESS_EVERY = 2000
FIELDS = frozenset(HEADERS.values())


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch builds its objects.

    A large import allocates millions of objects and no reference cycles; with the collector running, its full
    collections rescan the whole growing heap again and again (measured: 8 of 21 seconds at 100,000 rows).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _concurrent_registration_is_a_conflict() -> Iterator[None]:
    """Two batches registering the same new person at once: the second meets the unique document index.
    Nothing of it was stored; it can simply be sent again, and will then merge."""
    try:
        yield
    except IntegrityError:
        raise Conflict(
            "registration.concurrent",
            "另一批登记同时登记了同一人，本批未保存，请重新提交",
            "Another batch registered the same person at the same moment; nothing of this batch was stored, "
            "send it again",
        ) from None


def register_batch(
    ctx: Context,
    actor: Actor,
    rows: Iterable[tuple[int, RawRow]],
    *,
    source: str,
    filename: str = "",
    sha256: str = "",
    progress: Progress | None = None,
    keep_rejects: bool = False,
) -> BatchSummary:
    """Validate, match and store a batch of registrations in one transaction; returns the accounting. With
    `keep_rejects`, a file's rejected rows are kept for the importer to fetch again (services.registration.rejects,
    `summary.import_id`)."""
    actor.require(Permission.IMPORT_PERSONS if filename else Permission.REGISTER_PERSONS)
    started = ctx.clock.now()
    summary = BatchSummary()
    with _collector_paused(), _concurrent_registration_is_a_conflict():
        valid = _validate(ctx, actor, rows, summary, progress)
        with ctx.uow(write=True) as uow:
            _Batch(ctx, actor, uow, source, filename, summary, progress).run(valid)
            summary.rejected = len(summary.rejections)
            summary.rejections.sort(key=lambda r: r.row)
            assert summary.accepted + summary.merged + summary.referred + summary.rejected == summary.rows
            counts = {
                "rows": summary.rows,
                "accepted": summary.accepted,
                "merged": summary.merged,
                "referred": summary.referred,
                "rejected": summary.rejected,
            }
            if filename:
                summary.import_id = uow.imports.record(
                    kind="persons",
                    source=source,
                    filename=filename,
                    sha256=sha256,
                    actor=actor.username,
                    started_at=started,
                    finished_at=ctx.clock.now(),
                    **counts,
                )
                if keep_rejects:
                    rejects.keep(
                        uow, summary.import_id, actor.username, ctx.clock.now(), summary.rejections, summary.warnings
                    )
            uow.audit.record(
                ctx.clock.now(),
                actor.username,
                "import_persons" if filename else "register_persons",
                "batch",
                None,
                unit=actor.unit_code,
                source=source,
                filename=filename,
                **counts,
            )
            uow.commit()
    return summary


def register_within(
    ctx: Context, actor: Actor, uow: UnitOfWork, rows: Iterable[tuple[int, RawRow]], *, source: str
) -> BatchSummary:
    """Register rows by every rule of `register_batch`, inside the caller's unit of work (its one transaction,
    which the caller commits and audits): for a use case that stores its own records with the people it found
    (the survey's visits, services.survey_visits)."""
    actor.require(Permission.REGISTER_PERSONS)
    summary = BatchSummary()
    with _collector_paused(), _concurrent_registration_is_a_conflict():
        valid = _validate(ctx, actor, rows, summary, None)
        _Batch(ctx, actor, uow, source, "", summary, None).run(valid)
    summary.rejected = len(summary.rejections)
    return summary


def _validate(
    ctx: Context, actor: Actor, rows: Iterable[tuple[int, RawRow]], summary: BatchSummary, progress: Progress | None
) -> list[Valid]:
    now, tz = ctx.clock.now(), ctx.settings.tz
    valid: list[Valid] = []
    for i, (row, raw) in enumerate(rows, start=1):
        if not any(v is not None and str(v).strip() for v in raw.values()):
            summary.blank_rows += 1
            continue
        summary.rows += 1
        result = parse_person_input(raw, now=now, tz=tz)
        if isinstance(result, list):
            summary.rejections.append(Rejection(row, tuple(result), raw))
        elif not actor.covers(result.details.unit_code):
            code = result.details.unit_code
            summary.reject(
                row, raw, "unit_code", f"单位 {code} 不在您的管辖范围内", f"Unit {code} is outside your jurisdiction"
            )
        else:
            valid.append((row, result, raw))
            summary.warnings.extend((row, w) for w in result.warnings)
        if progress is not None and i % PROGRESS_EVERY == 0:
            progress("validating", i, 0)
    return valid


class _Batch:
    def __init__(
        self,
        ctx: Context,
        actor: Actor,
        uow: UnitOfWork,
        source: str,
        filename: str,
        summary: BatchSummary,
        progress: Progress | None,
    ) -> None:
        self.ctx, self.actor, self.uow = ctx, actor, uow
        self.source, self.filename = source, filename
        self.summary, self.progress = summary, progress
        self.now: datetime = ctx.clock.now()
        self.referrals: list[NewReferral] = []

    def _load(self, valid: list[Valid]) -> tuple[Matcher, dict[int, Target]]:
        """Everyone already registered whom a row may be: by document, name and phone, or source reference."""
        persons = self.uow.persons
        doc_ids = persons.ids_by_document({k for _, item, _ in valid if (k := doc_key(item))})
        np_ids = persons.ids_by_name_phone({k for _, item, _ in valid if (k := name_phone_key(item))})
        src_ids = persons.ids_by_source({(self.source, item.source_ref) for _, item, _ in valid if item.source_ref})
        # a record merged away (services.linkage_merge) is a pointer: its rows land on the survivor
        doc_ids, np_ids, src_ids = (survivors(self.uow, ids) for ids in (doc_ids, np_ids, src_ids))
        wanted = {*doc_ids.values(), *np_ids.values(), *src_ids.values()}
        stored = {pid: Target(p, [], [], stored_id=pid, stored=p) for pid, p in persons.get_many(wanted).items()}
        matcher = Matcher(
            {k: stored[v] for k, v in doc_ids.items()},
            {k: stored[v] for k, v in np_ids.items()},
            {k: stored[v] for k, v in src_ids.items()},
        )
        return matcher, stored

    def run(self, valid: list[Valid]) -> None:
        matcher, stored = self._load(valid)
        # new people are only inserted until every row is matched: their projections are kept once, after
        with projections_once(self.uow.conn):
            new = self._match_and_insert(valid, matcher)
        self._save_changes(list(stored.values()), new)
        self._save_referrals()
        # the new people scored against the registry: a likely duplicate is queued for review (issue 16 §2)
        found_by = "help_request" if self.source == "help_request" else "import"
        arrivals = {t.stored_id: Keys.of(t.person) for t in new if t.stored_id is not None}
        link_arrivals(self.ctx, self.uow, arrivals, found_by)

    def _match_and_insert(self, valid: list[Valid], matcher: Matcher) -> list[Target]:
        """Every valid row matched and applied; new people written in chunks as they come. Returns them.

        Consumes `valid`: a row is let go once it is matched, so that a large batch does not hold every row and
        every person it made at once."""
        known_units = self.uow.units.existing_codes({item.details.unit_code for _, item, _ in valid})
        total = len(valid)
        ids = iter(self.uow.persons.reserve_ids(total))
        new: list[Target] = []
        pending: list[Target] = []
        valid.reverse()
        for n in range(1, total + 1):
            row, item, raw = valid.pop()
            if self.progress is not None and n % PROGRESS_EVERY == 0:
                self.progress("matching", n, total)
            if item.details.unit_code not in known_units:
                code = item.details.unit_code
                self.summary.reject(row, raw, "unit_code", f"单位编码 {code} 不存在", f"Unknown unit code {code}")
                continue
            created = self._take(row, item, raw, matcher)
            if created is not None:
                new.append(created)
                pending.append(created)
            if len(pending) >= SAVE_CHUNK:
                self._flush(pending, ids, len(new), total)
                pending = []
        self._flush(pending, ids, len(new), total)
        return new

    def _take(self, row: int, item: PersonInput, raw: RawRow, matcher: Matcher) -> Target | None:
        """Match one valid row and apply it: a new person (returned), a merge or a rejection."""
        target, matched_by = matcher.find(item, self.source)
        source_key: Key | None = (self.source, item.source_ref) if item.source_ref else None
        owner = matcher.owner_of(source_key)
        elsewhere = self._elsewhere(target) or self._elsewhere(owner)
        if elsewhere is not None:
            self._refer(row, item, raw, elsewhere, matched_by if elsewhere is target else "source")
            return None
        if owner is not None and target is not None and owner is not target:
            self.summary.reject(
                row,
                raw,
                "source_ref",
                f"来源编号 {item.source_ref} 已对应另一人",
                f"Source reference {item.source_ref} already belongs to another person",
            )
            return None
        stamp = self.ctx.stamp(
            self.actor,
            self.source,
            occurred_at=item.identified_at,
            reason=f"{self.filename} #{row}" if self.filename else None,  # the file and its row, in any language
        )
        created = None
        if target is None:
            person, event = identify(item.details, item.status, stamp, severity=item.severity, risks=item.risks)
            target = created = Target(person, [event], [source_key] if source_key else [])
            self.summary.accepted += 1
        else:
            outcome = merge(target.person, item, stamp)
            target.person = outcome.person
            target.events.extend(outcome.events)
            if source_key is not None and owner is None:
                target.sources.append(source_key)
            self.summary.merged += 1
            self.summary.warnings.extend((row, note) for note in outcome.notes)
        target.rows.append(row)
        matcher.remember(target, source_key)
        return created

    def _elsewhere(self, target: Target | None) -> Target | None:
        """The target, if it is a person already stored outside the actor's jurisdiction."""
        if target is None or target.stored is None or self.actor.covers(target.stored.unit_code):
            return None
        return target

    def _refer(self, row: int, item: PersonInput, raw: RawRow, target: Target, matched_by: str) -> None:
        """A row that is someone else's person: kept for that person's unit, told to the registrant as a count."""
        assert target.stored is not None and target.stored_id is not None
        fields = {k: str(v) for k, v in raw.items() if k in FIELDS and v is not None and str(v).strip()}
        fields["identified_at"] = item.identified_at.isoformat()
        self.referrals.append(
            NewReferral(target.stored_id, target.stored.unit_code, matched_by, row if self.filename else None, fields)
        )
        self.summary.referred += 1

    def _save_referrals(self) -> None:
        ReferralRepository(self.uow.conn).add_many(
            self.referrals,
            by=self.actor.username,
            unit=self.actor.unit_code,
            at=self.now,
            source=self.source,
            filename=self.filename,
        )
        for referral in self.referrals:
            # on the person's own unit's record, not the registrant's: only that unit may know who was matched
            self.uow.audit.record(
                self.now,
                self.actor.username,
                "refer_registration",
                "person",
                referral.person_id,
                unit=referral.unit_code,
                source=self.source,
                filename=self.filename,
                row=referral.row,
            )

    def _flush(self, pending: list[Target], ids: Iterator[int], written: int, total: int) -> None:
        """Write new people; rows that merge into them later are saved as changes at the end."""
        if not pending:
            return
        items = []
        for target in pending:
            target.stored_id = next(ids)
            target.stored = target.person  # the state as written; it takes its id when saved again
            items.append(NewPerson(target.person, target.events, target.sources))
            target.events, target.sources = [], []
        self.uow.persons.add_many(items, self.now, [t.stored_id for t in pending])
        policy = self.ctx.policy
        self.uow.waits.open_many(
            (t.stored_id, key) for t in pending if t.stored_id is not None and (key := wait_key(t.person, policy))
        )
        if self.progress is not None:
            self.progress("saving", written, total)

    def _save_changes(self, stored: list[Target], new: list[Target]) -> None:
        """What the rows did to people already stored, including new people written earlier in this batch."""
        self.summary.changed_existing = sum(1 for target in stored if target.events)
        for target in [*stored, *new]:
            assert target.stored_id is not None
            if target.events:
                assert target.stored is not None
                save_changes(
                    self.ctx,
                    self.uow,
                    self.actor,
                    target.stored,
                    replace(target.person, id=target.stored_id),
                    target.events,
                    None,
                )
            if target.sources:
                self.uow.persons.add_sources(target.stored_id, target.sources)
            for row in target.rows:
                self.summary.person_ids[row] = target.stored_id
