"""Route selection and re-evaluation: PrimeGuard's two judge calls.

`RouteJudge` is the seam.  `LLMRouteJudge` asks any chat model for the JSON
answer and parses it strictly; `LikelihoodRouteJudge` (in `likelihood.py`)
scores the three labels on a local model, so its answer is valid by
construction.
"""

from __future__ import annotations

import asyncio
import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from primeguard.errors import UpstreamError
from primeguard.routing.hardening import (
    escape_fence_tags,
    fence,
    neutralise,
    new_boundary,
    planted_text,
    render_conversation,
)
from primeguard.routing.parser import (
    JudgeOutputInvalid,
    echoes_planted,
    parse_reevaluation,
    parse_route_selection,
)
from primeguard.routing.templates import GuidelineSet, RouteTemplates
from primeguard.upstream.registry import ModelTarget
from primeguard.upstream.shapes import first_content
from primeguard.verdicts import DecisionSource, Route, RouteDecision


class JudgeUnavailable(Exception):
    """The judge could not answer (timeout or upstream error); `on_judge_error` decides."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class JudgeRequest:
    """Everything a judge call needs; `headers` carries trace context upstream."""

    messages: Sequence[Mapping[str, Any]]
    guidelines: GuidelineSet
    target: ModelTarget
    headers: Mapping[str, str] = field(default_factory=dict)
    #: The request's tools and answer schema (`offered.offered_text`): the judge reads them too.
    offered: str = ""


@dataclass(frozen=True, slots=True)
class Reevaluation:
    """The second call's outcome; `final_response` is None when it did not parse."""

    reevaluation: str
    final_response: str | None


class RouteJudge(Protocol):
    """Chooses a route for the latest user turn, and re-evaluates risky ones."""

    async def select(self, request: JudgeRequest) -> RouteDecision: ...

    async def reevaluate(self, request: JudgeRequest, first: RouteDecision) -> Reevaluation: ...


_SELECT_INSTRUCTION = "Judge the latest user turn of this conversation. Answer with the JSON object only.\n\n"
_REEVAL_INSTRUCTION = "Re-evaluate the latest user turn of this conversation. Answer with the JSON object only.\n\n"


def first_check_text(first: RouteDecision) -> str:
    """The first decision as JSON, escaped like client text (it may quote the user): template
    tokens neutralised, JSON-encoded, fence tags escaped."""
    return escape_fence_tags(json.dumps(
        {
            "system_check_result": neutralise(first.system_check_result),
            "route": first.route.value,
            "system_tip": neutralise(first.system_tip),
        },
        ensure_ascii=True,
    ))


def system_prompt(template: string.Template, guidelines: GuidelineSet, boundary: str, **extra: str) -> str:
    """A judge's system message: the template and the tenant's guidelines, nothing per request.

    The shipped templates use only `$guidelines`, so every request of a tenant sends the
    same system message and an upstream's prefix cache reuses it.  `$boundary` (and
    `$first_check`) are still filled for templates written before; they make it differ.
    """
    return template.safe_substitute(guidelines=guidelines.text, boundary=boundary, **extra)


def selection_messages(templates: RouteTemplates, request: JudgeRequest, instruction: str,
                       conversation: Sequence[Mapping[str, Any]], boundary: str | None = None,
                       offered: str = "") -> list[dict[str, Any]]:
    """Route selection's messages: the cacheable system part, the fenced conversation
    (fenced with a fresh boundary unless one is given) after what the request offers."""
    boundary = boundary or new_boundary()
    system = system_prompt(templates.route_selection, request.guidelines, boundary)
    user = instruction + render_conversation(conversation, boundary, offered)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class LLMRouteJudge:
    """Asks a chat model for PrimeGuard's JSON answers, at temperature 0."""

    def __init__(
        self, templates: RouteTemplates, *, timeout_s: float, max_tokens: int,
        reevaluation_max_tokens: int, json_mode: bool = True,
    ) -> None:
        self._templates = templates
        self._timeout_s = timeout_s
        self._max_tokens = max_tokens
        self._reeval_max_tokens = reevaluation_max_tokens
        self._json_mode = json_mode

    async def _call(self, request: JudgeRequest, messages: list[dict[str, Any]], max_tokens: int) -> str:
        body: dict[str, Any] = {
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_tokens,
            "stream": False,
        }
        if self._json_mode:
            body["response_format"] = {"type": "json_object"}
        try:
            async with asyncio.timeout(self._timeout_s):
                result = await request.target.upstream.complete(body, request.headers)
        except TimeoutError:
            raise JudgeUnavailable("timeout") from None
        except UpstreamError as exc:
            raise JudgeUnavailable("upstream_error") from exc
        return first_content(result)

    async def select(self, request: JudgeRequest) -> RouteDecision:
        messages = selection_messages(self._templates, request, _SELECT_INSTRUCTION, request.messages,
                                      offered=request.offered)
        text = await self._call(request, messages, self._max_tokens)
        try:
            answer = parse_route_selection(text)
        except JudgeOutputInvalid as exc:
            return RouteDecision(Route.POTENTIAL_VIOLATION, f"judge output invalid: {exc}", "", DecisionSource.PARSE_FAILURE)
        if echoes_planted(answer, planted_text(request.messages, request.offered)):
            return RouteDecision(
                Route.POTENTIAL_VIOLATION, "judge echoed a verdict planted in the conversation", "",
                DecisionSource.MANIPULATION,
            )
        return RouteDecision(answer.route, answer.system_check_result, answer.system_tip, DecisionSource.JUDGE)

    async def reevaluate(self, request: JudgeRequest, first: RouteDecision) -> Reevaluation:
        boundary = new_boundary()
        first_check = first_check_text(first)
        system = system_prompt(self._templates.reevaluation, request.guidelines, boundary, first_check=first_check)
        user = (
            _REEVAL_INSTRUCTION
            + fence("first-check", first_check, boundary)
            + "\n\n"
            + render_conversation(request.messages, boundary, request.offered)
        )
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        try:
            text = await self._call(request, messages, self._reeval_max_tokens)
        except JudgeUnavailable as exc:  # the refusal, never an error: the first check already doubted
            return Reevaluation(reevaluation=f"re-evaluation unavailable: {exc.reason}", final_response=None)
        try:
            answer = parse_reevaluation(text)
        except JudgeOutputInvalid as exc:
            return Reevaluation(reevaluation=f"re-evaluation output invalid: {exc}", final_response=None)
        return Reevaluation(reevaluation=answer.reevaluation, final_response=answer.final_response)
