"""The input-side decision: input guards run concurrently with route selection.

- An `unsafe` input verdict refuses at once and cancels the judge call.
- A `controversial` one forces `potential_violation`, with a tip saying why.
- A judge failure follows `on_judge_error`, and is recorded, never silent.
- A *weak* judge (the tiny local model of the embedded default) may be
  overruled towards no risk when every input guard is confidently safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from primeguard.cache.protocol import CachedDecision
from primeguard.config import OnJudgeError
from primeguard.guards.protocol import Guard
from primeguard.guards.thresholds import Tolerance, worst_under
from primeguard.routing.hardening import message_text
from primeguard.routing.judge import JudgeRequest, JudgeUnavailable, RouteJudge
from primeguard.telemetry.metrics import JudgeFailure
from primeguard.verdicts import (
    DecisionSource,
    GuardResult,
    GuardText,
    Route,
    RouteDecision,
    TextRole,
    Verdict,
)

#: Route selection plus the input guards' verdicts: exactly what the decision cache stores.
Decision = CachedDecision


def latest_turn_texts(messages: Sequence[Mapping[str, Any]]) -> list[GuardText]:
    """The latest user message, plus tool results that arrived after it (indirect injection)."""
    texts: list[GuardText] = []
    for message in reversed(messages):
        role = message.get("role")
        if role == "tool":
            texts.append(GuardText(message_text(message.get("content")), TextRole.INPUT))
        elif role == "user":
            texts.append(GuardText(message_text(message.get("content")), TextRole.INPUT))
            break
        elif role == "assistant" and texts:
            break
    return [t for t in reversed(texts) if t.text.strip()]


#: Below this score on every category a guard verdict may overrule a weak judge's doubt.
CLEAR_SCORE = 0.2


def _clearly_safe(results: Sequence[GuardResult]) -> bool:
    return bool(results) and all(
        r.verdict is Verdict.SAFE and max(r.scores.values(), default=1.0) < CLEAR_SCORE for r in results)


def _categories(results: Sequence[GuardResult]) -> str:
    """The flagged categories, then the rules' reasons (fixed words, never the text)."""
    names = sorted({c.value for r in results for c in r.flagged_categories})
    reasons = list(dict.fromkeys(
        reason for r in results if r.verdict is not Verdict.SAFE for reason in r.reasons))
    return "; ".join(filter(None, [", ".join(names), *reasons])) or "unspecified"


log = logging.getLogger("primeguard.decision")


class Decider:
    """Produces a `Decision` for one conversation."""

    def __init__(self, on_judge_error: OnJudgeError,
                 on_judge_failure: Callable[[JudgeFailure], None] | None = None) -> None:
        self._on_judge_error = on_judge_error
        self._on_judge_failure = on_judge_failure or (lambda failure: None)

    async def _run_guards(self, guards: Sequence[Guard], texts: list[GuardText]) -> tuple[GuardResult, ...]:
        if not guards or not texts:
            return ()
        batches = await asyncio.gather(*(g.check(texts) for g in guards), return_exceptions=True)
        results: list[GuardResult] = []
        for guard, batch in zip(guards, batches, strict=True):
            if isinstance(batch, BaseException):
                # Served guards apply their own fail-open/closed policy; reaching here is a bug.
                log.error("input guard %s failed: %s", guard.name, type(batch).__name__)
                continue
            results.extend(batch)
        return tuple(results)

    def _on_error(self, reason: str, verdicts: tuple[GuardResult, ...]) -> Decision:
        route = Route.DIRECT_VIOLATION if self._on_judge_error is OnJudgeError.REFUSE else Route.NO_RISK
        return Decision(RouteDecision(route, f"judge unavailable: {reason}", "", DecisionSource.JUDGE_ERROR), verdicts)

    async def decide(self, judge: RouteJudge, request: JudgeRequest, guards: Sequence[Guard] = (),
                     tolerance: Tolerance = Tolerance.DEFAULT) -> Decision:
        judge_task = asyncio.create_task(judge.select(request))
        try:
            verdicts = await self._run_guards(guards, latest_turn_texts(request.messages))
            worst = worst_under(verdicts, tolerance)
            if worst is Verdict.UNSAFE:  # the judge is cancelled on the way out
                check = f"input guard flagged: {_categories(verdicts)}"
                return Decision(RouteDecision(Route.DIRECT_VIOLATION, check, "Politely refuse.",
                                              DecisionSource.INPUT_GUARD), verdicts)
            try:
                route = await judge_task
            except JudgeUnavailable as exc:
                self._on_judge_failure(JudgeFailure(exc.reason))  # "timeout" | "upstream_error"
                return self._on_error(exc.reason, verdicts)
            if route.source is DecisionSource.PARSE_FAILURE:
                self._on_judge_failure(JudgeFailure.PARSE_FAILURE)
            if (getattr(judge, "weak", False) and route.route is Route.POTENTIAL_VIOLATION
                    and _clearly_safe(verdicts)):
                # A tiny local judge has little signal; a confident guard clears the request.
                # The answer still carries the guidelines and passes the output guard.
                route = RouteDecision(Route.NO_RISK, route.system_check_result + "; input guards: clearly safe",
                                      "", DecisionSource.INPUT_GUARD)
            if worst is Verdict.CONTROVERSIAL and route.route is Route.NO_RISK:
                tip = (f"An input guard found this request controversial ({_categories(verdicts)}): "
                       "answer with care and withhold anything harmful.")
                route = RouteDecision(Route.POTENTIAL_VIOLATION, route.system_check_result,
                                      (route.system_tip + " " + tip).strip(), DecisionSource.INPUT_GUARD)
            return Decision(route, verdicts)
        finally:
            if not judge_task.done():
                judge_task.cancel()
