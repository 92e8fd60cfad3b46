"""Configuration, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Where the repository's data folders sit when running from a checkout.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "testing", "production")

# Only ever used where LMS_ENV says development or testing; production refuses to start
# without a real key (see check_config).
INSECURE_DEV_KEY = "dev-only-insecure-key"  # noqa: S105


class ConfigError(RuntimeError):
    """The configuration cannot run a safe service."""


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask configuration from LMS_* environment variables."""
    env = os.environ if environ is None else environ
    lms_env = env.get("LMS_ENV", "production").strip().lower()
    return {
        "LMS_ENV": lms_env,
        "SECRET_KEY": env.get("LMS_SECRET_KEY") or None,
        # None means "the SQLite file in the instance folder"; resolved in create_app,
        # because only the app knows where its instance folder is.
        "SQLALCHEMY_DATABASE_URI": env.get("LMS_DATABASE_URL") or None,
        "LMS_SEEDS_DIR": env.get("LMS_SEEDS_DIR") or str(PROJECT_ROOT / "seeds"),
        "LMS_SQLITE_BUSY_TIMEOUT_MS": int(env.get("LMS_SQLITE_BUSY_TIMEOUT_MS", "5000")),
        "LMS_LOG_LEVEL": env.get("LMS_LOG_LEVEL", "INFO").upper(),
    }


def check_config(config: Mapping[str, Any]) -> None:
    """Refuse a configuration that would run unsafely."""
    lms_env = config.get("LMS_ENV")
    if lms_env not in ENVIRONMENTS:
        raise ConfigError(
            f"LMS_ENV must be one of {', '.join(ENVIRONMENTS)}; got {lms_env!r}."
        )
    if lms_env == "production" and not config.get("SECRET_KEY"):
        raise ConfigError(
            "LMS_SECRET_KEY is not set. Outside development and testing the service will not "
            "start without one: generate it with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )


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
}
