"""The request path, end to end.

    authenticate ─▶ rate limit ─▶ tenant policy ─▶ [mask personal data]
        ─▶ decision (cache ─▶ input guards ∥ route selection)
        ─▶ no risk:            upstream answer (guidelines + tip), streamed through the output guard
        ─▶ potential:          re-evaluation ─▶ final_response, or the refusal if it did not parse
        ─▶ direct violation:   refusal template, no LLM call

Each step is one named call inside one span.  Everything below this module is
a step; everything above it (server/) is HTTP.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from primeguard.answer import Prefetch, guarded_body
from primeguard.config import RoutingSettings
from primeguard.decision import Decider, Decision
from primeguard.decision_cache import DecisionStore
from primeguard.judge_request import JudgeRequestView
from primeguard.masking import mask_request
from primeguard.output_guard import OutputGuard
from primeguard.policy import Policy
from primeguard.protocol.chat import ChatCompletionRequest, completion_body, text_chunks
from primeguard.routing.hardening import latest_user_text
from primeguard.routing.judge import JudgeRequest, RouteJudge
from primeguard.routing.offered import offered_text
from primeguard.routing.templates import RouteTemplates
from primeguard.steps import JudgeFactory, primed, stream_of
from primeguard.telemetry import attributes as attr
from primeguard.telemetry.bundle import Telemetry
from primeguard.telemetry.metrics import Step
from primeguard.telemetry.tracing import capture_prompt, route_attributes
from primeguard.upstream.protocol import Body
from primeguard.upstream.registry import ModelRegistry, ModelTarget
from primeguard.verdicts import Route, RouteDecision


@dataclass(frozen=True, slots=True)
class ChatResult:
    """What the server sends: a body, or chunks for SSE, plus the decision behind it."""

    decision: Decision
    route: Route  # the route enforced (no_to_minimal_risk in shadow mode)
    cache_hit: bool = False
    guard_ms: float = 0.0  # time spent deciding (cache, input guards, judge), not answering
    body: Body | None = None
    chunks: AsyncIterator[Body] | None = None
    reevaluation: str | None = None


class Pipeline:
    def __init__(self, registry: ModelRegistry, templates: RouteTemplates, routing: RoutingSettings,
                 decider: Decider, judge_for: JudgeFactory, store: DecisionStore, output: OutputGuard,
                 telemetry: Telemetry) -> None:
        self._registry = registry
        self._templates = templates
        self._routing = routing
        self._decider = decider
        self._judge_for = judge_for
        self._store = store
        self._output = output
        self._tel = telemetry

    async def chat(self, raw: dict[str, Any], request: ChatCompletionRequest, policy: Policy) -> ChatResult:
        """One chat request through the whole flow.  Upstream calls carry the current trace
        context themselves (`inject_headers`), so nothing here threads headers through."""
        if policy.maskers:  # before anything reads the request, the cache key included
            with self._tel.step(Step.MASKING, attr.SPAN_MASKING) as span:
                masked = await mask_request(raw, policy.maskers)
                span.set_attribute(attr.PRIMEGUARD_MASKED, masked is not raw)
            raw = masked
        if self._tel.tracing.capture_content and policy.capture_content:  # both opted in
            capture_prompt(latest_user_text(raw["messages"]))
        target = self._registry.resolve(request.model)
        judge_target = self._registry.resolve(self._routing.judge_model) if self._routing.judge_model else target
        judge = self._judge_for(judge_target)
        # Tools and answer schema: instructions the judge reads too, unless turned off.
        offered = offered_text(raw) if self._routing.judge_tools else ""
        judge_request = JudgeRequest(raw["messages"], policy.guidelines, judge_target, offered=offered)
        speculative = self._speculate(raw, request, policy, target) if self._routing.speculative else None
        route: Route | None = None
        try:
            view = JudgeRequestView(policy.tenant, policy.decision_version,
                                    judge_target.name, raw["messages"], offered)
            started = time.perf_counter()
            lookup = await self._store.decide(view, lambda: self._select(judge, judge_request, policy))
            guard_ms = (time.perf_counter() - started) * 1000.0
            decision = lookup.decision
            route = Route.NO_RISK if policy.shadow else decision.route.route
            if route is Route.NO_RISK:
                result = await self._answer(raw, request, policy, target, decision, speculative)
            elif route is Route.DIRECT_VIOLATION:
                result = self._refuse(request, policy, decision)
            else:
                result = await self._reevaluate(judge, judge_request, request, policy, decision)
            return replace(result, cache_hit=lookup.hit, guard_ms=guard_ms)
        finally:
            if speculative is not None and route is not Route.NO_RISK:
                await speculative.cancel()

    async def _select(self, judge: RouteJudge, judge_request: JudgeRequest, policy: Policy) -> Decision:
        with self._tel.step(Step.ROUTE_SELECTION, attr.SPAN_ROUTE_SELECTION) as span:
            decision = await self._decider.decide(judge, judge_request, policy.input_guards, policy.tolerance)
            span.set_attributes(route_attributes(decision.route))
        return decision

    def _speculate(self, raw: dict[str, Any], request: ChatCompletionRequest, policy: Policy,
                   target: ModelTarget) -> Prefetch:
        """Start the direct answer now; it is released only on the no-risk route."""
        body = self._answer_body(raw, policy, None)
        return Prefetch(target.upstream, {**body, "stream": request.stream}, None,
                        stream=request.stream)

    async def _answer(self, raw: dict[str, Any], request: ChatCompletionRequest, policy: Policy,
                      target: ModelTarget, decision: Decision,
                      speculative: Prefetch | None) -> ChatResult:
        """No risk: the upstream answers under the guidelines; the output guard watches it."""
        body = self._answer_body(raw, policy, decision.route) if speculative is None else raw
        prompt, route = latest_user_text(raw["messages"]), Route.NO_RISK
        with self._tel.step(Step.UPSTREAM, attr.SPAN_UPSTREAM, {attr.PRIMEGUARD_SPECULATIVE: bool(speculative)}):
            if request.stream:
                source = speculative.release() if speculative else target.upstream.stream(body)
                chunks = await primed(source)
            else:
                answer = await (speculative.result() if speculative else
                                target.upstream.complete(body))
        if request.stream:
            if not policy.shadow:  # shadow tenants are judged and counted, never cut
                chunks = self._output.guard_stream(policy.output_guards, chunks, prompt, policy.tolerance,
                                                   policy.tenant)
            return ChatResult(decision, route, chunks=chunks)
        if not policy.shadow:
            answer = await self._output.check_body(policy.output_guards, answer, prompt, policy.tolerance,
                                                   policy.refusal, policy.tenant)
        return ChatResult(decision, route, body=answer)

    def _answer_body(self, raw: dict[str, Any], policy: Policy, route: RouteDecision | None) -> Body:
        """The client's body with the guidelines (and the judge's tip) before its messages; shadow: as is."""
        return raw if policy.shadow else guarded_body(raw, self._templates, policy.guidelines.text, route)

    def _refuse(self, request: ChatCompletionRequest, policy: Policy, decision: Decision,
                reevaluation: str | None = None, finish_reason: str = "stop") -> ChatResult:
        return _written(request, policy.refusal, decision, decision.route.route, reevaluation, finish_reason)

    async def _reevaluate(self, judge: RouteJudge, judge_request: JudgeRequest, request: ChatCompletionRequest,
                          policy: Policy, decision: Decision) -> ChatResult:
        with self._tel.step(Step.REEVALUATION, attr.SPAN_REEVALUATION):
            outcome = await judge.reevaluate(judge_request, decision.route)
        if outcome.final_response is None:
            return self._refuse(request, policy, decision, outcome.reevaluation)
        prompt = latest_user_text(judge_request.messages)
        if not await self._output.check_text(policy.output_guards, outcome.final_response, prompt, policy.tolerance):
            return self._refuse(request, policy, decision, outcome.reevaluation, finish_reason="content_filter")
        return _written(request, outcome.final_response, decision, Route.POTENTIAL_VIOLATION, outcome.reevaluation)


def _written(request: ChatCompletionRequest, text: str, decision: Decision, route: Route,
             reevaluation: str | None, finish_reason: str = "stop") -> ChatResult:
    """A completion the proxy wrote itself (refusal or re-evaluated answer), streamed or whole."""
    if request.stream:
        chunks = stream_of(text_chunks(request.model, text, n=request.n, finish_reason=finish_reason))
        return ChatResult(decision, route, chunks=chunks, reevaluation=reevaluation)
    body = completion_body(request.model, text, n=request.n, finish_reason=finish_reason)
    return ChatResult(decision, route, body=body, reevaluation=reevaluation)
