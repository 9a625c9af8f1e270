"""`kind: judge` guards: a route judge, a model and a guideline set, bound into a `Guard`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from primeguard.config import Settings
from primeguard.errors import ConfigError
from primeguard.guards.judge_guard import JudgeGuard
from primeguard.guards.protocol import Guard, GuardUnavailable
from primeguard.guards.settings import CascadeDefinition, GuardSettings, JudgeDefinition
from primeguard.routing.judge import JudgeRequest, JudgeUnavailable, RouteJudge
from primeguard.routing.templates import GuidelineSet
from primeguard.telemetry.tracing import inject_headers
from primeguard.upstream.registry import ModelRegistry, ModelTarget
from primeguard.verdicts import RouteDecision

#: The calling tenant's guideline set, set by the endpoints once the key is known; a judge
#: guard without `guidelines` of its own judges against it (tasks inherit it).
TENANT_GUIDELINES: ContextVar[GuidelineSet | None] = ContextVar("tenant_guidelines", default=None)
#: Without a tenant (a direct call, a test), such a guard judges against this set.
FALLBACK_GUIDELINES = "default"


def judge_model(definition: JudgeDefinition, settings: Settings) -> str | None:
    return definition.model or settings.routing.judge_model


def output_guard_names(settings: Settings, guard_settings: GuardSettings) -> set[str]:
    """Every guard that may judge a reply: the default output guards, tenants' own, and
    the stages of any cascade among them."""
    names = set(guard_settings.output)
    for tenant in settings.tenants:
        names.update(tenant.output_guards or ())
    for name in list(names):
        definition = guard_settings.definitions.get(name)
        if isinstance(definition, CascadeDefinition):
            names.update((definition.first, definition.then))
    return names


def check_judge_guards(
    settings: Settings, guard_settings: GuardSettings, guidelines: Sequence[str], source: str
) -> None:
    """Each judge guard names a model of `model_list` and a guideline set, and no reply
    goes to one (the route prompt judges the latest user turn)."""
    models = {m.model_name for m in settings.model_list}
    for name, definition in guard_settings.definitions.items():
        if not isinstance(definition, JudgeDefinition):
            continue
        where = f"{source}: guards.definitions.{name}"
        model = judge_model(definition, settings)
        if model is None:
            raise ConfigError(f"{where}.model: required when routing.judge_model is not set")
        if model not in models:
            raise ConfigError(f"{where}.model: '{model}' is not in model_list")
        wanted = definition.guidelines or FALLBACK_GUIDELINES
        if wanted not in guidelines:
            field = "guidelines" if definition.guidelines else "guidelines (default: the tenant's, else)"
            raise ConfigError(f"{where}.{field}: unknown guideline set '{wanted}'"
                              f" (have: {', '.join(sorted(guidelines))})")
    for name in sorted(output_guard_names(settings, guard_settings)):
        if isinstance(guard_settings.definitions.get(name), JudgeDefinition):
            raise ConfigError(f"{source}: guard '{name}' is a judge guard: it judges requests,"
                              " not replies, so it cannot check output")


def judge_guard_factory(
    settings: Settings,
    registry: ModelRegistry,
    judges: Callable[[ModelTarget], RouteJudge],
    guidelines: Mapping[str, GuidelineSet],
    templates_version: str,
) -> Callable[[str, JudgeDefinition], Guard]:
    def build(name: str, definition: JudgeDefinition) -> Guard:
        model = judge_model(definition, settings)
        fixed = guidelines.get(definition.guidelines or "")
        fallback = guidelines.get(FALLBACK_GUIDELINES)
        if model is None or (fixed or fallback) is None:
            raise ConfigError(f"guards.definitions.{name}: no judge model or guideline set")
        target = registry.resolve(model)
        judge = judges(target)

        async def select(messages: Sequence[Mapping[str, Any]]) -> RouteDecision:
            guideline_set = fixed or TENANT_GUIDELINES.get() or fallback
            assert guideline_set is not None
            request = JudgeRequest(messages, guideline_set, target, inject_headers({}))
            try:
                return await judge.select(request)
            except JudgeUnavailable as exc:
                raise GuardUnavailable(f"guard {name!r}: judge {exc.reason}") from exc

        # The model, the guidelines and the route templates all change the verdicts (a
        # tenant's own set is in the decision cache's key already).
        spec = json.dumps([definition.default_version(name), model,
                           fixed.version if fixed else "tenant", templates_version])
        version = f"{name}:{hashlib.sha256(spec.encode()).hexdigest()[:12]}"
        return JudgeGuard(name=name, version=version, select=select,
                          max_concurrency=definition.max_concurrency)

    return build
