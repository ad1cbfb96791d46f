"""portal.cache.RedisCache: Django's Redis cache with one client object per pool (on the Redis at 127.0.0.1)."""
import os

import pytest

from portal.cache import RedisCache
from portal.tests.concurrency import run_in_threads

REDIS = os.environ.get("CELERY_TEST_REDIS_URL", "redis://127.0.0.1:6379/5").rsplit("/", 1)[0] + "/7"


@pytest.fixture
def cache():
    cache = RedisCache(REDIS, {"KEY_PREFIX": f"test-cache-{os.getpid()}"})
    try:
        cache.get("ping")
    except Exception as exc:  # CI must fail, not skip, when Redis is missing
        pytest.fail(f"Redis is unreachable at {REDIS}: {exc}")
    yield cache
    cache.clear()


def test_behaves_as_djangos_cache_and_reuses_its_client(cache):
    cache.set("a", {"panier": [1, 2]}, 60)
    assert cache.get("a") == {"panier": [1, 2]}
    assert cache.add("a", "other") is False
    cache.set("n", 1)
    assert cache.incr("n") == 2
    cache.delete("a")
    assert cache.get("a") is None
    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=True)
    assert len(cache._cache._clients) == 1


def test_threads_share_the_client_safely(cache):
    def work():
        for i in range(50):
            key = f"k{i % 5}"
            cache.set(key, i, 60)
            assert cache.get(key) is not None

    assert run_in_threads(work, count=4) == []
