"""The composition root: settings in, a ready `Proxy` (every collaborator) out."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from primeguard.config import Settings
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
    telemetry: Telemetry = field(default_factory=Telemetry)
    guards: tuple[Guard, ...] = ()
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    _warmups: list[asyncio.Task[None]] = field(default_factory=list)

    async def aclose(self) -> None:
        for task in self._warmups:
            task.cancel()
        for guard in self.guards:
            await guard.close()
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
    pipeline = Pipeline(registry, templates, settings.routing, decider, judge_factory(settings, templates), telemetry)
    proxy = Proxy(settings, registry, templates, policies, pipeline, telemetry, guards)
    proxy._warmups.append(asyncio.create_task(_warm_up(proxy)))
    return proxy


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
