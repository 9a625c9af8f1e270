"""The composition root: settings in, a ready `Proxy` (every collaborator) out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from primeguard.cache import RateLimiter, build_cache, build_rate_limiter, parse_cache_settings
from primeguard.config import Settings, resolve_secret
from primeguard.decision_cache import DecisionStore
from primeguard.errors import ConfigError
from primeguard.telemetry.metrics import CacheResult
from primeguard.decision import Decider
from primeguard.guards.protocol import Guard
from primeguard.pipeline import Pipeline
from primeguard.policy import PolicyBook
from primeguard.routing.judge import LLMRouteJudge, RouteJudge
from primeguard.routing.likelihood import LikelihoodRouteJudge
from primeguard.routing.templates import RouteTemplates, load_guidelines, load_route_templates
from primeguard.telemetry.bundle import Telemetry
from primeguard.upstream.openai_http import shared_client
from primeguard.upstream.protocol import ChoiceScorer
from primeguard.upstream.registry import ModelRegistry, ModelTarget

log = logging.getLogger("primeguard")


@dataclass
class Proxy:
    """Everything a request needs, built once at start-up."""

    settings: Settings
    registry: ModelRegistry
    templates: RouteTemplates
    policies: PolicyBook
    pipeline: Pipeline
    store: DecisionStore
    limiter: RateLimiter
    telemetry: Telemetry = field(default_factory=Telemetry)
    guards: tuple[Guard, ...] = ()
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    _warmups: list[asyncio.Task[None]] = field(default_factory=list)

    async def aclose(self) -> None:
        for task in self._warmups:
            task.cancel()
        for guard in self.guards:
            await guard.close()
        await self.store.close()
        await self.limiter.close()
        await self.registry.aclose()
        self.telemetry.shutdown()


def judge_factory(settings: Settings, templates: RouteTemplates) -> "JudgeFactoryImpl":
    return JudgeFactoryImpl(settings, templates)


class JudgeFactoryImpl:
    """Local models that can score labels get the likelihood judge; all others the JSON judge."""

    def __init__(self, settings: Settings, templates: RouteTemplates) -> None:
        r = settings.routing
        self._llm = LLMRouteJudge(templates, timeout_s=r.judge_timeout_s, max_tokens=r.judge_max_tokens,
                                  reevaluation_max_tokens=r.reevaluation_max_tokens, json_mode=r.judge_json_mode)
        self._likelihood = LikelihoodRouteJudge(templates, timeout_s=r.judge_timeout_s,
                                                reevaluation_max_tokens=r.reevaluation_max_tokens)

    def __call__(self, target: ModelTarget) -> RouteJudge:
        return self._likelihood if isinstance(target.upstream, ChoiceScorer) else self._llm


async def build_proxy(settings: Settings, *, telemetry: Telemetry | None = None,
                      guards: tuple[Guard, ...] = ()) -> Proxy:
    templates = load_route_templates(settings.routing.routes_dir)
    guidelines = load_guidelines(settings.routing.guidelines_dir)
    policies = PolicyBook(settings, templates, guidelines)
    registry = ModelRegistry(settings.model_list, shared_client())
    if settings.routing.judge_model:
        registry.resolve(settings.routing.judge_model)  # fail at start-up, not per request
    decider = Decider(guards, settings.routing.on_judge_error)
    telemetry = telemetry or Telemetry()
    raw_cache = dict(settings.cache)
    try:
        if isinstance(raw_cache.get("url"), str):
            raw_cache["url"] = resolve_secret(raw_cache["url"])
    except ValueError as exc:
        raise ConfigError(f"cache.url: {exc}") from None
    cache_settings = parse_cache_settings(raw_cache)
    on_event = _cache_events(telemetry, "redis" if cache_settings.url else "memory")
    store = DecisionStore(build_cache(cache_settings, on_event=on_event), cache_settings, templates.version,
                          {g.name: g.version for g in guards}, telemetry)
    limiter = build_rate_limiter(cache_settings, on_event=on_event)
    if cache_settings.url and not await store.cache.ping():  # opens the pool before traffic
        log.warning("decision cache: Redis is not answering; requests bypass it until it does")
    pipeline = Pipeline(registry, templates, settings.routing, decider, judge_factory(settings, templates),
                        store, telemetry)
    proxy = Proxy(settings, registry, templates, policies, pipeline, store, limiter, telemetry, guards)
    proxy._warmups.append(asyncio.create_task(_warm_up(proxy)))
    return proxy


def _cache_events(telemetry: Telemetry, backend: str) -> Callable[[str], None]:
    """Count backend failures and bypasses from the cache's event hook."""

    def on_event(name: str) -> None:
        if name == "errors":
            telemetry.metrics.record_cache_error(backend)
        elif name == "bypassed":
            telemetry.metrics.record_cache_lookup(CacheResult.BYPASS)

    return on_event


async def _warm_up(proxy: Proxy) -> None:
    """Load in-process models before declaring readiness."""
    try:
        for target in proxy.registry.targets.values():
            warm = getattr(target.upstream, "warm_up", None)
            if warm is not None:
                await warm()
    except Exception:
        log.exception("warm-up failed; requests will retry loading")
    finally:
        proxy.ready.set()
