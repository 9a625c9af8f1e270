"""Per-tenant rate limits: GCRA in memory and in Redis, shared across replicas,
failing open when Redis is gone."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis

from primeguard.cache import (
    CacheSettings,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    build_rate_limiter,
)
from tests.integration.test_redis_cache import SHARED_URL, RedisProcess, free_port


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings() -> Iterator[CacheSettings]:
    """Settings on the shared Redis with a unique prefix; its keys are deleted afterwards."""
    prefix = f"pg-test:{uuid.uuid4().hex}:"
    # Generous: these tests are about atomicity, and a loaded CI machine must not trip
    # the fail-open path (50 concurrent first calls share one connection set-up).
    yield CacheSettings(url=SHARED_URL, key_prefix=prefix, op_timeout_ms=3000)
    client = redis.Redis.from_url(SHARED_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
async def limiter(settings: CacheSettings) -> AsyncIterator[RateLimiter]:
    store = build_rate_limiter(settings)
    yield store
    await store.close()


# --- memory ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_memory_gcra_allows_the_burst_then_refills() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    assert isinstance(limiter, RateLimiter)
    decisions = [await limiter.hit("acme", 5) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]
    assert decisions[-1].retry_after_s == pytest.approx(12.0)
    assert (await limiter.hit("globex", 5)).allowed  # another tenant, another budget
    clock.now += 11.9
    assert not (await limiter.hit("acme", 5)).allowed
    clock.now += 0.2
    assert (await limiter.hit("acme", 5)).allowed
    snap = limiter.stats.snapshot()
    assert (snap.allowed, snap.limited) == (7, 2)
    with pytest.raises(ValueError):
        await limiter.hit("acme", 0)


# --- redis ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_redis_gcra_limits_per_tenant(limiter: RateLimiter) -> None:
    assert isinstance(limiter, RedisRateLimiter)
    decisions = [await limiter.hit("acme", 5) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]
    assert 11.0 < decisions[-1].retry_after_s <= 12.0
    assert all(d.enforced for d in decisions)
    assert (await limiter.hit("globex", 5)).allowed


@pytest.mark.anyio
async def test_redis_limits_are_shared_by_replicas(settings: CacheSettings) -> None:
    replicas = [build_rate_limiter(settings), build_rate_limiter(settings)]
    try:
        allowed = [(await replicas[i % 2].hit("acme", 6)).allowed for i in range(8)]
        assert allowed == [True] * 6 + [False] * 2
    finally:
        for replica in replicas:
            await replica.close()


@pytest.mark.anyio
async def test_redis_limit_is_atomic_under_concurrency(limiter: RateLimiter) -> None:
    decisions = await asyncio.gather(*(limiter.hit("acme", 10) for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 10


@pytest.mark.anyio
async def test_unreachable_redis_fails_open() -> None:
    settings = CacheSettings(url=f"redis://127.0.0.1:{free_port()}/0", breaker_failures=2)
    limiter = build_rate_limiter(settings)
    try:
        for _ in range(4):
            started = time.monotonic()
            decision = await limiter.hit("acme", 1)
            assert decision.allowed and not decision.enforced
            assert time.monotonic() - started < settings.op_timeout_s + 0.1
        snap = limiter.stats.snapshot()
        assert (snap.errors, snap.bypassed, snap.breaker_state) == (2, 2, "open")
    finally:
        await limiter.close()


@pytest.mark.anyio
async def test_redis_restart_fails_open_then_enforces_again(tmp_path: Path) -> None:
    server = RedisProcess(tmp_path)
    server.start()
    settings = CacheSettings(url=server.url, breaker_failures=2, breaker_reset_s=0.2)
    limiter = build_rate_limiter(settings)
    try:
        assert [(await limiter.hit("acme", 2)).allowed for _ in range(3)] == [True, True, False]
        server.kill()
        assert all([(await limiter.hit("acme", 2)).allowed for _ in range(5)])
        server.start()  # empty: the script cache and the counters are gone
        await asyncio.sleep(settings.breaker_reset_s)
        decisions = [await limiter.hit("acme", 2) for _ in range(3)]
        assert [d.allowed for d in decisions] == [True, True, False]
        assert all(d.enforced for d in decisions)
        assert limiter.stats.breaker_state == "closed"
    finally:
        await limiter.close()
        server.kill()
