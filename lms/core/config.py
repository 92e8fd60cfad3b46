"""Configuration, read once from the environment."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

#: Where the repository's data folders sit when running from a checkout.
PROJECT_ROOT = Path(__file__).resolve().parents[2]

ENVIRONMENTS = ("development", "testing", "production")

# Only ever used where LMS_ENV says development or testing; production refuses to start
# without a real key (see check_config).
INSECURE_DEV_KEY = "dev-only-insecure-key"  # noqa: S105


class ConfigError(RuntimeError):
    """The configuration cannot run a safe service."""


MAX_REMEMBER_DAYS = 30


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask configuration from LMS_* environment variables."""
    env = os.environ if environ is None else environ
    lms_env = env.get("LMS_ENV", "production").strip().lower()
    remember_days = min(MAX_REMEMBER_DAYS, int_setting(env, "LMS_REMEMBER_DAYS", 30))
    return {
        "LMS_ENV": lms_env,
        "SECRET_KEY": env.get("LMS_SECRET_KEY") or None,
        # None means "the SQLite file in the instance folder"; resolved in create_app,
        # because only the app knows where its instance folder is.
        "SQLALCHEMY_DATABASE_URI": env.get("LMS_DATABASE_URL") or None,
        # A PostgreSQL read replica for reports, charts and the evaluation report (optional).
        "LMS_DATABASE_REPLICA_URL": env.get("LMS_DATABASE_REPLICA_URL") or None,
        "LMS_SEEDS_DIR": env.get("LMS_SEEDS_DIR") or str(PROJECT_ROOT / "seeds"),
        "LMS_MODULES_DIR": env.get("LMS_MODULES_DIR") or str(PROJECT_ROOT / "modules"),
        "LMS_SQLITE_BUSY_TIMEOUT_MS": int_setting(env, "LMS_SQLITE_BUSY_TIMEOUT_MS", 5000),
        "LMS_LOG_LEVEL": env.get("LMS_LOG_LEVEL", "INFO").upper(),
        "LMS_BASE_URL": env.get("LMS_BASE_URL", "http://127.0.0.1:5000"),
        # xAPI statements about reflections carry their text only when this says yes.
        # The namespace of xAPI statement ids (lms.interop.xapi.deployment_namespace): a UUID
        # or any text; by default derived from LMS_BASE_URL, so staging and production differ.
        "LMS_XAPI_NAMESPACE": env.get("LMS_XAPI_NAMESPACE") or None,
        "LMS_XAPI_INCLUDE_TEXT": env.get("LMS_XAPI_INCLUDE_TEXT", "").strip().lower()
        in ("1", "yes", "true"),
        "LMS_PASSWORD_LINK_HOURS": int_setting(env, "LMS_PASSWORD_LINK_HOURS", 72),
        "LMS_TRUSTED_PROXIES": int_setting(env, "LMS_TRUSTED_PROXIES", 0),
        "LMS_REDIS_URL": env.get("LMS_REDIS_URL") or None,
        "LMS_RATE_LIMIT": env.get("LMS_RATE_LIMIT", "600 per minute"),
        "LMS_WRITE_LIMIT": env.get("LMS_WRITE_LIMIT", "60 per minute"),
        # How long a process may keep the framework document before asking for its version.
        "LMS_LOCAL_CACHE_SECONDS": float_setting(env, "LMS_LOCAL_CACHE_SECONDS", 1.0),
        "LMS_SIGN_IN_LIMIT_PER_ACCOUNT": env.get("LMS_SIGN_IN_LIMIT_PER_ACCOUNT", "5 per minute"),
        "LMS_SIGN_IN_LIMIT_PER_ADDRESS": env.get("LMS_SIGN_IN_LIMIT_PER_ADDRESS",
                                                 "30 per minute"),
        **mail_settings(env),
        "REMEMBER_COOKIE_DURATION": dt.timedelta(days=remember_days),
        # A session cookie not used for this long is refused (its signature is dated, and
        # lms.accounts.auth re-signs it at most once a minute while it is in use); "keep me
        # signed in" then restores the session, up to REMEMBER_COOKIE_DURATION after sign-in.
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(minutes=idle_minutes(env)),
    }


