"""The Redis decision cache against real servers: the shared one on :6379, and
throwaway ones this module starts, kills and restarts to prove failures stay
invisible to callers."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from primeguard.cache import (
    BreakerState,
    CachedDecision,
    CacheSettings,
    DecisionCache,
    RedisDecisionCache,
    SingleFlight,
    build_cache,
    decision_key,
    encode_decision,
    get_or_compute,
    ttl_policy,
)
from primeguard.verdicts import DecisionSource, Route, RouteDecision

SHARED_URL = "redis://127.0.0.1:6379/0"
ALLOW = CachedDecision(RouteDecision(Route.NO_RISK, "ok", "", DecisionSource.JUDGE))
REFUSE = CachedDecision(RouteDecision(Route.DIRECT_VIOLATION, "no", "", DecisionSource.JUDGE))

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisProcess:
    """A private, persistence-free redis-server that a test may kill and restart."""

    def __init__(self, directory: Path, *extra: str) -> None:
        self.port = free_port()
        self.directory = directory
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.directory), *self.extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.1):
                    return
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix unique to the test; its keys are deleted afterwards."""
    value = f"pg-test:{uuid.uuid4().hex}:"
    yield value
    client = redis.Redis.from_url(SHARED_URL)
    try:
        keys = list(client.scan_iter(match=f"{value}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
async def cache(prefix: str) -> AsyncIterator[DecisionCache]:
    store = build_cache(CacheSettings(url=SHARED_URL, key_prefix=prefix, op_timeout_ms=500))
    yield store
    await store.close()


def key_for(prefix: str, tenant: str = "acme", text: str = "hello") -> str:
    return decision_key(
        tenant=tenant,
        guideline_version="g1",
        route_template_version="t1",
        guard_versions={"minilm": "1"},
        judge_model="judge",
        messages=[{"role": "user", "content": text}],
        prefix=prefix,
    )


async def raw_client(url: str = SHARED_URL) -> Any:
    return redis.asyncio.Redis.from_url(url)


@pytest.mark.anyio
async def test_roundtrip(cache: DecisionCache, prefix: str) -> None:
    assert isinstance(cache, DecisionCache) and cache.backend == "redis"
    assert await cache.ping()
    key = key_for(prefix)
    assert await cache.get(key) is None
    await cache.set(key, ALLOW, 60)
    assert await cache.get(key) == ALLOW
    snap = cache.stats.snapshot()
    assert (snap.hits, snap.misses, snap.writes, snap.errors) == (1, 1, 1, 0)


@pytest.mark.anyio
async def test_tenant_isolation(cache: DecisionCache, prefix: str) -> None:
    await cache.set(key_for(prefix, tenant="acme"), REFUSE, 60)
    assert await cache.get(key_for(prefix, tenant="globex")) is None
    assert await cache.get(key_for(prefix, tenant="acme")) == REFUSE


@pytest.mark.anyio
async def test_other_schema_versions_and_garbage_read_as_misses(
    cache: DecisionCache, prefix: str
) -> None:
    client = await raw_client()
    try:
        old = json.loads(encode_decision(ALLOW))
        await client.set(f"{prefix}v0", json.dumps({**old, "v": 0}), px=60_000)
        await client.set(f"{prefix}junk", b"\x00not json", px=60_000)
    finally:
        await client.aclose()
    assert await cache.get(f"{prefix}v0") is None
    assert await cache.get(f"{prefix}junk") is None
    assert cache.stats.undecodable == 2 and cache.stats.errors == 0


@pytest.mark.anyio
async def test_refusals_get_the_shorter_ttl(cache: DecisionCache, prefix: str) -> None:
    settings = CacheSettings(ttl_s=3600, refusal_ttl_s=0.3)
    ttl_for = ttl_policy(settings)
    await cache.set(f"{prefix}allow", ALLOW, ttl_for(ALLOW))
    await cache.set(f"{prefix}refuse", REFUSE, ttl_for(REFUSE))
    client = await raw_client()
    try:
        assert 3_500_000 < await client.pttl(f"{prefix}allow") <= 3_600_000
        assert 0 < await client.pttl(f"{prefix}refuse") <= 300
    finally:
        await client.aclose()
    await asyncio.sleep(0.4)
    assert await cache.get(f"{prefix}refuse") is None
    assert await cache.get(f"{prefix}allow") == ALLOW


@pytest.mark.anyio
async def test_single_flight_through_redis(cache: DecisionCache, prefix: str) -> None:
    calls = 0

    async def compute() -> CachedDecision:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return ALLOW

    flight, key, ttl = SingleFlight(), key_for(prefix), ttl_policy(CacheSettings())
    results = await asyncio.gather(
        *(get_or_compute(cache, flight, key, compute, ttl) for _ in range(20))
    )
    assert calls == 1 and not any(r.hit for r in results)
    assert (await get_or_compute(cache, flight, key, compute, ttl)).hit


@pytest.mark.anyio
async def test_unreachable_redis_is_a_fast_miss() -> None:
    settings = CacheSettings(url=f"redis://127.0.0.1:{free_port()}/0", breaker_failures=2)
    store = build_cache(settings)
    try:
        for _ in range(5):
            started = time.monotonic()
            assert await store.get("k") is None
            await store.set("k", ALLOW, 60)
            assert time.monotonic() - started < 2 * settings.op_timeout_s + 0.1
        assert not await store.ping()
        snap = store.stats.snapshot()
        assert snap.errors == 2 and snap.bypassed == 8 and snap.breaker_state == "open"
    finally:
        await store.close()


# --- topologies -----------------------------------------------------------------


@pytest.fixture
def cluster_node(tmp_path: Path) -> Iterator[RedisProcess]:
    """A one-node Redis Cluster owning every slot."""
    # The bus port is named explicitly: the default, port + 10000, may be taken or past 65535.
    bus = ("--cluster-port", str(free_port()), "--cluster-config-file", "nodes.conf")
    node = RedisProcess(tmp_path, "--cluster-enabled", "yes", *bus)
    node.start()
    client = redis.Redis(host="127.0.0.1", port=node.port)
    try:
        client.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)  # type: ignore[no-untyped-call]
        # A fresh cluster node refuses writes for about two seconds after start.
        deadline = time.monotonic() + 5
        while b"cluster_state:ok" not in client.execute_command("CLUSTER", "INFO"):  # type: ignore[no-untyped-call]
            assert time.monotonic() < deadline, "cluster never became ok"
            time.sleep(0.05)
        yield node
    finally:
        client.close()
        node.kill()


@pytest.fixture
def sentinel_port(private_redis: RedisProcess, tmp_path: Path) -> Iterator[int]:
    """A Sentinel watching `private_redis` as service "primary"."""
    port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor primary 127.0.0.1 {private_redis.port} 1\n"
    )
    args = ["redis-server", str(conf), "--sentinel"]
    sentinel = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield port
    sentinel.kill()
    sentinel.wait()


