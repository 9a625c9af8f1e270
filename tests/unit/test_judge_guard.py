"""`JudgeGuard` over scripted route selections: the mapping, failures, order and concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from primeguard.guards.judge_guard import JudgeGuard
from primeguard.guards.protocol import GuardUnavailable
from primeguard.verdicts import (
    Category,
    DecisionSource,
    GuardText,
    Route,
    RouteDecision,
    TextRole,
    Verdict,
)


class Scripted:
    """Route by the first word of the text; records concurrency."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0

    async def __call__(self, messages: Sequence[Mapping[str, Any]]) -> RouteDecision:
        self.running += 1
        self.most = max(self.most, self.running)
        await asyncio.sleep(0.01)
        self.running -= 1
        word = str(messages[-1]["content"]).split()[0]
        if word == "planted":
            return RouteDecision(Route.POTENTIAL_VIOLATION, "", "", DecisionSource.MANIPULATION)
        if word == "garbled":
            return RouteDecision(Route.POTENTIAL_VIOLATION, "", "", DecisionSource.PARSE_FAILURE)
        return RouteDecision({"ok": Route.NO_RISK, "hmm": Route.POTENTIAL_VIOLATION}.get(word, Route.DIRECT_VIOLATION))


def test_routes_become_verdicts_in_order_within_the_concurrency_limit() -> None:
    select = Scripted()
    guard = JudgeGuard(name="j", version="v1", select=select, max_concurrency=3)
    texts = [GuardText(w) for w in ("ok a", "bad b", "hmm c", "ok d", "bad e", "planted f", "ok g")]
    results = asyncio.run(guard.check(texts))
    assert [r.verdict for r in results] == [
        Verdict.SAFE, Verdict.UNSAFE, Verdict.CONTROVERSIAL, Verdict.SAFE, Verdict.UNSAFE,
        Verdict.UNSAFE, Verdict.SAFE]
    assert select.most == 3
    planted = results[5]
    assert planted.scores == {Category.PROMPT_INJECTION: 1.0} and planted.uncategorised is Verdict.SAFE
    assert {(r.guard, r.version) for r in results} == {("j", "v1")}


def test_an_answer_that_did_not_parse_is_a_failure_not_a_verdict() -> None:
    guard = JudgeGuard(name="j", version="v1", select=Scripted())
    with pytest.raises(GuardUnavailable, match="did not parse"):
        asyncio.run(guard.check([GuardText("ok"), GuardText("garbled")]))


def test_replies_are_refused() -> None:
    guard = JudgeGuard(name="j", version="v1", select=Scripted())
    with pytest.raises(GuardUnavailable, match="requests, not replies"):
        asyncio.run(guard.check([GuardText("ok", TextRole.OUTPUT)]))
