"""The composition root: settings in, a ready `Proxy` (every collaborator) out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx

from primeguard.cache import (
    CacheSettings,
    RateLimiter,
    build_cache,
    build_rate_limiter,
    connect,
    parse_cache_settings,
)
from primeguard.config import Settings, resolve_secret
from primeguard.decision import Decider
from primeguard.decision_cache import DecisionStore
from primeguard.errors import ConfigError
from primeguard.guards.cascade import CascadeGuard
from primeguard.guards.http_client import make_guard_client
from primeguard.guards.judge_guard import JudgeGuard
from primeguard.guards.policy import PolicyGuard
from primeguard.guards.protocol import Guard, Masker
from primeguard.guards.served import build_guards
from primeguard.guards.settings import (
    GuardSettings,
    InProcessDefinition,
    PiiDefinition,
    parse_guards,
)
from primeguard.guards.thresholds import Threshold
from primeguard.guards.traced import TracedGuard
from primeguard.output_guard import OutputGuard
from primeguard.pipeline import Pipeline
from primeguard.policy import GuardSelection, PolicyBook
from primeguard.routing.judge import JudgeRequest, LLMRouteJudge, RouteJudge
from primeguard.routing.likelihood import LikelihoodRouteJudge
from primeguard.routing.templates import (
    GuidelineSet,
    RouteTemplates,
    load_guidelines,
    load_route_templates,
)
from primeguard.server.judge_guards import check_judge_guards, judge_guard_factory
from primeguard.streaming.events import StreamMode
from primeguard.telemetry.bundle import Telemetry
from primeguard.telemetry.settings import parse_telemetry_settings
from primeguard.telemetry.tracing import inject_headers
from primeguard.upstream.openai_http import shared_client
from primeguard.upstream.protocol import ChoiceScorer
from primeguard.upstream.registry import ModelRegistry, ModelTarget
from primeguard.verdicts import GuardText, TextRole

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
    guards: dict[str, Guard] = field(default_factory=dict)
    guard_client: httpx.AsyncClient | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    _warmups: list[asyncio.Task[None]] = field(default_factory=list)

    async def aclose(self) -> None:
        for task in self._warmups:
            task.cancel()
        for guard in self.guards.values():
            await guard.close()
        if self.guard_client is not None:
            await self.guard_client.aclose()
        await self.store.close()
        await self.limiter.close()
        await self.registry.aclose()
        self.telemetry.shutdown()


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

    async def warm_up(self, target: ModelTarget, guidelines: Iterable[GuidelineSet]) -> None:
        if isinstance(target.upstream, ChoiceScorer):
            for guideline_set in guidelines:
                await self._likelihood.warm_up(JudgeRequest((), guideline_set, target))


def _inprocess_guard(overrides: dict[str, Threshold]) -> Callable[[str, InProcessDefinition], Guard]:
    def build(name: str, definition: InProcessDefinition) -> Guard:
        from primeguard.guards.inprocess import InProcessGuard
        from primeguard.guards.precedents import read_cases

        assets = Path(definition.model_dir) if definition.model_dir else None
        try:
            cases = read_cases(Path(definition.precedents)) if definition.precedents else []
            rules: dict[str, Any] = {rule: None if (level := getattr(definition, rule)) == "off" else level
                     for rule in ("reproduction", "disinformation", "threats")}
            guard = InProcessGuard(
                assets, thresholds=overrides, device=definition.device, precedents=cases,
                vote=definition.vote, escalate_unreadable=definition.escalate_unreadable,
                category_gate=definition.category_gate, gated_categories=definition.gated_categories,
                **rules, **definition.options,
            )
        except (OSError, KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
            raise ConfigError(f"guards.definitions.{name}: cannot load the in-process guard: {exc}") from None
        if not guard.commercial_use:
            log.warning("guards.definitions.%s: %s was trained on non-commercial data"
                        " (CC-BY-NC-4.0): not for commercial use", name, assets)
        return guard

    return build


def _cache_settings(settings: Settings) -> CacheSettings:
    raw_cache = dict(settings.cache)
    try:
        if isinstance(raw_cache.get("url"), str):
            raw_cache["url"] = resolve_secret(raw_cache["url"])
    except ValueError as exc:
        raise ConfigError(f"cache.url: {exc}") from None
    return parse_cache_settings(raw_cache)


def validate_settings(settings: Settings, source: str = "<config>") -> None:
    """Check every section, templates and guideline sets, without connecting to anything."""
    templates = load_route_templates(settings.routing.routes_dir)
    guard_settings = parse_guards(settings.guards, source)
    _check_tenant_guards(settings, guard_settings, source)
    try:
        PolicyBook(settings, templates, load_guidelines(settings.routing.guidelines_dir), guard_settings.tolerance)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    try:
        _cache_settings(settings)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    parse_telemetry_settings(settings.telemetry, source)
    check_judge_guards(settings, guard_settings, list(load_guidelines(settings.routing.guidelines_dir)), source)
    names = {m.model_name for m in settings.model_list}
    if settings.routing.judge_model and settings.routing.judge_model not in names:
        raise ConfigError(f"{source}: routing.judge_model: '{settings.routing.judge_model}' is not in model_list")


def _check_tenant_guards(settings: Settings, guard_settings: GuardSettings, source: str) -> tuple[str, ...]:
    """Names of every guard some tenant or the defaults use; unknown names fail here."""
    names = [*guard_settings.input, *guard_settings.output]
    for i, tenant in enumerate(settings.tenants):
        for side in ("input_guards", "output_guards"):
            chosen = getattr(tenant, side) or ()
            unknown = [n for n in chosen if n not in guard_settings.definitions]
            if unknown:
                raise ConfigError(f"{source}: tenants[{i}].{side}: unknown guard(s) {unknown}; "
                                  "define them under guards.definitions")
            names.extend(chosen)
    return tuple(dict.fromkeys(names))


async def build_proxy(settings: Settings, *, telemetry: Telemetry | None = None) -> Proxy:
    templates = load_route_templates(settings.routing.routes_dir)
    guidelines = load_guidelines(settings.routing.guidelines_dir)
    guard_settings = parse_guards(settings.guards)
    registry = ModelRegistry(settings.model_list, shared_client())
    if settings.routing.judge_model:
        registry.resolve(settings.routing.judge_model)  # fail at start-up, not per request
    telemetry = telemetry or Telemetry()
    guard_client = make_guard_client()
    used = _check_tenant_guards(settings, guard_settings, "<config>")
    _warn_partial_release(guard_settings)
    _warn_idle_maskers(settings, guard_settings)
    check_judge_guards(settings, guard_settings, list(guidelines), "<config>")
    judges = JudgeFactoryImpl(settings, templates)
    guards: dict[str, Guard] = dict(build_guards(
        guard_settings.model_copy(update={"input": used, "output": ()}), guard_client,
        inprocess=_inprocess_guard(guard_settings.threshold_overrides()),
        judge=judge_guard_factory(settings, registry, judges, guidelines, templates.version),
        headers_factory=lambda: dict(inject_headers({})), on_cascade=telemetry.metrics.record_cascade,
        on_failure=telemetry.metrics.record_guard_failure))
    selection = GuardSelection(
        inputs={n: TracedGuard(g, telemetry, TextRole.INPUT) for n, g in guards.items()},
        outputs={n: TracedGuard(g, telemetry, TextRole.OUTPUT) for n, g in guards.items()},
        default_input=guard_settings.input, default_output=guard_settings.output,
        maskers=_maskers(guards, guard_settings))
    policies = PolicyBook(settings, templates, guidelines, guard_settings.tolerance, selection)
    output = OutputGuard(guard_settings.stream, telemetry, frozenset(
        n for n, d in guard_settings.definitions.items() if isinstance(d, PiiDefinition)))
    decider = Decider(settings.routing.on_judge_error, on_judge_failure=telemetry.metrics.record_judge_failure)
    cache_settings = _cache_settings(settings)
    on_event = _cache_events(telemetry, "redis" if cache_settings.url else "memory")
    redis = connect(cache_settings) if cache_settings.url else None  # one pool for cache and limiter
    store = DecisionStore(build_cache(cache_settings, on_event=on_event, connection=redis), cache_settings,
                          templates.version, {n: g.version for n, g in guards.items()}, telemetry)
    limiter = build_rate_limiter(cache_settings, on_event=on_event, connection=redis)
    if cache_settings.url and not await store.cache.ping():  # opens the pool before traffic
        log.warning("decision cache: Redis is not answering; requests bypass it until it does")
    pipeline = Pipeline(registry, templates, settings.routing, decider, judges, store, output, telemetry)
    proxy = Proxy(settings, registry, templates, policies, pipeline, store, limiter, telemetry, guards,
                  guard_client)
    proxy._warmups.append(asyncio.create_task(_warm_up(proxy, judges)))
    return proxy


def _maskers(guards: Mapping[str, Guard], settings: GuardSettings) -> dict[str, Masker]:
    """The `kind: pii` guards with `mask: true`, by name (as input guards they mask first)."""
    found: dict[str, Masker] = {}
    for name, guard in guards.items():
        definition = settings.definitions.get(name)
        if isinstance(definition, PiiDefinition) and definition.mask:
            found[name] = cast(Masker, guard.inner if isinstance(guard, PolicyGuard) else guard)
    return found


def _warn_idle_maskers(settings: Settings, guards: GuardSettings) -> None:
    """`mask: true` acts only where the guard is an input guard: say so where it never is."""
    tenants = settings.tenants
    defaulted = not tenants or any(t.input_guards is None for t in tenants)  # who gets the default
    inputs = {*(guards.input if defaulted else ()), *(n for t in tenants for n in t.input_guards or ())}
    for name, definition in guards.definitions.items():
        if isinstance(definition, PiiDefinition) and definition.mask and name not in inputs:
            log.warning("guards.definitions.%s: mask: true, but no tenant has it as an input guard,"
                        " so nothing is masked", name)


def _warn_partial_release(guards: GuardSettings) -> None:
    """A pattern guard sees a number only once it is whole; hold-back keeps a run of digits
    back until it has ended (`streaming/tail.py`), stream_first lets the start of it out."""
    if guards.stream.mode is StreamMode.HOLD_BACK:
        return
    if any(isinstance(d, PiiDefinition) for d in guards.definitions.values()):
        log.warning("guards.stream: stream_first releases text before a pii guard can see a"
                    " whole number; use hold_back")


def _cache_events(telemetry: Telemetry, backend: str) -> Callable[[str], None]:
    """Count backend failures from the cache's event hook (lookups are counted by the DecisionStore;
    a bypassed read is a miss there, and bypasses show in /admin/status)."""

    def on_event(name: str) -> None:
        if name == "errors":
            telemetry.metrics.record_cache_error(backend)

    return on_event


def _model_guards(guards: Iterable[Guard]) -> Iterator[Guard]:
    """The guards behind policies and cascades, each once per path; judge guards have no
    model of their own to load (a probe would only cost a judge call)."""
    for guard in guards:
        if isinstance(guard, PolicyGuard):
            yield from _model_guards([guard.inner])
        elif isinstance(guard, CascadeGuard):
            yield from _model_guards([guard.first, guard.then])
        elif not isinstance(guard, JudgeGuard):
            yield guard


async def _warm_up(proxy: Proxy, judges: JudgeFactoryImpl) -> None:
    """Load in-process models (and calibrate a local judge) before declaring readiness."""
    try:
        guideline_sets = {p.guidelines.name: p.guidelines for p in proxy.policies.policies().values()}.values()
        judge_model = proxy.settings.routing.judge_model
        # The first check loads a guard's encoder: do it now, without the per-check timeout,
        # not inside a request (where a slow load would fail the guard closed).
        probe = [GuardText("warm-up", TextRole.INPUT)]
        leaves = {id(g): g for g in _model_guards(proxy.guards.values())}.values()
        await asyncio.gather(*(guard.check(probe) for guard in leaves), return_exceptions=True)
        for target in proxy.registry.targets.values():
            warm = getattr(target.upstream, "warm_up", None)
            if warm is not None:
                await warm()
            if judge_model in (None, target.name):
                await judges.warm_up(target, guideline_sets)
    except Exception:
        log.exception("warm-up failed; requests will retry loading")
    finally:
        proxy.ready.set()