def mail_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """How e-mail leaves (SMTP, or .eml files when LMS_SMTP_HOST is unset) and how the job
    queue that sends it is kept."""
    starttls = yes_no(env, "LMS_SMTP_STARTTLS", False)
    return {
        "LMS_SMTP_HOST": env.get("LMS_SMTP_HOST") or None,
        "LMS_SMTP_PORT": int_setting(env, "LMS_SMTP_PORT", 587 if starttls else 25),
        "LMS_SMTP_USERNAME": env.get("LMS_SMTP_USERNAME") or None,
        "LMS_SMTP_PASSWORD": env.get("LMS_SMTP_PASSWORD") or None,
        "LMS_SMTP_STARTTLS": starttls,
        "LMS_SMTP_TIMEOUT": float_setting(env, "LMS_SMTP_TIMEOUT", 30.0),
        "LMS_MAIL_FROM": env.get("LMS_MAIL_FROM",
                                 "Leadership for Healthy Communities <no-reply@example.org>"),
        # None: instance/outbox, where messages are written when there is no SMTP server.
        "LMS_OUTBOX_DIR": env.get("LMS_OUTBOX_DIR") or None,
        # A worker holds a message this long before another may take it over.
        "LMS_MAIL_LEASE_SECONDS": float_setting(env, "LMS_MAIL_LEASE_SECONDS", 300.0),
        # The first retry after a transient failure; each later one waits twice as long.
        "LMS_MAIL_RETRY_SECONDS": float_setting(env, "LMS_MAIL_RETRY_SECONDS", 60.0),
        "LMS_MAIL_MAX_ATTEMPTS": int_setting(env, "LMS_MAIL_MAX_ATTEMPTS", 8),
        # None: Redis when LMS_REDIS_URL is set, else the SQLite file LMS_QUEUE_FILE.
        "LMS_QUEUE": env.get("LMS_QUEUE") or None,
        "LMS_QUEUE_FILE": env.get("LMS_QUEUE_FILE") or None,
        "LMS_QUEUE_NAME": env.get("LMS_QUEUE_NAME", "lms"),
        "LMS_WORKER_THREADS": int_setting(env, "LMS_WORKER_THREADS", 2),
        # After a cohort's outcomes change, the worker draws its charts ahead once this many
        # seconds have passed (and at most once in that time), 0: never (lms.outcomes.ahead).
        "LMS_CHARTS_AHEAD_SECONDS": int_setting(env, "LMS_CHARTS_AHEAD_SECONDS", 60),
        "LMS_RESET_LIMIT_PER_ACCOUNT": env.get("LMS_RESET_LIMIT_PER_ACCOUNT", "3 per hour"),
        "LMS_RESET_LIMIT_PER_ADDRESS": env.get("LMS_RESET_LIMIT_PER_ADDRESS", "20 per hour"),
    }


def yes_no(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no environment variable; ConfigError naming it for anything else."""
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("yes", "true", "1", "on"):
        return True
    if raw in ("no", "false", "0", "off"):
        return False
    raise ConfigError(f"{name} must be yes or no; got {raw!r}.")


MAX_IDLE_MINUTES = 7 * 24 * 60


def idle_minutes(env: Mapping[str, str]) -> int:
    """LMS_IDLE_MINUTES (default 8 hours); ConfigError unless from 1 minute to a week."""
    minutes = int_setting(env, "LMS_IDLE_MINUTES", 8 * 60)
    if not 1 <= minutes <= MAX_IDLE_MINUTES:
        raise ConfigError(f"LMS_IDLE_MINUTES must be from 1 to {MAX_IDLE_MINUTES}; "
                          f"got {minutes}.")
    return minutes


def int_setting(env: Mapping[str, str], name: str, default: int) -> int:
    """An integer environment variable; ConfigError naming it if it is not a number."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number; got {raw!r}.") from None


def float_setting(env: Mapping[str, str], name: str, default: float) -> float:
    """A number of seconds from the environment; ConfigError naming it if it is not one."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds; got {raw!r}.") from None
    if not 0 <= value <= 3600:
        raise ConfigError(f"{name} must be between 0 and 3600 seconds; got {raw!r}.")
    return value


def derived_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Settings that follow from others once the environment and overrides are known."""
    secure = config["LMS_ENV"] == "production"
    return {
        # Cookies are only sent over HTTPS in production.
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        # Redis when configured, so several server processes share the throttling counters.
        "RATELIMIT_STORAGE_URI": config.get("LMS_REDIS_URL") or "memory://",
        # The same Redis for cached reports and charts, so every process shares them.
        **({"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": config["LMS_REDIS_URL"]}
           if config.get("LMS_REDIS_URL") else {"CACHE_TYPE": "SimpleCache"}),
        # The job queue in Redis too, so workers on several hosts share it.
        "LMS_QUEUE": config.get("LMS_QUEUE") or ("redis" if config.get("LMS_REDIS_URL")
                                                 else "sqlite"),
    }


