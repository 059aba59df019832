"""The key the database does not hold: ADMITALL_SECRET_KEY, from which the chains' HMAC key and the token and
session signing key are derived (domain.chain.derive), so that nobody with only database access can recompute a
chain or mint a token.

Where the key comes from, in order:
1. ADMITALL_SECRET_KEY (settings.secret_key): production, and every server of a deployment shares it.
2. A key file next to a SQLite database file (`admitall.db.key`, readable by its owner only): written the
   first time a key is needed when none is given, so that a local database and the demo work with one
   command. Anyone who can copy the directory has it too, so `admitall serve` accepts it only for the demo
   database (see cli.serve); elsewhere set ADMITALL_SECRET_KEY to its contents and keep it apart from the data.
Without either, anything that writes or checks a chain is refused with a message saying so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from admitall.domain.chain import derive
from admitall.domain.errors import Unavailable

KEY_FILE_SUFFIX = ".key"


def key_file(database_url: str) -> Path | None:
    """The key file of a SQLite database file (None for PostgreSQL or an in-memory database)."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if database_url.startswith(prefix):
            path = database_url[len(prefix) :].split("?", 1)[0]
            if path and path != ":memory:":
                return Path(path + KEY_FILE_SUFFIX)
    return None


def write_key_file(database_url: str) -> Path | None:
    """Create the key file of a SQLite database if it has none (owner-only); returns it, or None when the
    database is not a SQLite file."""
    path = key_file(database_url)
    if path is None or path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # written whole under another name, then linked into place: two processes starting at once keep one key
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path


def missing_key() -> Unavailable:
    return Unavailable(
        "key.missing",
        "未设置 ADMITALL_SECRET_KEY：没有数据库之外的密钥，无法写入或核验防篡改链，也无法签发登录凭证。"
        "请设置 ADMITALL_SECRET_KEY（至少 32 个字符，所有服务器相同，与数据库分开保管）",
        "ADMITALL_SECRET_KEY is not set: without a key kept outside the database the tamper-evident chains can be "
        "neither written nor checked, and no sign-in token can be signed. Set ADMITALL_SECRET_KEY (32 characters or "
        "more, the same on every server, kept apart from the database)",
    )


def wrong_key() -> Unavailable:
    return Unavailable(
        "key.wrong",
        "ADMITALL_SECRET_KEY 与写入本数据库防篡改链的密钥不同：请使用原来的密钥（或数据库旁的 .key 文件中的值）",
        "ADMITALL_SECRET_KEY is not the key this database's chains were written with: use the original key (or "
        "the value in the .key file next to the database)",
    )


@dataclass
class Keys:
    """The keys of one deployment, read when first needed. `source` says where the secret came from:
    "environment", "key file" or "" (none)."""

    secret: str | None
    source: str
    _derived: dict[str, bytes] = field(default_factory=dict, repr=False)

    def _get(self, purpose: str) -> bytes:
        if self.secret is None:
            raise missing_key()
        if purpose not in self._derived:
            self._derived[purpose] = derive(self.secret, purpose)
        return self._derived[purpose]

    @property
    def available(self) -> bool:
        return self.secret is not None

    @property
    def chain(self) -> bytes:
        """The HMAC key of every chain and every day's heads."""
        return self._get("chains")

    @property
    def check(self) -> str:
        """A value kept in the database that tells whether a key is the one its chains were written with, and
        reveals nothing of it."""
        return hmac.new(self._get("check"), b"key check", hashlib.sha256).hexdigest()

    @property
    def tokens(self) -> bytes:
        """The key that signs API tokens and keys the stored hashes of web session tokens."""
        return self._get("tokens")


def resolve(secret_key: str | None, database_url: str, *, create: bool = True) -> Keys:
    """The deployment's keys: the given secret, else the database's key file (created for a SQLite file when
    `create`), else none (refused when used)."""
    if secret_key:
        return Keys(secret_key, "environment")
    path = write_key_file(database_url) if create else key_file(database_url)
    if path is not None and path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return Keys(value, "key file")
    return Keys(None, "")


# the name under which `admitall demo` marks its database (instance_secrets): the one database `admitall serve`
# runs with the key file next to it instead of ADMITALL_SECRET_KEY
DEMO_MARK = "demo_database"

# the shortest ADMITALL_SECRET_KEY the server starts with
MIN_KEY_LENGTH = 32


def serve_refusal(secret_key: str | None, database_url: str, is_demo: bool) -> Unavailable | None:
    """Why the server must not start with these keys, or None. Outside the demo it needs ADMITALL_SECRET_KEY: a
    key lying next to the database anchors nothing."""
    if secret_key and len(secret_key) >= MIN_KEY_LENGTH:
        return None
    if secret_key:
        return Unavailable(
            "key.short",
            f"ADMITALL_SECRET_KEY 太短：至少 {MIN_KEY_LENGTH} 个字符（例如 python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(48))' 生成的值）",
            f"ADMITALL_SECRET_KEY is too short: at least {MIN_KEY_LENGTH} characters (for example what python3 -c "
            "'import secrets; print(secrets.token_urlsafe(48))' prints)",
        )
    path = key_file(database_url)
    if is_demo and path is not None and path.exists():
        return None
    hint_zh = (
        f"（本数据库的密钥在 {path}：把它的内容设为 ADMITALL_SECRET_KEY，并与数据库分开保管）"
        if path and path.exists()
        else ""
    )
    hint_en = (
        f" (this database's key is in {path}: set ADMITALL_SECRET_KEY to its contents and keep it apart from the "
        "database)"
        if path and path.exists()
        else ""
    )
    return Unavailable(
        "key.serve_without_key",
        "未设置 ADMITALL_SECRET_KEY，服务不启动：防篡改链和登录凭证需要一个不在数据库中的密钥（仅演示数据库可用其旁边的"
        f"密钥文件）{hint_zh}",
        "ADMITALL_SECRET_KEY is not set, so the server does not start: the tamper-evident chains and sign-in tokens "
        f"need a key the database does not hold (only the demo database may use the key file next to it){hint_en}",
    )
