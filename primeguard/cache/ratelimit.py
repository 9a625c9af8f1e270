"""Per-tenant request rate limits: GCRA, in process or shared through Redis.

GCRA (the generic cell rate algorithm) keeps one number per tenant, the
theoretical arrival time (TAT) of the next request, and allows a burst of the
whole per-minute budget.  The Redis version runs the same arithmetic in one Lua
script, atomically, on Redis's own clock so replicas with skewed clocks agree.
A Redis failure fails open: availability over strictness, and it is counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from primeguard.cache.breaker import BreakerState, CallStatus
from primeguard.cache.protocol import EventHook
from primeguard.cache.redis_store import RedisConnection, connect, redis_breaker, redis_call
from primeguard.cache.settings import CacheSettings

_PERIOD_S = 60.0


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether one request may go ahead, and what to tell the client."""

    allowed: bool
    retry_after_s: float
    remaining: int
    enforced: bool = True  # False when the store failed and the request was let through


@dataclass(frozen=True, slots=True)
class RateLimitStatsSnapshot:
    """A point-in-time copy of `RateLimitStats`."""

    allowed: int
    limited: int
    errors: int
    bypassed: int
    breaker_state: str


@dataclass(slots=True)
class RateLimitStats:
    """Counters of one limiter; `errors` and `bypassed` requests are also `allowed`."""

    allowed: int = 0
    limited: int = 0
    errors: int = 0
    bypassed: int = 0
    breaker_state: str = "closed"
    on_event: EventHook | None = None

    def record(self, counter: str) -> None:
        setattr(self, counter, getattr(self, counter) + 1)
        if self.on_event is not None:
            self.on_event(f"ratelimit_{counter}")

    def snapshot(self) -> RateLimitStatsSnapshot:
        return RateLimitStatsSnapshot(
            allowed=self.allowed,
            limited=self.limited,
            errors=self.errors,
            bypassed=self.bypassed,
            breaker_state=self.breaker_state,
        )


@runtime_checkable
class RateLimiter(Protocol):
    """Counts one request of `tenant` against `limit_per_minute`."""

    @property
    def stats(self) -> RateLimitStats:
        """Live counters."""
        ...

    async def hit(self, tenant: str, limit_per_minute: int) -> RateDecision:
        """Record one request and decide; never raises on a store failure."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def _check_limit(limit_per_minute: int) -> None:
    if limit_per_minute < 1:
        raise ValueError("limit_per_minute must be at least 1")


class MemoryRateLimiter:
    """GCRA per tenant, in this process only: each replica enforces the full limit."""

    _SWEEP_AT = 10_000  # tenants tracked before idle ones are dropped

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, on_event: EventHook | None = None
    ):
        self._clock = clock
        self._tat: dict[str, float] = {}
        self._stats = RateLimitStats(on_event=on_event)

    @property
    def stats(self) -> RateLimitStats:
        return self._stats

    async def hit(self, tenant: str, limit_per_minute: int) -> RateDecision:
        _check_limit(limit_per_minute)
        now = self._clock()
        interval = _PERIOD_S / limit_per_minute
        new_tat = max(self._tat.get(tenant, now), now) + interval
        allow_at = new_tat - _PERIOD_S
        if now < allow_at:
            self._stats.record("limited")
            return RateDecision(allowed=False, retry_after_s=allow_at - now, remaining=0)
        self._tat[tenant] = new_tat
        if len(self._tat) > self._SWEEP_AT:
            # A TAT in the past is the same as no entry at all.
            self._tat = {t: v for t, v in self._tat.items() if v > now}
        self._stats.record("allowed")
        return RateDecision(
            allowed=True, retry_after_s=0.0, remaining=int((now - allow_at) / interval)
        )

    async def close(self) -> None:
        self._tat.clear()


# KEYS[1]: the tenant's TAT key.  ARGV[1]: period in ms; ARGV[2]: limit.
# Returns {allowed, retry_after_ms, remaining}.  Milliseconds keep the TAT exact
# in a Lua double and short in its decimal form.
_GCRA_LUA = """
local period = tonumber(ARGV[1])
local interval = period / tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then
  return {0, math.ceil(allow_at - now), 0}
end
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now))
return {1, 0, math.floor((now - allow_at) / interval)}
"""


class RedisRateLimiter:
    """GCRA per tenant, shared by every replica through one Redis."""

    def __init__(
        self,
        connection: RedisConnection,
        settings: CacheSettings,
        *,
        on_event: EventHook | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conn = connection
        self._script = connection.client.register_script(_GCRA_LUA)
        self._prefix = settings.key_prefix
        self._timeout_s = settings.op_timeout_s
        self._stats = RateLimitStats(on_event=on_event)
        self._breaker = redis_breaker(connection, settings, clock=clock, on_change=self._on_breaker)

    @property
    def stats(self) -> RateLimitStats:
        return self._stats

    async def hit(self, tenant: str, limit_per_minute: int) -> RateDecision:
        _check_limit(limit_per_minute)
        key = f"{self._prefix}rl:{tenant}"
        out = await redis_call(
            self._breaker,
            lambda: self._script(keys=[key], args=[int(_PERIOD_S * 1000), limit_per_minute]),
            timeout_s=self._timeout_s,
            stats=self._stats,
        )
        if out.status is not CallStatus.OK or out.value is None:
            if out.status is CallStatus.OK:
                self._stats.record("errors")  # the script answered nothing
            self._stats.record("allowed")
            return RateDecision(
                allowed=True, retry_after_s=0.0, remaining=limit_per_minute - 1, enforced=False
            )
        allowed, retry_ms, remaining = (int(x) for x in out.value)
        self._stats.record("allowed" if allowed else "limited")
        return RateDecision(
            allowed=bool(allowed), retry_after_s=retry_ms / 1000.0, remaining=remaining
        )

    async def close(self) -> None:
        await self._breaker.aclose()
        await self._conn.aclose()

    def _on_breaker(self, state: BreakerState) -> None:
        self._stats.breaker_state = state.value
        if self._stats.on_event is not None:
            self._stats.on_event(f"ratelimit_breaker_{state.value}")


def build_rate_limiter(
    settings: CacheSettings,
    *,
    on_event: EventHook | None = None,
    connection: RedisConnection | None = None,
) -> RateLimiter:
    """Redis when `settings.url` is set (shared limits; over `connection`, if one is shared),
    otherwise per-process memory."""
    if settings.url is None:
        return MemoryRateLimiter(on_event=on_event)
    return RedisRateLimiter(connection or connect(settings), settings, on_event=on_event)
