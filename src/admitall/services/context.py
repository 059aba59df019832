"""What every service call needs: the database, the clock, the settings, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from admitall.clock import Clock, SystemClock
from admitall.domain.access import Permission, Role, can, require
from admitall.domain.errors import InvalidInput, NotFound
from admitall.domain.people import Stamp
from admitall.domain.policy import Policy, default_policy, parse_policy
from admitall.domain.scoring import Scoring, default_scoring, parse_scoring
from admitall.domain.units import UnitLevel, in_subtree, level_of, normalize_code
from admitall.keys import Keys, resolve, wrong_key
from admitall.settings import Settings, get_settings
from admitall.store.db import make_engine
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork


@dataclass(frozen=True)
class Actor:
    """Who is acting. `unit_code` is the root of their jurisdiction; None means the whole registry (the CLI).
    A facility officer also has the facility whose admissions desk they keep."""

    username: str
    role: Role
    unit_code: str | None
    user_id: int | None = None
    display_name: str = ""
    facility_code: str | None = None

    def can(self, permission: Permission) -> bool:
        return can(self.role, permission)

    def require(self, permission: Permission) -> None:
        require(self.role, permission)

    def covers(self, unit_code: str) -> bool:
        return self.unit_code is None or in_subtree(unit_code, self.unit_code)

    def scoped(self, unit_code: str) -> str:
        """The code as given by a user, checked and normalised, if it is within the jurisdiction.

        Outside the jurisdiction looks exactly like absent: 404, so nobody learns what exists elsewhere."""
        code = normalize_code(unit_code)
        if not self.covers(code):
            raise not_found("unit", code)
        return code


def unit_in_scope(uow: UnitOfWork, actor: Actor, unit_code: str) -> str:
    """A unit code as given by a user, normalised, if such a unit exists within the jurisdiction; otherwise 404,
    the same answer for a unit elsewhere as for one that does not exist."""
    code = actor.scoped(unit_code)
    if uow.units.get(code) is None:
        raise not_found("unit", code)
    return code


def community_in_scope(uow: UnitOfWork, actor: Actor, unit_code: str, code: str = "unit.not_community") -> str:
    """A community (village) within the jurisdiction, as `unit_in_scope`; refused (`code`) for a unit of another
    level."""
    found = unit_in_scope(uow, actor, unit_code)
    if level_of(found) is not UnitLevel.COMMUNITY:
        raise InvalidInput(code, f"{found} 不是社区（村）", f"{found} is not a community (village)", field="community")
    return found


def not_found(what: str, key: object) -> NotFound:
    names = {
        "person": ("人员", "person"),
        "unit": ("单位", "unit"),
        "user": ("用户", "user"),
        "facility": ("收治机构", "facility"),
        "alert": ("警报", "alert"),
        "problem": ("问题", "problem"),
        "official": ("干部", "official"),
        "directive": ("指令", "directive"),
        "sim_run": ("模拟运行", "simulation run"),
        "cadre": ("下沉干部", "cadre"),
        "staff": ("工作人员", "staff member"),
        "team": ("医疗队", "medical team"),
    }
    zh, en = names.get(what, (what, what))
    return NotFound(
        f"{what}.not_found",
        f"找不到{zh} {key}（或不在您的管辖范围内）",
        f"No {en} {key} (or not within your jurisdiction)",
    )


def cli_actor(username: str = "cli") -> Actor:
    """The operator at the server's console: an administrator over the whole registry."""
    return Actor(username=username, role=Role.ADMIN, unit_code=None, display_name=username)


@dataclass
class Context:
    engine: Engine
    clock: Clock
    settings: Settings
    policy: Policy = field(default_factory=default_policy)
    scoring: Scoring = field(default_factory=default_scoring)
    _keys: Keys | None = field(default=None, init=False, repr=False)

    @property
    def keys(self) -> Keys:
        """The keys kept outside the database (admitall.keys), read when first needed. A key other than the one
        this database's chains were written with is refused before it writes anything."""
        if self._keys is None:
            keys = resolve(self.settings.secret_key, self.engine.url.render_as_string(hide_password=False))
            if keys.available:
                try:
                    with UnitOfWork(self.engine, write=True) as uow:
                        kept = uow.secrets.get_or_set("chain_key_check", keys.check)
                        uow.commit()
                except DBAPIError:  # not migrated yet: checked on the next use
                    return keys
                if kept != keys.check:
                    raise wrong_key()
            self._keys = keys
        return self._keys

    def uow(self, *, write: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, write=write, keys=self.keys)

    def stamp(
        self, actor: Actor, source: str, *, reason: str | None = None, occurred_at: datetime | None = None
    ) -> Stamp:
        """Who, when, from where and why, for an event; the reason is held to the event's reason column."""
        check_row("person_events", {"reason": reason}, multiline=("reason",))
        now = self.clock.now()
        return Stamp(
            occurred_at=occurred_at.astimezone(UTC) if occurred_at else now,
            recorded_at=now,
            actor=actor.username,
            source=source,
            reason=reason,
        )


def _read(path: str, code: str, zh: str, en: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidInput(
            code, f"无法读取{zh} {path}：{e.strerror}", f"Cannot read the {en} {path}: {e.strerror}"
        ) from None


def load_policy(path: str | None) -> Policy:
    """The policy file named in the settings, or the packaged defaults. An invalid file stops the start."""
    if path is None:
        return default_policy()
    return parse_policy(_read(path, "policy.unreadable", "收治策略文件", "admission policy file"))


def load_scoring(path: str | None) -> Scoring:
    """The scoring file named in the settings, or the packaged defaults. An invalid file stops the start."""
    if path is None:
        return default_scoring()
    return parse_scoring(_read(path, "scoring.unreadable", "评分配置文件", "scoring file"))


def make_context(settings: Settings | None = None, clock: Clock | None = None) -> Context:
    settings = settings or get_settings()
    return Context(
        engine=make_engine(settings.database_url, settings.db_pool_size, settings.db_max_overflow),
        clock=clock or SystemClock(),
        settings=settings,
        policy=load_policy(settings.policy_file),
        scoring=load_scoring(settings.scoring_file),
    )
