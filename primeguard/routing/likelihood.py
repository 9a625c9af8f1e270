"""A judge for small local models: the route is chosen by likelihood.

A 135M-parameter model rarely writes valid JSON, so instead of parsing its
output we score the three route labels as continuations of `{"route": "`
and take the most likely one.  Its answer is valid by construction.

Small models carry a strong prior for some labels whatever the input, so the
scores are calibrated (Zhao et al., 2021, "Calibrate before use"): the label
log-likelihoods for a content-free conversation are subtracted first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, cast

from primeguard.errors import UpstreamError
from primeguard.routing.hardening import new_boundary
from primeguard.routing.judge import (
    JudgeRequest,
    JudgeUnavailable,
    Reevaluation,
    selection_messages,
)
from primeguard.routing.templates import RouteTemplates
from primeguard.upstream.protocol import ChoiceScorer
from primeguard.upstream.shapes import first_content
from primeguard.verdicts import DecisionSource, Route, RouteDecision

_PREFIX = '{"route": "'
_CHOICES = {route: route.value + '"' for route in Route}
_CONTENT_FREE: Sequence[Mapping[str, Any]] = ({"role": "user", "content": "N/A"},)
_CAUTIOUS_TIP = "Answer only the parts that comply with the guidelines and briefly decline the rest."


class LikelihoodRouteJudge:
    """Route selection by label likelihood on a `ChoiceScorer` upstream."""

    #: Small local models carry little signal; confident input guards may overrule their doubt.
    weak = True

    def __init__(self, templates: RouteTemplates, *, timeout_s: float, reevaluation_max_tokens: int) -> None:
        self._templates = templates
        self._timeout_s = timeout_s
        self._reeval_max_tokens = reevaluation_max_tokens
        self._priors: dict[str, dict[str, float]] = {}
        # One secret fence per process, not one per request: the label scores of a small
        # model move with the random characters of a fresh boundary (the same request flipped
        # between potential and direct violation), and the calibration prior only cancels
        # the prompt's bias when it is scored on the same prompt.  Nothing this judge scores
        # is ever shown to a client, so the boundary stays as unguessable as before.
        self._boundary = new_boundary()

    def _messages(self, request: JudgeRequest, conversation: Sequence[Mapping[str, Any]],
                  offered: str) -> list[dict[str, Any]]:
        instruction = "Judge the latest user turn of this conversation.\n\n"
        return selection_messages(self._templates, request, instruction, conversation, self._boundary, offered)

    async def _score(self, request: JudgeRequest, conversation: Sequence[Mapping[str, Any]],
                     offered: str = "") -> dict[str, float]:
        scorer = cast(ChoiceScorer, request.target.upstream)
        try:
            async with asyncio.timeout(self._timeout_s):
                return await scorer.score_choices(
                    self._messages(request, conversation, offered), _PREFIX, list(_CHOICES.values())
                )
        except TimeoutError:
            raise JudgeUnavailable("timeout") from None
        except UpstreamError as exc:
            raise JudgeUnavailable("upstream_error") from exc

    async def _prior(self, request: JudgeRequest) -> dict[str, float]:
        key = f"{request.target.name}:{request.guidelines.version}"  # each model has its own bias
        if key not in self._priors:
            self._priors[key] = await self._score(request, _CONTENT_FREE)
        return self._priors[key]

    async def warm_up(self, request: JudgeRequest) -> None:
        """Compute the calibration prior ahead of traffic (one label scoring per guideline set)."""
        await self._prior(request)

    async def select(self, request: JudgeRequest) -> RouteDecision:
        prior = await self._prior(request)
        scores = await self._score(request, request.messages, request.offered)
        calibrated = {route: scores[c] - prior.get(c, 0.0) for route, c in _CHOICES.items()}
        route = max(calibrated, key=lambda r: calibrated[r])
        check = "label likelihood: " + ", ".join(f"{r.value}={v:+.2f}" for r, v in calibrated.items())
        tip = {
            Route.NO_RISK: "",
            Route.POTENTIAL_VIOLATION: _CAUTIOUS_TIP,
            Route.DIRECT_VIOLATION: "Politely refuse.",
        }[route]
        return RouteDecision(route, check, tip, DecisionSource.JUDGE)

    async def reevaluate(self, request: JudgeRequest, first: RouteDecision) -> Reevaluation:
        """A small model cannot write the JSON: it answers under a cautious system prompt."""
        system = self._templates.answer_system.safe_substitute(
            guidelines=request.guidelines.text, tip_section=f"Tip: {_CAUTIOUS_TIP}"
        )
        body: dict[str, Any] = {
            "messages": [{"role": "system", "content": system}, *request.messages],
            "temperature": 0,
            "max_tokens": self._reeval_max_tokens,
        }
        try:
            async with asyncio.timeout(self._timeout_s):
                result = await request.target.upstream.complete(body, request.headers)
        except (TimeoutError, UpstreamError):
            return Reevaluation("local re-evaluation failed", None)
        content = first_content(result)
        if not content.strip():
            return Reevaluation("local re-evaluation was empty", None)
        return Reevaluation("answered under a cautious system prompt (local model)", content)