@pytest.mark.anyio
async def test_cluster_url(cluster_node: RedisProcess) -> None:
    url = f"redis+cluster://127.0.0.1:{cluster_node.port}"
    store = build_cache(CacheSettings(url=url, op_timeout_ms=500))
    try:
        await store.set("pg:a", ALLOW, 60)
        await store.set("pg:b", REFUSE, 60)  # another slot, same single node
        assert (await store.get("pg:a"), await store.get("pg:b")) == (ALLOW, REFUSE)
        assert await store.ping() and store.stats.errors == 0
    finally:
        await store.close()


@pytest.mark.anyio
async def test_sentinel_url(sentinel_port: int) -> None:
    url = f"redis+sentinel://127.0.0.1:{sentinel_port}/primary"
    store = build_cache(CacheSettings(url=url, op_timeout_ms=500))
    try:
        deadline = time.monotonic() + 5
        while not await store.ping():  # the sentinel may still be starting
            assert time.monotonic() < deadline, "sentinel never answered"
            await asyncio.sleep(0.05)
        await store.set("pg:s", ALLOW, 60)
        assert await store.get("pg:s") == ALLOW
    finally:
        await store.close()


# --- failure and recovery -------------------------------------------------------


@pytest.mark.anyio
async def test_kill_and_restart_is_invisible_and_recovers(private_redis: RedisProcess) -> None:
    settings = CacheSettings(
        url=private_redis.url, op_timeout_ms=50, breaker_failures=3, breaker_reset_s=0.3
    )
    events: list[str] = []
    store = build_cache(settings, on_event=events.append)
    assert isinstance(store, RedisDecisionCache)
    bound = settings.op_timeout_s + 0.1  # the deadline plus slack for a busy 2-core box
    latencies: list[float] = []
    hits_at: list[float] = []

    async def pair(i: int) -> None:
        """One set then one get of the same key: two ops."""
        key = f"pg:fault:{i % 20}"
        started = time.monotonic()
        await store.set(key, ALLOW, 60)
        middle = time.monotonic()
        hit = await store.get(key) is not None
        ended = time.monotonic()
        latencies.extend([middle - started, ended - middle])
        if hit:
            hits_at.append(ended)

    tasks: list[asyncio.Task[None]] = []
    killed_at = restarted_at = 0.0
    bypass_latency = -1.0
    for i in range(100):  # 200 ops over about 3 s
        tasks.append(asyncio.ensure_future(pair(i)))
        await asyncio.sleep(0.03)
        # Killing and starting the server block until it is gone or answers: off the event
        # loop, or in-flight operations would count the harness's own wait as their latency.
        if i == 33:
            await asyncio.to_thread(private_redis.kill)
            killed_at = time.monotonic()
        if i == 55:
            while store.breaker.state is not BreakerState.OPEN:  # not mid-trial
                await asyncio.sleep(0.001)
            before = store.stats.bypassed
            started = time.monotonic()
            assert await store.get("pg:fault:0") is None
            bypass_latency = time.monotonic() - started
            assert store.stats.bypassed == before + 1
        if i == 66:
            await asyncio.to_thread(private_redis.start)
            restarted_at = time.monotonic()
    await asyncio.gather(*tasks)  # any exception from an op fails the test here

    deadline = time.monotonic() + 3
    while not any(t > restarted_at for t in hits_at):
        assert time.monotonic() < deadline, "the cache did not recover by itself"
        await pair(0)
    recovered_after = min(t for t in hits_at if t > restarted_at) - restarted_at
    snap = store.stats.snapshot()
    await store.close()

    print(
        f"\nredis kill/restart: {len(latencies)} ops, hits={snap.hits} misses={snap.misses} "
        f"writes={snap.writes} dropped_writes={snap.dropped_writes} errors={snap.errors} "
        f"bypassed={snap.bypassed}; max latency {max(latencies) * 1000:.1f} ms; "
        f"bypass {bypass_latency * 1000:.2f} ms; down {restarted_at - killed_at:.2f} s; "
        f"recovered {recovered_after * 1000:.0f} ms after restart"
    )
    assert max(latencies) < bound
    assert 0 <= bypass_latency < 0.005
    assert any(t < killed_at for t in hits_at), "no hits before the kill"
    assert snap.errors > 0 and snap.bypassed > 0
    assert recovered_after < 2.0
    assert "breaker_open" in events and events.count("breaker_closed") >= 1
    assert snap.breaker_state == "closed"


