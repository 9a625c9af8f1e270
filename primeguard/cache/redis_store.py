"""The shared decision cache on Redis (standalone, Sentinel or Cluster).

Redis is an optimisation, never a dependency of the request path: every
operation runs under `op_timeout_ms` behind a circuit breaker, and any Redis
error or timeout becomes a counted miss or a dropped write.  The client's own
retries are off because the breaker, not a retry loop, decides when to try again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException, RedisError

from primeguard.cache.breaker import BreakerState, CallStatus, CircuitBreaker, Guarded
from primeguard.cache.protocol import (
    CacheBackend,
    CachedDecision,
    CacheStats,
    EventHook,
    decode_decision,
    encode_decision,
)
from primeguard.cache.settings import CacheSettings

#: What a broken, slow or unreachable Redis raises (timeouts are added by the breaker).
T = TypeVar("T")
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, RedisClusterException, OSError)

_TIMEOUT_OR_REDIS_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, *REDIS_ERRORS)

AnyRedis = Redis | RedisCluster


@dataclass(slots=True)
class RedisConnection:
    """A client plus, for Sentinel, the sentinel clients it was discovered through.

    One per process, shared by the decision cache and the rate limiter; each closes it
    when it closes, and only the first close does anything.
    """

    client: AnyRedis
    sentinels: tuple[Redis, ...] = ()
    closed: bool = False

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        await self.client.aclose()
        for sentinel in self.sentinels:
            await sentinel.aclose()


def redis_breaker(
    connection: RedisConnection,
    settings: CacheSettings,
    *,
    clock: Callable[[], float],
    on_change: Callable[[BreakerState], None],
) -> CircuitBreaker:
    """The breaker every Redis-backed store uses; PING probes recovery in the background."""
    return CircuitBreaker(
        failure_threshold=settings.breaker_failures,
        reset_s=settings.breaker_reset_s,
        clock=clock,
        on_change=on_change,
        recover=connection.client.ping,
        recover_timeout_s=max(settings.op_timeout_s, 0.5),
    )


class _Counts(Protocol):
    def record(self, name: str) -> None: ...


async def redis_call(
    breaker: CircuitBreaker,
    op: Callable[[], Awaitable[T]],
    *,
    timeout_s: float,
    stats: _Counts,
) -> Guarded[T]:
    """One Redis operation behind the breaker (whose PING probes recovery); a failure is
    counted (`bypassed` while the breaker is open, else `errors`)."""
    out = await breaker.call(op, timeout_s=timeout_s, errors=REDIS_ERRORS)
    if out.status is not CallStatus.OK:
        stats.record("bypassed" if out.status is CallStatus.BYPASSED else "errors")
    return out


def connect(settings: CacheSettings) -> RedisConnection:
    """Build a pooled client for `settings.url`; connections open lazily on first use."""
    if settings.url is None:
        raise ValueError("connect() needs a cache url")
    parts = urlsplit(settings.url)
    scheme = parts.scheme.lower()
    common: dict[str, Any] = {
        "socket_timeout": settings.op_timeout_s,
        "socket_connect_timeout": settings.op_timeout_s,
        "retry": Retry(NoBackoff(), 0),
    }
    if scheme.endswith("+cluster"):
        url = urlunsplit(parts._replace(scheme=scheme.removesuffix("+cluster")))
        cluster = RedisCluster.from_url(url, max_connections=settings.max_connections, **common)
        return RedisConnection(cluster)
    if scheme.endswith("+sentinel"):
        return _connect_sentinel(parts, settings, common)
    return RedisConnection(
        Redis.from_url(settings.url, max_connections=settings.max_connections, **common)
    )


def _connect_sentinel(
    parts: SplitResult, settings: CacheSettings, common: dict[str, Any]
) -> RedisConnection:
    # redis+sentinel://[user:pass@]host:port[,host:port]/service_name[/db]
    userinfo, _, hosts = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    nodes = [_host_port(h) for h in hosts.split(",") if h]
    path = [p for p in parts.path.split("/") if p]
    if not nodes or not path:
        raise ValueError("a sentinel url needs host:port and /service_name")
    master_kwargs: dict[str, Any] = dict(common)
    master_kwargs.update(
        username=unquote(user) or None,
        password=unquote(password) or None,
        db=int(path[1]) if len(path) > 1 else 0,
        ssl=parts.scheme.lower().startswith("rediss"),
        max_connections=settings.max_connections,
    )
    sentinel = Sentinel(nodes, sentinel_kwargs=dict(common), **master_kwargs)  # type: ignore[no-untyped-call]
    return RedisConnection(sentinel.master_for(unquote(path[0])), tuple(sentinel.sentinels))


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return (host.strip("[]"), int(port)) if host else (text, 26379)


class RedisDecisionCache:
    """A `DecisionCache` shared by every replica; values are versioned JSON."""

    def __init__(
        self,
        connection: RedisConnection,
        settings: CacheSettings,
        *,
        on_event: EventHook | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conn = connection
        self._redis = connection.client
        self._timeout_s = settings.op_timeout_s
        self._stats = CacheStats(on_event=on_event)
        self._breaker = redis_breaker(connection, settings, clock=clock, on_change=self._on_breaker)

    @property
    def backend(self) -> CacheBackend:
        return "redis"

    @property
    def stats(self) -> CacheStats:
        return self._stats

    @property
    def breaker(self) -> CircuitBreaker:
        return self._breaker

    async def get(self, key: str) -> CachedDecision | None:
        out = await redis_call(self._breaker, lambda: self._redis.get(key), timeout_s=self._timeout_s,
                               stats=self._stats)
        if out.status is not CallStatus.OK:
            self._stats.record("misses")
            return None
        value = None if out.value is None else decode_decision(out.value)
        if out.value is not None and value is None:
            self._stats.record("undecodable")  # another release's schema, or garbage
        self._stats.record("misses" if value is None else "hits")
        return value

    async def set(self, key: str, value: CachedDecision, ttl_s: float) -> None:
        ttl_ms = int(ttl_s * 1000)
        if ttl_ms <= 0:
            self._stats.record("dropped_writes")
            return
        payload = encode_decision(value)
        out = await redis_call(self._breaker, lambda: self._redis.set(key, payload, px=ttl_ms),
                               timeout_s=self._timeout_s, stats=self._stats)
        if out.status is not CallStatus.OK:
            self._stats.record("dropped_writes")
            return
        self._stats.record("writes")

    async def ping(self) -> bool:
        """A direct PING under the op timeout; it neither consults nor moves the breaker."""
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._redis.ping()
        except _TIMEOUT_OR_REDIS_ERRORS:
            return False
        return True

    async def close(self) -> None:
        await self._breaker.aclose()
        await self._conn.aclose()

    def _on_breaker(self, state: BreakerState) -> None:
        self._stats.set_breaker_state(state.value)
