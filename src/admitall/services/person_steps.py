"""Many changes to people in one transaction, as a desk or a field team records a shift's worth at once.

Each change is the same domain command as one recorded on its own (reclassify, change severity, depart, admit,
refuse, cancel, discharge with an outcome), decided in order and stored together (services.changes: one statement
per table for the whole batch): a change the rules refuse, or one whose bed is no longer free, is skipped with its
reason and the others are stored. The batch is put on record once. The simulator drives the city through this; so
can an import of desk records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from admitall.domain.access import Permission
from admitall.domain.errors import AdmitAllError, InvalidInput
from admitall.domain.lifecycle import change_severity, reclassify
from admitall.domain.people import Person, PersonEvent, Severity, Stamp, Status
from admitall.services.admission import DESK_STEPS, check_at_desk, check_discharge, parse_outcome
from admitall.services.changes import Batch, save_changes_many
from admitall.services.context import Actor, Context, not_found
from admitall.services.people import people_desk

Command = Callable[[Person, Stamp], tuple[Person, PersonEvent]]


@dataclass(frozen=True)
class Step:
    """One change to one person. `to` is the new status (reclassify), severity (severity) or outcome
    (outcome: recovered, released, excluded, dead); `severity` goes with a reclassification to confirmed."""

    person_id: int
    action: str
    to: str | None = None
    severity: str | None = None
    reason: str | None = None
    occurred_at: datetime | None = None


@dataclass
class StepsSummary:
    done: dict[int, Person] = field(default_factory=dict)  # person id -> the person after their last step
    refused: list[tuple[Step, str, str]] = field(default_factory=list)  # (step, code, message)


def _command(actor: Actor, step: Step, person: Person) -> Command:
    """The domain command a step stands for, once the actor may do it to this person."""
    if step.action in DESK_STEPS:
        permission, command = DESK_STEPS[step.action]
        check_at_desk(actor, person, permission)
        return command
    if step.action == "reclassify":
        actor.require(Permission.RECLASSIFY)
        status = _parse(Status, step.to, "to")
        level = _parse(Severity, step.severity, "severity") if step.severity else None
        return lambda p, stamp: reclassify(p, status, stamp, severity=level)
    if step.action == "severity":
        actor.require(Permission.CHANGE_SEVERITY)
        level = _parse(Severity, step.to, "to")
        return lambda p, stamp: change_severity(p, level, stamp)
    if step.action == "outcome":
        status = parse_outcome(step.to, "to")
        check_discharge(actor, person)
        return lambda p, stamp: reclassify(p, status, stamp)
    raise InvalidInput("steps.unknown_action", f"未知操作：{step.action}", f"Unknown action: {step.action}")


def _parse(enum: type[Status] | type[Severity], value: str | None, name: str) -> Any:
    found = enum.parse(value or "")
    if found is None:
        raise InvalidInput(f"{name}.invalid", f"无法识别：{value}", f"Not recognised: {value}", field=name)
    return found


def _within_reach(actor: Actor, person: Person, seen: set[int] | None) -> bool:
    """As for one person at a time (services.people.load_person): within the actor's jurisdiction, or — for a
    facility's desk — among the people `seen` at that facility."""
    if seen is not None:
        return person.id in seen
    return actor.covers(person.unit_code)


def apply_steps(ctx: Context, actor: Actor, steps: Iterable[Step], *, source: str, lang: str = "zh") -> StepsSummary:
    """Apply the steps in order, in one transaction; a person may have several. Returns what was done and,
    for every step refused, the rule or reason."""
    steps = list(steps)

    def decide(batch: Batch) -> StepsSummary:
        summary = StepsSummary()
        for step in steps:
            person = batch.people.get(step.person_id)
            try:
                if person is None or not _within_reach(actor, person, seen):
                    raise not_found("person", step.person_id)
                command = _command(actor, step, person)
                stamp = ctx.stamp(actor, source, reason=step.reason, occurred_at=step.occurred_at)
                after, event = command(person, stamp)
                summary.done[step.person_id] = batch.add(person, after, [event], None)
            except AdmitAllError as e:
                summary.refused.append((step, e.code, e.message(lang)))
        return summary

    with ctx.uow(write=True) as uow:
        people = uow.persons.get_many(s.person_id for s in steps)
        desk = people_desk(actor)
        seen = uow.persons.seen_at(desk, people) if desk is not None else None
        summary = save_changes_many(ctx, uow, actor, people, decide)
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            "person_steps",
            "batch",
            None,
            unit=actor.unit_code,
            source=source,
            steps=len(steps),
            done=len(steps) - len(summary.refused),
            refused=len(summary.refused),
        )
        uow.commit()
    return summary