@pytest.mark.anyio
async def test_a_hung_server_costs_one_timeout_per_op_then_nothing(
    private_redis: RedisProcess,
) -> None:
    """SIGSTOP: connections stay open but nothing answers, the worst case for latency."""
    settings = CacheSettings(
        url=private_redis.url, op_timeout_ms=50, breaker_failures=3, breaker_reset_s=0.3
    )
    store = build_cache(settings)
    assert private_redis.proc is not None
    pid = private_redis.proc.pid
    try:
        await store.set("pg:hung", ALLOW, 60)
        os.kill(pid, signal.SIGSTOP)
        try:
            latencies = []
            for _ in range(6):
                started = time.monotonic()
                assert await store.get("pg:hung") is None
                latencies.append(time.monotonic() - started)
        finally:
            os.kill(pid, signal.SIGCONT)
        assert all(0.04 < t < settings.op_timeout_s + 0.1 for t in latencies[:3])
        assert all(t < 0.005 for t in latencies[3:])  # breaker open: bypassed
        await asyncio.sleep(settings.breaker_reset_s)
        assert await store.get("pg:hung") == ALLOW  # the probe closed the breaker
        snap = store.stats.snapshot()
        assert (snap.errors, snap.bypassed, snap.breaker_state) == (3, 3, "closed")
    finally:
        await store.close()


@pytest.mark.anyio
async def test_breaker_recovers_in_the_background_without_traffic(tmp_path: Path) -> None:
    """Once Redis is back, a background probe closes the breaker; no request has to pay for the trial."""
    server = RedisProcess(tmp_path)
    server.start()
    settings = CacheSettings(url=server.url, key_prefix="pg-bg:", op_timeout_ms=50,
                             breaker_failures=2, breaker_reset_s=0.2)
    store = build_cache(settings)
    assert isinstance(store, RedisDecisionCache)
    try:
        assert await store.ping()
        server.kill()
        for _ in range(3):
            await store.get("pg-bg:k")
        assert store.breaker.state is BreakerState.OPEN
        server.start()
        deadline = time.monotonic() + 5
        while store.breaker.state is not BreakerState.CLOSED and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # no cache operation at all while waiting
        assert store.breaker.state is BreakerState.CLOSED
    finally:
        await store.close()
        server.kill()
