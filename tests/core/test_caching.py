"""Many readers of one missing answer: one builds it, the others wait and read it."""

from __future__ import annotations

import threading
import time

import pytest

from lms.core import caching


def race(app, key: str, readers: int = 8) -> tuple[list, list]:
    """``readers`` threads ask for ``key`` at once; (what each got, each build)."""
    builds: list[int] = []
    got: list = []
    start = threading.Barrier(readers)

    def build() -> str:
        builds.append(1)
        time.sleep(0.2)  # long enough for every reader to arrive
        return "drawn"

    def read() -> None:
        with app.app_context():
            start.wait()
            got.append(caching.built_once(key, build))

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return got, builds


def test_one_build_for_many_readers_in_this_process(app):
    got, builds = race(app, "test:single-flight")
    assert got == ["drawn"] * 8 and builds == [1]
    assert "test:single-flight" not in caching._local_locks  # nothing kept once done


#: A Redis database of this test's own (the throttling tests use 15, scale-out 14).
REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.mark.redis
def test_one_build_for_many_readers_sharing_redis(app):
    from lms.core.extensions import cache

    app.config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=REDIS_URL)
    cache.init_app(app)
    key = f"test:single-flight-redis:{time.time_ns()}"
    got, builds = race(app, key)
    assert got == ["drawn"] * 8 and builds == [1]
    with app.app_context():  # the lock is gone once the value is built
        assert not caching.cache.cache._write_client.exists(f"build-lock:{key}")
