"""The decision step with its cache: look up, or judge once per key and store.

The key covers the tenant, the guideline-set version, the route-template
version, every input guard's version, the judge model and the canonical
conversation, so neither another tenant nor a changed policy can hit an entry.
Concurrent identical requests share one judgement (single-flight).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from primeguard.cache import CacheSettings, DecisionCache, SingleFlight, decision_key, ttl_policy
from primeguard.cache.singleflight import Lookup, fill_once
from primeguard.decision import Decision
from primeguard.judge_request import JudgeRequestView
from primeguard.telemetry import attributes as attr
from primeguard.telemetry.bundle import Telemetry
from primeguard.telemetry.metrics import CacheResult, Step


class DecisionStore:
    """A `DecisionCache` plus single-flight and TTL policy, instrumented."""

    def __init__(self, cache: DecisionCache, settings: CacheSettings, route_templates_version: str,
                 guard_versions: dict[str, str], telemetry: Telemetry) -> None:
        self._cache = cache
        self._flight = SingleFlight()
        self._ttl_for = ttl_policy(settings)
        self._prefix = settings.key_prefix
        self._templates_version = route_templates_version
        self._guard_versions = guard_versions
        self._tel = telemetry
        self._enabled = settings.enabled

    @property
    def cache(self) -> DecisionCache:
        return self._cache

    def key(self, view: JudgeRequestView) -> str:
        return decision_key(
            tenant=view.tenant, guideline_version=view.guidelines_version,
            route_template_version=self._templates_version, guard_versions=self._guard_versions,
            judge_model=view.judge_model, messages=view.messages, offered=view.offered,
            prefix=self._prefix,
        )

    async def decide(self, view: JudgeRequestView, compute: Callable[[], Awaitable[Decision]]) -> Lookup:
        if not self._enabled:
            return Lookup(await compute(), hit=False)
        key = self.key(view)
        with self._tel.step(Step.CACHE_LOOKUP, attr.SPAN_CACHE_LOOKUP) as span:
            cached = await self._cache.get(key)
            span.set_attribute(attr.PRIMEGUARD_CACHE_HIT, cached is not None)
        self._tel.metrics.record_cache_lookup(CacheResult.HIT if cached is not None else CacheResult.MISS)
        if cached is not None:
            return Lookup(cached, hit=True)
        return Lookup(await fill_once(self._cache, self._flight, key, compute, self._ttl_for), hit=False)

    async def close(self) -> None:
        await self._cache.close()
