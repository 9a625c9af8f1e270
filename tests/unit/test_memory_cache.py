"""The in-process store, the value codec, settings, the breaker and single-flight."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest

from primeguard.cache import (
    BreakerState,
    CachedDecision,
    CacheSettings,
    CallStatus,
    CircuitBreaker,
    DecisionCache,
    MemoryDecisionCache,
    SingleFlight,
    build_cache,
    decode_decision,
    encode_decision,
    get_or_compute,
    parse_cache_settings,
    ttl_policy,
)
from primeguard.errors import ConfigError
from primeguard.verdicts import Category, DecisionSource, GuardResult, Route, RouteDecision, Verdict

ALLOW = CachedDecision(
    route=RouteDecision(Route.NO_RISK, "fine", "answer it", DecisionSource.JUDGE),
    input_guards=(GuardResult(Verdict.SAFE, "minilm", "1", {Category.VIOLENCE: 0.1}),),
)
# A result as the in-process guard gives it: each category's verdict, the overall one, a rule's reason.
DOUBT = CachedDecision(
    route=RouteDecision(Route.POTENTIAL_VIOLATION, "unsure", "re-read it", DecisionSource.JUDGE),
    input_guards=(
        GuardResult(
            Verdict.CONTROVERSIAL,
            "minilm",
            "2",
            {Category.ILLICIT: 0.4, Category.VIOLENCE: 0.7},
            by_category={Category.ILLICIT: Verdict.CONTROVERSIAL, Category.VIOLENCE: Verdict.SAFE},
            uncategorised=Verdict.SAFE,
            reasons=("asks for a work's text whole",),
        ),
        GuardResult(Verdict.SAFE, "promptguard", "1", uncategorised=None),
    ),
)
REFUSE = CachedDecision(route=RouteDecision(Route.DIRECT_VIOLATION, source=DecisionSource.JUDGE))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- memory store ---------------------------------------------------------------


@pytest.mark.anyio
async def test_memory_roundtrip_and_stats() -> None:
    events: list[str] = []
    cache = MemoryDecisionCache(10, on_event=events.append)
    assert isinstance(cache, DecisionCache) and cache.backend == "memory"
    assert await cache.get("k") is None
    await cache.set("k", ALLOW, 60)
    assert await cache.get("k") == ALLOW
    snap = cache.stats.snapshot()
    assert (snap.hits, snap.misses, snap.writes, snap.breaker_state) == (1, 1, 1, "closed")
    assert events == ["misses", "writes", "hits"]
    assert await cache.ping()
    await cache.close()


@pytest.mark.anyio
async def test_memory_ttl_uses_the_injected_monotonic_clock() -> None:
    clock = FakeClock()
    cache = MemoryDecisionCache(10, clock=clock)
    await cache.set("a", ALLOW, 10)
    clock.now += 9.9
    assert await cache.get("a") == ALLOW
    clock.now += 0.2
    assert await cache.get("a") is None
    assert len(cache) == 0  # the expired entry was dropped, not kept
    await cache.set("b", ALLOW, 0)
    assert await cache.get("b") is None and cache.stats.dropped_writes == 1


@pytest.mark.anyio
async def test_memory_lru_evicts_the_least_recently_used() -> None:
    cache = MemoryDecisionCache(3)
    for k in "abc":
        await cache.set(k, ALLOW, 60)
    assert await cache.get("a") == ALLOW  # a is now the most recent
    await cache.set("d", ALLOW, 60)  # evicts b
    assert len(cache) == 3
    assert await cache.get("b") is None
    assert [await cache.get(k) is not None for k in "acd"] == [True, True, True]
    await cache.set("c", REFUSE, 60)  # overwriting refreshes recency without growth
    await cache.set("e", ALLOW, 60)  # evicts a (order now a, d, c)
    assert await cache.get("a") is None and await cache.get("c") == REFUSE


def test_build_cache_without_url_is_memory() -> None:
    cache = build_cache(CacheSettings(max_entries=5))
    assert isinstance(cache, MemoryDecisionCache)


# --- codec ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [ALLOW, REFUSE, DOUBT])
def test_codec_roundtrip(value: CachedDecision) -> None:
    assert decode_decision(encode_decision(value)) == value


def test_a_hit_keeps_what_a_tenant_retune_and_the_tip_read() -> None:
    """Per-category verdicts, the overall verdict and a rule's reasons survive the store, so a
    cached decision re-decides and explains itself as the fresh one did."""
    (first, _) = decode_decision(encode_decision(DOUBT)).input_guards  # type: ignore[union-attr]
    assert first.by_category[Category.ILLICIT] is Verdict.CONTROVERSIAL
    assert first.uncategorised is Verdict.SAFE
    assert first.reasons == ("asks for a work's text whole",)


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({**json.loads(encode_decision(ALLOW)), "v": 0}).encode(),
        json.dumps({**json.loads(encode_decision(ALLOW)), "v": 99}).encode(),
        encode_decision(ALLOW).replace(b'"no_to_minimal_risk"', b'"maybe"'),
        encode_decision(ALLOW)[:-3],
        b"\xff\xfe",
        b"[]",
        b'{"v": 2}',
        json.dumps({**json.loads(encode_decision(DOUBT)), "v": 1}).encode(),
        encode_decision(DOUBT)
        .replace(b'"reasons":["asks', b'"reasons":"asks')
        .replace(b'whole"]', b'whole"'),
        encode_decision(DOUBT).replace(b'"uncategorised":"safe"', b'"uncategorised":"fine"'),
        encode_decision(DOUBT).replace(b'"reasons":["asks', b'"reasons":[null,"asks'),
        json.dumps({**json.loads(encode_decision(DOUBT)), "guards": {}}).encode(),
        encode_decision(ALLOW).replace(b'"system_tip":"', b'"system_tip":null,"x":"'),
        b'{"v":2,"route":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        encode_decision(DOUBT).replace(b'"scores":{"', b'"scores":{"self_harm":1' + b"0" * 400 + b',"'),
        encode_decision(DOUBT).replace(b'"scores":{"', b'"scores":{"self_harm":"nan","'),
        encode_decision(DOUBT).replace(b'"scores":{"', b'"scores":{"self_harm":true,"'),
        encode_decision(DOUBT).replace(b'"scores":{"', b'"scores":{"self_harm":NaN,"'),
    ],
    ids=[
        "v0",
        "v99",
        "unknown-route",
        "truncated",
        "not-utf8",
        "not-object",
        "no-fields",
        "schema-v1",
        "reasons-not-a-list",
        "unknown-verdict",
        "reason-not-a-string",
        "guards-not-a-list",
        "tip-not-a-string",
        "nested-too-deep",
        "score-overflows",
        "score-a-string",
        "score-a-bool",
        "score-nan",
    ],
)
def test_foreign_or_malformed_values_decode_to_none(raw: bytes) -> None:
    assert decode_decision(raw) is None


def test_cacheable_and_refuses() -> None:
    assert ALLOW.cacheable and not ALLOW.refuses
    assert REFUSE.refuses
    unsafe_input = CachedDecision(ALLOW.route, (GuardResult(Verdict.UNSAFE, "g", "1"),))
    assert unsafe_input.refuses
    failed = CachedDecision(
        RouteDecision(Route.DIRECT_VIOLATION, source=DecisionSource.JUDGE_ERROR)
    )
    assert not failed.cacheable


# --- settings -------------------------------------------------------------------


def test_settings_defaults_and_ttl_policy() -> None:
    s = parse_cache_settings({})
    assert (s.url, s.ttl_s, s.refusal_ttl_s, s.op_timeout_ms, s.key_prefix) == (
        None,
        3600,
        600,
        50,
        "pg:",
    )
    ttl_for = ttl_policy(s)
    assert ttl_for(REFUSE) == 600 < ttl_for(ALLOW) == 3600


@pytest.mark.parametrize(
    "url",
    [
        "redis://h:6379/0",
        "rediss://h",
        "unix:///tmp/r.sock",
        "redis+cluster://h:7000",
        "redis+sentinel://h:26379/mymaster",
    ],
)
def test_settings_accept_every_redis_scheme(url: str) -> None:
    assert parse_cache_settings({"url": url}).url == url


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({"url": "memcached://h"}, "cache.url"),
        ({"ttl_s": 0}, "cache.ttl_s"),
        ({"bogus": 1}, "cache.bogus"),
    ],
)
def test_settings_errors_name_the_key(raw: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError, match=where):
        parse_cache_settings(raw)


def test_settings_error_does_not_echo_a_password() -> None:
    with pytest.raises(ConfigError) as info:
        parse_cache_settings({"url": "memcached://user:s3cret@h"})
    assert "s3cret" not in str(info.value)


# --- circuit breaker ------------------------------------------------------------


async def ok() -> str:
    return "ok"


async def boom() -> str:
    raise ConnectionError("down")


@pytest.mark.anyio
async def test_breaker_opens_bypasses_and_recovers_through_a_probe() -> None:
    clock = FakeClock()
    states: list[BreakerState] = []
    breaker = CircuitBreaker(failure_threshold=3, reset_s=5, clock=clock, on_change=states.append)
    probes: list[str] = []

    async def probe() -> None:
        probes.append("ping")

    async def call(op: Callable[[], Awaitable[str]]) -> CallStatus:
        out = await breaker.call(op, timeout_s=1, errors=(ConnectionError,), probe=probe)
        return out.status

    assert [await call(boom) for _ in range(3)] == [CallStatus.FAILED] * 3
    assert breaker.state is BreakerState.OPEN
    assert await call(ok) is CallStatus.BYPASSED
    clock.now += 5
    assert await call(boom) is CallStatus.FAILED  # the half-open trial fails: open again
    assert await call(ok) is CallStatus.BYPASSED
    clock.now += 5
    assert await call(ok) is CallStatus.OK
    assert states[-1] is breaker.state
    assert probes == ["ping", "ping"]  # only trials probe
    open_, half, closed = BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED
    assert states == [open_, half, open_, half, closed]


@pytest.mark.anyio
async def test_breaker_counts_timeouts_and_only_consecutive_failures() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_s=5)

    async def slow() -> str:
        await asyncio.sleep(1)
        return "late"

    out = await breaker.call(slow, timeout_s=0.01, errors=())
    assert out.status is CallStatus.FAILED and out.value is None
    assert (await breaker.call(ok, timeout_s=1, errors=())).value == "ok"
    await breaker.call(slow, timeout_s=0.01, errors=())
    assert breaker.state is BreakerState.CLOSED


@pytest.mark.anyio
async def test_breaker_lets_unexpected_errors_through() -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_s=5)

    async def bug() -> str:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await breaker.call(bug, timeout_s=1, errors=(ConnectionError,))
    assert breaker.state is BreakerState.CLOSED


# --- single-flight --------------------------------------------------------------


@pytest.mark.anyio
async def test_twenty_concurrent_misses_compute_once() -> None:
    cache = MemoryDecisionCache(10)
    flight = SingleFlight()
    calls = 0

    async def compute() -> CachedDecision:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return ALLOW

    ttl = ttl_policy(CacheSettings())
    results = await asyncio.gather(
        *(get_or_compute(cache, flight, "k", compute, ttl) for _ in range(20))
    )
    assert calls == 1 and len(flight) == 0
    assert all(r.decision == ALLOW and not r.hit for r in results)
    again = await get_or_compute(cache, flight, "k", compute, ttl)
    assert again.hit and calls == 1


@pytest.mark.anyio
async def test_uncacheable_decisions_are_not_stored() -> None:
    cache = MemoryDecisionCache(10)
    failed = CachedDecision(
        RouteDecision(Route.DIRECT_VIOLATION, source=DecisionSource.JUDGE_ERROR)
    )

    async def compute() -> CachedDecision:
        return failed

    out = await get_or_compute(cache, SingleFlight(), "k", compute, lambda _: 60)
    assert out.decision == failed and len(cache) == 0


@pytest.mark.anyio
async def test_single_flight_exceptions_reach_every_waiter() -> None:
    flight = SingleFlight()

    async def fail() -> int:
        await asyncio.sleep(0.02)
        raise RuntimeError("judge down")

    results = await asyncio.gather(
        *(flight.do("k", fail) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert len(flight) == 0


@pytest.mark.anyio
async def test_a_cancelled_waiter_does_not_cancel_the_others() -> None:
    flight = SingleFlight()
    started = 0

    async def work() -> str:
        nonlocal started
        started += 1
        await asyncio.sleep(0.05)
        return "done"

    first = asyncio.ensure_future(flight.do("k", work))
    second = asyncio.ensure_future(flight.do("k", work))
    await asyncio.sleep(0.01)
    first.cancel()
    assert await second == "done" and started == 1
    assert first.cancelled() and len(flight) == 0


@pytest.mark.anyio
async def test_the_last_waiter_leaving_cancels_the_work() -> None:
    flight = SingleFlight()
    finished = False

    async def work() -> str:
        nonlocal finished
        await asyncio.sleep(1)
        finished = True
        return "done"

    waiter = asyncio.ensure_future(flight.do("k", work))
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.sleep(0)
    assert len(flight) == 0 and not finished
