"""Decision cache and per-tenant rate limits.

    settings = parse_cache_settings(config.cache)
    cache = build_cache(settings)              # MemoryDecisionCache or RedisDecisionCache
    limiter = build_rate_limiter(settings)     # MemoryRateLimiter or RedisRateLimiter
    flight = SingleFlight()
    key = decision_key(tenant=..., ..., messages=body["messages"], prefix=settings.key_prefix)
    lookup = await get_or_compute(cache, flight, key, compute, ttl_policy(settings))

Neither store ever raises on a backend failure: a cache failure is a miss, a
rate-limit failure lets the request through, and both are counted in `.stats`.
"""

from __future__ import annotations

from collections.abc import Callable

from primeguard.cache.breaker import BreakerState, CallStatus, CircuitBreaker, Guarded
from primeguard.cache.keys import canonical_message, decision_key
from primeguard.cache.memory import MemoryDecisionCache
from primeguard.cache.protocol import (
    SCHEMA_VERSION,
    CachedDecision,
    CacheStats,
    CacheStatsSnapshot,
    DecisionCache,
    EventHook,
    decode_decision,
    encode_decision,
)
from primeguard.cache.ratelimit import (
    MemoryRateLimiter,
    RateDecision,
    RateLimiter,
    RateLimitStats,
    RedisRateLimiter,
    build_rate_limiter,
)
from primeguard.cache.redis_store import RedisConnection, RedisDecisionCache, connect
from primeguard.cache.settings import CacheSettings, parse_cache_settings
from primeguard.cache.singleflight import Lookup, SingleFlight, get_or_compute


def build_cache(
    settings: CacheSettings,
    *,
    on_event: EventHook | None = None,
    connection: RedisConnection | None = None,
) -> DecisionCache:
    """Redis when `settings.url` is set (over `connection`, if one is shared), otherwise an
    in-process LRU of `max_entries`."""
    if settings.url is None:
        return MemoryDecisionCache(settings.max_entries, on_event=on_event)
    return RedisDecisionCache(connection or connect(settings), settings, on_event=on_event)


def ttl_policy(settings: CacheSettings) -> Callable[[CachedDecision], float]:
    """Refusals live `refusal_ttl_s`, everything else `ttl_s`."""

    def ttl_for(decision: CachedDecision) -> float:
        return settings.refusal_ttl_s if decision.refuses else settings.ttl_s

    return ttl_for


__all__ = [
    "SCHEMA_VERSION",
    "BreakerState",
    "CacheSettings",
    "CacheStats",
    "CacheStatsSnapshot",
    "CachedDecision",
    "CallStatus",
    "CircuitBreaker",
    "DecisionCache",
    "EventHook",
    "Guarded",
    "Lookup",
    "MemoryDecisionCache",
    "MemoryRateLimiter",
    "RateDecision",
    "RateLimitStats",
    "RateLimiter",
    "RedisConnection",
    "RedisDecisionCache",
    "RedisRateLimiter",
    "SingleFlight",
    "build_cache",
    "build_rate_limiter",
    "canonical_message",
    "connect",
    "decision_key",
    "decode_decision",
    "encode_decision",
    "get_or_compute",
    "parse_cache_settings",
    "ttl_policy",
]
