"""Users, sign-in, bearer tokens for the API and sessions for the web pages.

Passwords are stored as argon2id hashes. Tokens are signed, and web session tokens stored as keyed hashes, with a
key derived from ADMITALL_SECRET_KEY (admitall.keys), never kept in the database: reading or writing the database
mints no token and no session. Their expiry is checked against the injected
clock. Role and unit are read from the user's record, kept for a few seconds per server process
(USER_CACHE_SECONDS); a change made through the process takes effect at once (users_changed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import weakref
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine

from admitall.domain.access import SYSTEM_ACTORS, Permission, Role
from admitall.domain.errors import Conflict, InvalidInput, Unauthenticated
from admitall.domain.passwords import check_password
from admitall.domain.units import prefix_of
from admitall.services import signin
from admitall.services.context import Actor, Context, not_found
from admitall.store.repositories.users import UserRecord
from admitall.store.text_limits import check_row
from admitall.store.uow import UnitOfWork

_hasher = PasswordHasher()
TOKEN_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# verifying against a dummy hash when the user does not exist keeps the time the same either way
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def shown_name(username: str, display_name: str | None, official: str | None = None, title: str | None = None) -> str:
    """How a user is shown everywhere (the header, /me, directives, acknowledgements, the audit): by the name and
    title of the official the account signs in as, when it is one; else by the account's display name; else by
    the username. One person, one name."""
    if official:
        return f"{official} {title or ''}".strip()
    return display_name or username


def shown_names(uow: UnitOfWork, usernames: Iterable[str]) -> dict[str, str]:
    """`shown_name` for each of these usernames (one query); a name that is no user's (the system, the console,
    the simulator) is shown as it is."""
    names = [u for u in set(usernames) if u]
    found = uow.users.shown(names)
    return {u: shown_name(u, *found[u]) if u in found else u for u in names}


def _actor(user: UserRecord, shown: str | None = None) -> Actor:
    return Actor(
        username=user.username,
        role=Role(user.role),
        unit_code=user.unit_code,
        user_id=user.id,
        display_name=shown or user.display_name,
        facility_code=user.facility_code,
    )


def _bad_credentials() -> Unauthenticated:
    return Unauthenticated("auth.bad_credentials", "用户名或密码错误", "Wrong username or password")


def add_user(
    ctx: Context,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: str,
    unit_code: str,
    display_name: str | None = None,
    facility_code: str | None = None,
) -> dict[str, Any]:
    """A new user. A facility officer names the facility whose admissions desk they keep; it must be in their
    unit's jurisdiction."""
    actor.require(Permission.MANAGE_USERS)
    username = username.strip()
    if not username or len(username) > 60 or any(c.isspace() for c in username):
        raise InvalidInput(
            "user.bad_username",
            "用户名不能为空、不能含空格、不超过60个字符",
            "A username is 1-60 characters without spaces",
            field="username",
        )
    if username.lower() in SYSTEM_ACTORS:  # its acts would be shown as the system's
        raise InvalidInput(
            "user.reserved_username",
            f"用户名 {username} 为系统保留，请换一个",
            f"The username {username} is the system's own: choose another",
            field="username",
        )
    check_row("users", {"username": username, "display_name": display_name})
    user_role = Role.parse(role)
    if user_role is None:
        raise InvalidInput(
            "user.bad_role",
            f"角色无法识别：{role}（{', '.join(r.value for r in Role)}）",
            f"Unknown role: {role} ({', '.join(r.value for r in Role)})",
            field="role",
        )
    check_password(password, username)  # the policy of domain/passwords.py
    code = actor.scoped(unit_code)
    with ctx.uow(write=True) as uow:
        if uow.units.get(code) is None:
            raise not_found("unit", code)
        if facility_code:
            facility = uow.facilities.get(facility_code)
            if facility is None or not facility.unit_code.startswith(prefix_of(code)):
                raise not_found("facility", facility_code)
        elif user_role is Role.FACILITY_OFFICER:
            raise InvalidInput(
                "user.no_facility",
                "收治点登记员必须指定所在的收治机构",
                "A facility officer needs the facility they work at",
                field="facility_code",
            )
        # an official already linked to this username, outside the jurisdiction, is not handed to a new user:
        # refused exactly like a username that is taken
        official = uow.officials.by_username(username)
        if uow.users.by_username(username) is not None or (
            official is not None and not actor.covers(official.home_unit)
        ):
            raise Conflict("user.exists", f"用户名 {username} 已存在", f"The username {username} is taken")
        user_id = uow.users.add(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            role=user_role.value,
            unit_code=code,
            at=ctx.clock.now(),
            facility_code=facility_code or None,
        )
        uow.audit.record(
            ctx.clock.now(),
            actor.username,
            "add_user",
            "user",
            user_id,
            unit=code,
            username=username,
            role=user_role.value,
            unit_code=code,
        )
        uow.commit()
    users_changed(ctx)
    return {
        "id": user_id,
        "username": username,
        "role": user_role.value,
        "unit_code": code,
        "facility_code": facility_code or None,
    }


