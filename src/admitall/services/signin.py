"""Sign-in throttling: failed sign-ins are counted in the database, per account and per client address, so that a
lockout holds whichever worker answers the next attempt.

`settings.signin_account_failures` failures for one name (whether or not such a user exists, so that the answer
tells nothing about which names exist) or `settings.signin_address_failures` from one address within
`settings.signin_window_minutes` lock that name or address out for `settings.signin_lockout_minutes`: every attempt
then — the right password too — is refused with 429 and Retry-After, without the password being looked at.
Failures before a lockout ended, or before the account's last successful sign-in, no longer count. The audit
records every failure, every lockout and every attempt refused because of one.

These functions work inside the caller's unit of work (services.auth.authenticate), so the check, the password and
the count are one transaction; on PostgreSQL attempts for the same name or address also wait for each other there
(a transaction-scoped advisory lock), so parallel guesses cannot slip past the count.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, text

from admitall.domain.errors import TooMany
from admitall.services.context import Context
from admitall.store.tables_security import signin_failures, signin_lockouts
from admitall.store.uow import UnitOfWork

ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True)
class Attempt:
    """Who tries to sign in: the name as typed (compared in lower case) and the client's address."""

    username: str
    address: str

    @property
    def name(self) -> str:
        return self.username.strip().lower()[:60] or "?"

    @property
    def keys(self) -> tuple[tuple[str, str], tuple[str, str]]:
        return (ACCOUNT, self.name), (ADDRESS, self.address[:64] or "?")


def too_many(retry_after: int) -> TooMany:
    minutes = max(1, math.ceil(retry_after / 60))
    return TooMany(
        "auth.locked_out",
        f"登录失败次数过多，已暂时锁定；请 {minutes} 分钟后再试",
        f"Too many failed sign-ins; sign-in is locked for now, try again in {minutes} min",
        retry_after=retry_after,
    )


def _serialise(uow: UnitOfWork, attempt: Attempt) -> None:
    """On PostgreSQL, attempts on the same name or from the same address take turns until the transaction ends
    (SQLite's write transactions take turns already)."""
    if uow.conn.dialect.name != "postgresql":
        return
    for kind, key in sorted(attempt.keys):
        lock = zlib.crc32(f"signin:{kind}:{key}".encode()) - 2**31
        uow.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})


def locked_until(uow: UnitOfWork, attempt: Attempt, now: datetime) -> datetime | None:
    """The end of the lockout this attempt falls under, or None. Takes the attempt's turn first (see above)."""
    _serialise(uow, attempt)
    ends: list[datetime] = []
    for kind, key in attempt.keys:
        found = uow.conn.execute(
            select(func.max(signin_lockouts.c.until)).where(
                signin_lockouts.c.kind == kind, signin_lockouts.c.key == key, signin_lockouts.c.until > now
            )
        ).scalar_one()
        if found is not None:
            ends.append(_aware(found))
    return max(ends) if ends else None


def _aware(value: datetime | str) -> datetime:
    # func.max() loses the column's type on SQLite, which then hands back naive UTC text
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _counting_since(uow: UnitOfWork, kind: str, key: str, window_start: datetime) -> datetime:
    """Failures count from the window's start, or from the end of the last lockout of this key if later."""
    last = uow.conn.execute(
        select(func.max(signin_lockouts.c.until)).where(signin_lockouts.c.kind == kind, signin_lockouts.c.key == key)
    ).scalar_one()
    return max(window_start, _aware(last)) if last is not None else window_start


def failed(ctx: Context, uow: UnitOfWork, attempt: Attempt, now: datetime) -> datetime | None:
    """Count a failed sign-in; when it reaches a limit, lock the name or the address out. Returns the lockout's
    end if this failure started one."""
    settings = ctx.settings
    uow.conn.execute(insert(signin_failures).values(at=now, username=attempt.name, address=attempt.keys[1][1]))
    window_start = now - timedelta(minutes=settings.signin_window_minutes)
    limits = {ACCOUNT: settings.signin_account_failures, ADDRESS: settings.signin_address_failures}
    column = {ACCOUNT: signin_failures.c.username, ADDRESS: signin_failures.c.address}
    until = now + timedelta(minutes=settings.signin_lockout_minutes)
    started = None
    for kind, key in attempt.keys:
        since = _counting_since(uow, kind, key, window_start)
        count = uow.conn.execute(
            select(func.count()).where(column[kind] == key, signin_failures.c.at > since)
        ).scalar_one()
        if count >= limits[kind]:
            uow.conn.execute(insert(signin_lockouts).values(kind=kind, key=key, starts_at=now, until=until))
            uow.audit.record(
                now,
                attempt.name,
                "sign_in_locked_out",
                "sign_in",
                None,
                locked=kind,
                key=key,
                failures=count,
                until=until.isoformat(),
            )
            started = until
    # failures, and lockouts that ended, older than any window they could still count in are of no further use
    stale = now - timedelta(minutes=settings.signin_window_minutes + settings.signin_lockout_minutes)
    uow.conn.execute(delete(signin_failures).where(signin_failures.c.at < stale))
    uow.conn.execute(delete(signin_lockouts).where(signin_lockouts.c.until < stale))
    return started


def succeeded(uow: UnitOfWork, attempt: Attempt) -> None:
    """The right password: the account's earlier failures no longer count against it."""
    uow.conn.execute(delete(signin_failures).where(signin_failures.c.username == attempt.name))


def retry_after(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))
