"""What the twin needs to exercise tracing and observation (issue 17): the exposures of the contacts it traces, and
their twice-daily checks read from each agent's own timeline.

`ObservationTwin.on_hour` is the runner's hourly hook (`Run.on_hour`); it calls `registered` with the people found
since the last hour (the contacts among them are recorded as exposed to the case that brought them in —
`Agent.source` — the day before they were found, which puts them under observation), then `hour`: at the check
times (three hours before each of the policy's deadlines) the contacts still watched report a temperature —
febrile from twelve hours before their timeline says they fall ill, otherwise normal — and a small share of checks
is missed, so that the watch raises its alerts. Both calls are one batch each (services.tracing.register_exposures,
services.observation_checks.record_checks); readings are deterministic for an agent and hour, drawing nothing from
the outbreak's random stream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from admitall.services.context import Actor, Context
from admitall.services.observation_checks import CheckInput, CheckSummary, record_checks
from admitall.services.tracing import ExposureInput, ExposureSummary, register_exposures
from admitall.sim.epidemic import CONTACT, Agent

CHECK_BEFORE_DEADLINE = 3  # hours: a team checks its contacts this long before each deadline
FEVER_SHOWS_BEFORE = 12.0  # hours before the timeline's fever step that a check finds it
MISS_SHARE = 0.03  # of checks not made (an alert for the day)


def _unit(index: int, hour: int, salt: str) -> float:
    """A number in [0, 1) fixed by the agent, the hour and what it is for."""
    digest = hashlib.blake2b(f"{salt}:{index}:{hour}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def fever_from(agent: Agent) -> float | None:
    """The hour the agent's timeline makes them febrile (a contact who falls ill), or None."""
    return next((hour for hour, action, to, _ in agent.steps if action == "reclassify" and to == "fever"), None)


def reading(agent: Agent, hour: int, ill_from: float | None) -> float:
    """The temperature a check at `hour` finds."""
    if ill_from is not None and hour >= ill_from - FEVER_SHOWS_BEFORE:
        return round(37.5 + 1.4 * _unit(agent.index, hour, "fever"), 1)
    return round(36.2 + 0.9 * _unit(agent.index, hour, "normal"), 1)


def check_hours(ctx: Context) -> tuple[int, ...]:
    """Local hours of the day at which the teams check (before each deadline)."""
    return tuple((d.hour - CHECK_BEFORE_DEADLINE) % 24 for d in ctx.policy.observation.check_deadlines)


@dataclass
class ObservationTwin:
    """The contacts the twin watches: person id → (agent, hour they fall ill, if they do)."""

    ctx: Context
    actor: Actor
    start: datetime  # the run's hour 0 (local midnight, aware)
    miss_share: float = MISS_SHARE
    person_of: dict[int, int] = field(default_factory=dict)  # agent index → person id
    watched: dict[int, tuple[Agent, float | None]] = field(default_factory=dict)
    seen: int = 0  # how many of the run's tracked people `on_hour` has passed to `registered`

    def on_hour(self, run: Any, now: float) -> list[int]:
        """The runner's hourly hook (`Run.on_hour`, called at each full hour after the hour's reports and before
        the watch): the people registered since the last call (`run.tracked`, in the order registered) have
        their exposures recorded, then the hour's checks are made. Returns the people a check moved to another
        category (the runner reads them back)."""
        new = list(islice(run.tracked.items(), self.seen, None))
        self.seen += len(new)
        if new:
            self.registered([t.agent for _, t in new], {index: t.person_id for index, t in new})
        summary = self.hour(round(now))
        return list(summary.converted) if summary is not None else []

    def registered(self, agents: Iterable[Agent], person_ids: Mapping[int, int]) -> ExposureSummary | None:
        """After a batch of people is registered (`person_ids`: agent index → person id): record the exposures of
        the contacts among them to their source case, one batch."""
        exposures = []
        for agent in agents:
            pid = person_ids.get(agent.index)
            if pid is None:
                continue
            self.person_of[agent.index] = pid
            source = self.person_of.get(agent.source) if agent.source is not None else None
            if agent.kind != CONTACT or source is None:
                continue
            exposed = (self.start + timedelta(hours=max(agent.identified - 24, 0.0))).date()
            exposures.append(ExposureInput(pid, source, exposed, "household"))
            self.watched[pid] = (agent, fever_from(agent))
        if not exposures:
            return None
        return register_exposures(self.ctx, self.actor, exposures, source="sim")

    def hour(self, hour: int) -> CheckSummary | None:
        """At a check hour, the watched contacts' checks (less the missed), one batch; those the service no longer
        watches (converted, released, ended, or past their window) are dropped from the watch."""
        local = self.start + timedelta(hours=hour)
        if local.hour not in check_hours(self.ctx) or not self.watched:
            return None
        at = local.astimezone(UTC)
        checks = [
            CheckInput(pid, reading(agent, hour, ill), (), at)
            for pid, (agent, ill) in self.watched.items()
            if _unit(agent.index, hour, "miss") >= self.miss_share
        ]
        summary = record_checks(self.ctx, self.actor, checks, source="sim", lang="en")
        for check, code, _ in summary.refused:
            if code in ("person.not_found", "check.outside_window"):
                self.watched.pop(check.person_id, None)
        for pid in summary.converted:
            self.watched.pop(pid, None)
        return summary