def authenticate(ctx: Context, username: str, password: str, address: str = "?") -> Actor:
    """The user with this name and password, unless the name or the client `address` is locked out after too
    many failures (services.signin: then 429, the password not even looked at)."""
    attempt = signin.Attempt(username, address)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        locked = signin.locked_until(uow, attempt, now)
        refused = locked is not None
        user = None if refused else uow.users.by_username(username.strip())
        ok = not refused and _verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = ok and user is not None and user.active
        if ok:
            signin.succeeded(uow, attempt)
        elif not refused:
            locked = signin.failed(ctx, uow, attempt, now)
        uow.audit.record(
            now,
            username.strip()[:60] or "?",
            "sign_in" if ok else "sign_in_refused_locked" if refused else "sign_in_failed",
            "user",
            user.id if user else None,
            unit=user.unit_code if user else None,
            address=attempt.keys[1][1],
        )
        shown = shown_names(uow, [user.username]).get(user.username) if ok and user is not None else None
        rehash = ok and user is not None and _hasher.check_needs_rehash(user.password_hash)
        if rehash and user is not None:
            uow.users.set_password_hash(user.id, hash_password(password))
        uow.commit()
    if rehash:
        users_changed(ctx)
    if locked is not None:
        raise signin.too_many(signin.retry_after(locked, now))
    if not ok or user is None:
        raise _bad_credentials()
    return _actor(user, shown)


def _secret(ctx: Context) -> bytes:
    return ctx.keys.tokens


def issue_token(ctx: Context, actor: Actor) -> dict[str, Any]:
    now = ctx.clock.now()
    expires = now + timedelta(minutes=ctx.settings.token_minutes)
    claims = {"sub": actor.username, "uid": actor.user_id, "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
    token = jwt.encode(claims, _secret(ctx), algorithm=TOKEN_ALGORITHM)
    return {"access_token": token, "token_type": "bearer", "expires_at": expires.isoformat()}


def actor_from_token(ctx: Context, token: str) -> Actor:
    try:
        claims = jwt.decode(
            token, _secret(ctx), algorithms=[TOKEN_ALGORITHM], options={"verify_exp": False, "verify_iat": False}
        )
    except jwt.PyJWTError:
        raise Unauthenticated(
            "auth.bad_token", "登录凭证无效，请重新登录", "The token is not valid; sign in again"
        ) from None
    if int(claims.get("exp", 0)) <= ctx.clock.now().timestamp():
        raise Unauthenticated("auth.expired", "登录已过期，请重新登录", "The token has expired; sign in again")
    return _active_user(ctx, int(claims.get("uid") or 0))


# The user behind a token is read at most once every USER_CACHE_SECONDS per server process: a burst of reports
# does not read the same user for each. A change made through this process (users_changed) takes effect at once;
# one made through another worker (`serve --workers N`) or by hand in the database within the TTL.
USER_CACHE_SECONDS = 5.0
_user_cache: weakref.WeakKeyDictionary[Engine, dict[int, tuple[float, UserRecord | None, str | None]]] = (
    weakref.WeakKeyDictionary()
)


def users_changed(ctx: Context) -> None:
    """Forget the users read (a password, role, unit or state changed): the next request reads them again."""
    _user_cache.pop(ctx.engine, None)


def _user(ctx: Context, user_id: int) -> tuple[UserRecord | None, str | None]:
    """The user and how they are shown (`shown_name`), read together and kept together."""
    cache = _user_cache.setdefault(ctx.engine, {})
    hit = cache.get(user_id)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1], hit[2]
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        shown = shown_names(uow, [user.username]).get(user.username) if user is not None else None
    cache[user_id] = (time.monotonic() + USER_CACHE_SECONDS, user, shown)
    return user, shown


def _active_user(ctx: Context, user_id: int) -> Actor:
    user, shown = _user(ctx, user_id)
    if user is None or not user.active:
        raise Unauthenticated("auth.no_user", "该用户不存在或已停用", "The user does not exist or is disabled")
    return _actor(user, shown)


def _token_hash(ctx: Context, token: str) -> str:
    return hmac.new(ctx.keys.tokens, b"session|" + token.encode(), hashlib.sha256).hexdigest()


def start_session(ctx: Context, actor: Actor) -> tuple[str, str]:
    """A new web session: (the cookie's token, the session's CSRF token). Only a hash is stored."""
    assert actor.user_id is not None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        uow.users.add_session(
            _token_hash(ctx, token), actor.user_id, csrf, now, now + timedelta(minutes=ctx.settings.session_minutes)
        )
        uow.commit()
    return token, csrf


def session_actor(ctx: Context, token: str) -> tuple[Actor, str]:
    with ctx.uow() as uow:
        found = uow.users.session(_token_hash(ctx, token))
    if found is None:
        raise Unauthenticated("auth.no_session", "请先登录", "Please sign in")
    user_id, csrf, expires_at = found
    if expires_at <= ctx.clock.now():
        raise Unauthenticated(
            "auth.session_expired", "登录已过期，请重新登录", "Your session has expired; sign in again"
        )
    return _active_user(ctx, user_id), csrf


def end_session(ctx: Context, token: str) -> None:
    with ctx.uow(write=True) as uow:
        uow.users.end_session(_token_hash(ctx, token))
        uow.commit()


def session_expiry(ctx: Context) -> datetime:
    return ctx.clock.now() + timedelta(minutes=ctx.settings.session_minutes)
