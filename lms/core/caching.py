"""Cached answers, keyed on the data version so a cached answer is never stale.

The cache is Flask-Caching's (Redis when LMS_REDIS_URL is set, shared by every server process;
otherwise in this process). If Redis cannot be reached the answer is built as if nothing were
cached, and the failure is logged: a cache is an optimisation, never a dependency.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from redis.exceptions import RedisError

from lms.core.extensions import cache
from lms.core.i18n import current_language

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
    on a miss (for ``timeout`` seconds; the configured default when None). An answer built
    in Welsh is kept apart from the English one: answers may hold words."""
    language = current_language()
    if language != "en":  # English keys stay as they were: a deployment's warm cache holds
        parts = {**parts, "language": language}
    return built_once(cache_key(kind, parts), build, timeout)


#: The longest one builder holds a key (a PDF takes seconds; anything longer is stuck).
BUILD_SECONDS = 60
class KeyLock:
    """A lock for one key, dropped from ``_local_locks`` once nobody holds or awaits it."""

    __slots__ = ("lock", "__weakref__")

    def __init__(self) -> None:
        self.lock = threading.Lock()


#: In-process locks per key, for the cache kept in this process.
_local_locks: weakref.WeakValueDictionary[str, KeyLock] = weakref.WeakValueDictionary()
_local_locks_guard = threading.Lock()


def built_once(key: str, build: Callable[[], T], timeout: int | None = None) -> T:
    """The cached value of ``key``, or built by one caller at a time: when many ask for the
    same missing answer at once (a cohort's charts after a submission), one builds it and
    the others wait for it and read it, rather than all building it (no stampede). With
    Redis the lock is Redis's, shared by every process; otherwise this process's."""
    value = lookup(key)
    if value is not None:
        return value
    with build_lock(key):
        value = lookup(key)  # built while this caller waited
        if value is None:
            value = build()
            store(key, value, timeout)
    return value


@contextmanager
def build_lock(key: str) -> Iterator[None]:
    """Hold the right to build ``key``; without a lock to take (Redis away), go ahead."""
    client = getattr(cache.cache, "_write_client", None)  # Flask-Caching's RedisCache
    if client is None:
        with _local_locks_guard:
            held = _local_locks.get(key)
            if held is None:
                held = _local_locks[key] = KeyLock()
        with held.lock:
            yield
        return
    lock = client.lock(f"build-lock:{key}", timeout=BUILD_SECONDS,
                       blocking_timeout=BUILD_SECONDS)
    try:
        held = lock.acquire()
    except (RedisError, OSError) as exc:
        log.warning("cache unavailable, locking %s: %s", key, exc)
        held = False
    try:
        yield
    finally:
        if held:
            with suppress(RedisError, OSError):
                lock.release()
