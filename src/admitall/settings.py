"""The one typed settings object, read once from the environment (prefix ADMITALL_)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADMITALL_", extra="ignore")

    database_url: str = "sqlite:///admitall.db"
    # the key the database does not hold (admitall.keys): the chains' HMACs and the token and session signing keys
    # are derived from it. `serve` refuses to start without it, except on the demo database (its key file)
    secret_key: str | None = None
    token_minutes: int = 8 * 60
    session_minutes: int = 12 * 60
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"
    # a web session cookie marked Secure; off for the loopback demo, on behind TLS in production
    secure_cookies: bool = False
    # the admission policy (priority classes, eligible beds, SLA targets); the packaged defaults if not given
    policy_file: str | None = None
    # the scorecard weights and flag thresholds; the packaged defaults (data/scoring.toml) if not given
    scoring_file: str | None = None
    # a reported figure is a discrepancy when it differs from the registry by more than both of these
    discrepancy_absolute: int = 1
    discrepancy_relative: float = 0.05
    # the chain watch (missing reports, escalations) inside the web server, every minute: when not given, only on a
    # SQLite database (the demo, one machine); in production `admitall watch --forever` runs it in its own process
    run_jobs: bool | None = None
    # `admitall watch --forever` on PostgreSQL: a runner waiting for the watch's lock has it the moment the holder
    # ends; it looks this often whether it was told to stop meanwhile (and retries this often if the database is away)
    watch_retry_seconds: Annotated[float, Field(gt=0)] = 10.0
    # `admitall watch --forever` starts a round at every multiple of this many seconds (a minute; less only in tests)
    watch_every_seconds: Annotated[int, Field(ge=1)] = 60
    # the watch makes the day's provisional scorecards again when they are this old (yesterday's are finished once)
    scorecard_refresh_minutes: Annotated[int, Field(ge=1)] = 15
    # each process's connections to PostgreSQL: this many kept open, and up to this many more at a busy moment.
    # Every web worker has a pool of its own, and so has the watch (plus one for its lock): docs/deploy.md
    db_pool_size: Annotated[int, Field(ge=1)] = 5
    db_max_overflow: Annotated[int, Field(ge=0)] = 10
    # sign-in throttling, counted in the database (it holds across workers): this many failed sign-ins for one
    # account, or from one client address, within the window lock further attempts out (the right password too)
    # for the lockout period; a lockout answers 429 with Retry-After
    signin_account_failures: int = 5
    signin_address_failures: int = 20
    signin_window_minutes: int = 15
    signin_lockout_minutes: int = 15
    # public help requests (services.help_requests), counted in the database: per phone and per client address
    # within the window, a day's cap per phone, and failed status look-ups (wrong number or code) per address
    help_window_minutes: int = 10
    help_phone_per_window: int = 3
    help_address_per_window: int = 60
    help_phone_per_day: int = 10
    help_status_failures: int = 20
    # PDF printing (a headless Chromium per page): at most this many at once across all workers; more answer 503
    # with Retry-After this many seconds. A printed page is kept in the database and served again while unchanged
    print_limit: int = 2
    print_retry_seconds: int = 15
    # the Chromium that prints PDFs; found on the PATH when not given
    chromium: str | None = None
    # the largest request body (an uploaded file) the server reads, in megabytes; larger is refused with 413
    max_upload_mb: int = 50
    # the most rows (blank ones included) one imported file may hold (an import holds its rows in memory, about
    # 5 KB each, to match them within one transaction); split a larger list into several files
    max_import_rows: int = 100_000
    # /metrics: with a token, only a request bearing it (Authorization: Bearer …); without one, only a client on
    # this machine (loopback). The figures are counts, never personal data (services.ops_metrics)
    metrics_token: str | None = None
    # the logs: 'text' (one readable line) or 'json' (one JSON object a line), each with its request id
    log_format: str = "text"

    @property
    def jobs_in_server(self) -> bool:
        """Whether the web server runs the chain watch itself (run_jobs; by default only on SQLite)."""
        return self.run_jobs if self.run_jobs is not None else self.database_url.startswith("sqlite")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