def check_config(config: Mapping[str, Any]) -> None:
    """Refuse a configuration that would run unsafely."""
    lms_env = config.get("LMS_ENV")
    if lms_env not in ENVIRONMENTS:
        raise ConfigError(
            f"LMS_ENV must be one of {', '.join(ENVIRONMENTS)}; got {lms_env!r}."
        )
    if lms_env == "production":
        check_secret_key(config.get("SECRET_KEY"))
    check_mail(config)


QUEUES = ("sqlite", "redis", "memory")


def check_mail(config: Mapping[str, Any]) -> None:
    """Refuse a sender address that is not one, and a queue that cannot be kept."""
    sender = config.get("LMS_MAIL_FROM") or ""
    _name, address = parseaddr(sender)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ConfigError(f"LMS_MAIL_FROM must be an address such as "
                          f"'Programme <no-reply@example.org>'; got {sender!r}: {exc}") from None
    if "\r" in sender or "\n" in sender:
        raise ConfigError("LMS_MAIL_FROM must be one line.")
    queue = config.get("LMS_QUEUE")
    if queue is not None and queue not in QUEUES:
        raise ConfigError(f"LMS_QUEUE must be one of {', '.join(QUEUES)}; got {queue!r}.")
    if queue == "redis" and not config.get("LMS_REDIS_URL"):
        raise ConfigError("LMS_QUEUE=redis needs LMS_REDIS_URL.")


#: How a production key is made, said in every refusal.
MAKE_A_KEY = "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
#: Keys written in this code base: anyone who reads it could sign sessions with them.
PUBLISHED_KEYS = frozenset({INSECURE_DEV_KEY})
MIN_SECRET_KEY_BYTES = 32


def check_secret_key(key: str | bytes | None) -> None:
    """Refuse a production secret key that is missing, short or published in the code."""
    if not key:
        raise ConfigError("LMS_SECRET_KEY is not set. Outside development and testing the "
                          f"service will not start without one: {MAKE_A_KEY}")
    raw = key.encode() if isinstance(key, str) else key
    if raw.decode(errors="replace") in PUBLISHED_KEYS:
        raise ConfigError("LMS_SECRET_KEY is the development key published in the code: "
                          f"anyone could sign sessions with it; {MAKE_A_KEY}")
    if len(raw) < MIN_SECRET_KEY_BYTES:
        raise ConfigError(f"LMS_SECRET_KEY is {len(raw)} bytes; production needs at least "
                          f"{MIN_SECRET_KEY_BYTES}: {MAKE_A_KEY}")


#: Settings that are the same everywhere and not meant to be changed by the environment.
FIXED_SETTINGS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "JSON_SORT_KEYS": False,
    "API_TITLE": "lms — Leadership for Empowered and Healthy Communities Programme",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    # The human-readable docs page is ours (lms/docs), rendered on the server, so no page
    # pulls scripts from another site; smorest's CDN-based UIs stay off.
    "OPENAPI_SWAGGER_UI_PATH": None,
    "OPENAPI_REDOC_PATH": None,
    "OPENAPI_RAPIDOC_PATH": None,
    # Cookies are never readable by scripts nor sent on cross-site sub-requests.
    "SESSION_COOKIE_NAME": "lms_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_NAME": "lms_remember",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # CSRF is checked in lms.accounts.auth, only for cookie-authenticated writes.
    "WTF_CSRF_CHECK_DEFAULT": False,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    # Flask-Limiter would put Retry-After on every response (and over a 503's); lms.core.errors
    # sets it on 429 answers only.
    "RATELIMIT_HEADERS_ENABLED": False,
    # Said for every app: the limiter is one object per process, and without this an app
    # inherits whatever the previous app of the process set (tests make many apps).
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_KEY_PREFIX": "lms",
    # Redis away: count in this process's memory until it is back (and log), rather than
    # answer every throttled request with an error.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    # Cached entries carry the data version in their key, so they never go stale; the
    # timeout only bounds how long unused ones take up memory.
    "CACHE_KEY_PREFIX": "lms:cache:",
    "CACHE_DEFAULT_TIMEOUT": 3600,
    "CACHE_THRESHOLD": 500,
    # Larger bodies are refused with 413 before any view reads them.
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    # A form field may hold up to this much (Flask's default is 500 kB): the roster page's
    # confirmation carries the checked file back, base64-encoded, so a 5 MB roster fits.
    "MAX_FORM_MEMORY_SIZE": 7 * 1024 * 1024,
}
