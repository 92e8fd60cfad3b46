"""Cached answers, keyed on the data version so a cached answer is never stale.

The cache is Flask-Caching's (Redis when LMS_REDIS_URL is set, shared by every server process;
otherwise in this process). If Redis cannot be reached the answer is built as if nothing were
cached, and the failure is logged: a cache is an optimisation, never a dependency.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from redis.exceptions import RedisError

from lms.core.extensions import cache

T = TypeVar("T")
log = logging.getLogger(__name__)


def cache_key(kind: str, parts: dict[str, Any]) -> str:
    """A short key for ``kind`` and what the answer depends on."""
    payload = json.dumps(parts, sort_keys=True, default=str).encode()
    return f"{kind}:{hashlib.sha256(payload).hexdigest()[:40]}"


def lookup(key: str) -> Any:
    """The cached value, or None (also when the cache is unreachable)."""
    try:
        return cache.get(key)
    except (RedisError, OSError) as exc:
        log.warning("cache unavailable, reading %s: %s", key, exc)
        return None


def store(key: str, value: Any, timeout: int | None = None) -> None:
    """Keep ``value`` (skipped, and logged, when the cache is unreachable)."""
    try:
        cache.set(key, value, timeout=timeout)
    except (RedisError, OSError) as exc:
        log.warning("cache unavailable, writing %s: %s", key, exc)


def cached(kind: str, parts: dict[str, Any], build: Callable[[], T],
           timeout: int | None = None) -> T:
    """The cached answer for ``parts`` (which must include the data version), built and kept
    on a miss (for ``timeout`` seconds; the configured default when None)."""
    key = cache_key(kind, parts)
    value = lookup(key)
    if value is None:
        value = build()
        store(key, value, timeout)
    return value
