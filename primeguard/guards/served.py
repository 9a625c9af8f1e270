"""From the `guards:` config to ready `Guard` objects, each wrapped in its failure policy.

client = make_guard_client()
guards = build_guards(settings, client, inprocess=my_inprocess_factory, judge=my_judge_factory)
input_guards = [guards[n] for n in settings.input]
...
await close_guards(guards); await client.aclose()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from primeguard.errors import ConfigError
from primeguard.guards.cascade import CascadeGuard
from primeguard.guards.cascade_config import stages_timeout
from primeguard.guards.categories import default_tei_labels
from primeguard.guards.chat_guard import ChatGuard
from primeguard.guards.http_client import HeadersFactory, make_guard_client
from primeguard.guards.policy import FailureEvent, PolicyGuard, resilient
from primeguard.guards.protocol import Guard
from primeguard.guards.settings import (
    CascadeDefinition,
    ChatDefinition,
    GuardDefinition,
    GuardSettings,
    InProcessDefinition,
    JudgeDefinition,
    PiiDefinition,
    TEIDefinition,
    ThresholdPair,
)
from primeguard.guards.tei import TEIClassifierGuard
from primeguard.guards.tenant import overrides_digest
from primeguard.verdicts import Category

__all__ = [
    "build_guards",
    "build_served_guard",
    "close_guards",
    "make_guard_client",
    "make_served_guard",
]

InProcessFactory = Callable[[str, InProcessDefinition], Guard]
JudgeGuardFactory = Callable[[str, JudgeDefinition], Guard]


def make_served_guard(
    name: str,
    definition: TEIDefinition | ChatDefinition,
    client: httpx.AsyncClient,
    *,
    thresholds: Mapping[Category, ThresholdPair] | None = None,
    headers_factory: HeadersFactory | None = None,
) -> Guard:
    """The bare served guard, without its failure policy."""
    version = definition.default_version(name)
    if isinstance(definition, TEIDefinition):
        if definition.version is None and thresholds:  # the global cut-offs decide too
            version = f"{version}+g{overrides_digest(thresholds)}"
        labels = definition.labels
        return TEIClassifierGuard(
            name=name,
            url=definition.url,
            client=client,
            version=version,
            labels=default_tei_labels(definition.positive_category) if labels is None else labels,
            thresholds={**(thresholds or {}), **definition.thresholds},
            timeout_s=definition.timeout_s,
            max_batch_size=definition.max_batch_size,
            max_concurrency=definition.max_concurrency,
            api_key=definition.api_key,
            headers_factory=headers_factory,
            coalesce_ms=definition.coalesce_ms,
        )
    return ChatGuard(
        name=name,
        url=definition.url,
        model=definition.model,
        parser=definition.format,
        client=client,
        version=version,
        timeout_s=definition.timeout_s,
        max_tokens=definition.max_tokens,
        max_concurrency=definition.max_concurrency,
        api_key=definition.api_key,
        headers_factory=headers_factory,
    )


def build_served_guard(
    name: str,
    definition: GuardDefinition,
    client: httpx.AsyncClient,
    *,
    thresholds: Mapping[Category, ThresholdPair] | None = None,
    headers_factory: HeadersFactory | None = None,
    on_failure: Callable[[FailureEvent], None] | None = None,
) -> PolicyGuard:
    """A `tei` or `chat` guard wrapped in its deadline, breaker and fail mode."""
    if isinstance(
        definition, (InProcessDefinition, JudgeDefinition, CascadeDefinition, PiiDefinition)
    ):
        raise ConfigError(
            f"guards.definitions.{name}: kind {definition.kind} is not a served guard"
        )
    guard = make_served_guard(
        name, definition, client, thresholds=thresholds, headers_factory=headers_factory
    )
    return wrap(name, guard, definition, on_failure)


def wrap(
    name: str,
    guard: Guard,
    definition: GuardDefinition,
    on_failure: Callable[[FailureEvent], None] | None = None,
    *,
    timeout_s: float | None = None,
) -> PolicyGuard:
    """Apply a definition's failure policy to any guard (in-process ones too)."""
    return resilient(
        guard,
        fail_mode=definition.fail_mode,
        timeout_s=timeout_s or definition.timeout_s,
        breaker=definition.breaker,
        on_failure=on_failure,
    )


def build_guards(
    settings: GuardSettings,
    client: httpx.AsyncClient,
    *,
    inprocess: InProcessFactory | None = None,
    judge: JudgeGuardFactory | None = None,
    headers_factory: HeadersFactory | None = None,
    on_failure: Callable[[FailureEvent], None] | None = None,
    on_cascade: Callable[[str, int, int], None] | None = None,
) -> dict[str, PolicyGuard]:
    """Every guard named in `input` or `output`, by name, each behind its own policy.

    A cascade's stages are built once each, shared with any direct use of them."""
    built: dict[str, PolicyGuard] = {}

    def build(name: str) -> PolicyGuard:
        if name in built:
            return built[name]
        definition = settings.definitions[name]
        if isinstance(definition, CascadeDefinition):
            cascade = CascadeGuard(
                name,
                build(definition.first),
                build(definition.then),
                definition.escalate,
                version=definition.version,
                on_check=on_cascade,
                escalate_failures=definition.escalate_failures,
            )
            timeout = definition.timeout_s or stages_timeout(definition, settings.definitions)
            guard = wrap(name, cascade, definition, on_failure, timeout_s=timeout)
        elif isinstance(definition, InProcessDefinition):
            if inprocess is None:
                raise ConfigError(
                    f"guards.definitions.{name}: no in-process guard factory was given"
                )
            guard = wrap(name, inprocess(name, definition), definition, on_failure)
        elif isinstance(definition, PiiDefinition):
            from primeguard.guards.pii import PiiGuard

            guard = wrap(name, PiiGuard(name, definition, on_failure), definition, on_failure)
        elif isinstance(definition, JudgeDefinition):
            if judge is None:
                raise ConfigError(f"guards.definitions.{name}: no judge guard factory was given")
            guard = wrap(name, judge(name, definition), definition, on_failure)
        else:
            guard = build_served_guard(
                name,
                definition,
                client,
                thresholds=settings.thresholds,
                headers_factory=headers_factory,
                on_failure=on_failure,
            )
        built[name] = guard
        return guard

    return {name: build(name) for name in dict.fromkeys((*settings.input, *settings.output))}


async def close_guards(guards: Mapping[str, Guard]) -> None:
    """Close each guard once (the shared client is closed by its owner)."""
    for guard in guards.values():
        await guard.close()
