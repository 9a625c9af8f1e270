"""The Decider reports judge failures by their reason, as the judge raised it."""

from __future__ import annotations

from typing import Any

import pytest

from primeguard.config import OnJudgeError
from primeguard.decision import Decider
from primeguard.routing.judge import JudgeRequest, JudgeUnavailable
from primeguard.routing.templates import GuidelineSet
from primeguard.telemetry.metrics import JudgeFailure
from primeguard.verdicts import DecisionSource, GuardResult, Route, RouteDecision, Verdict

pytestmark = pytest.mark.anyio


class _Judge:
    def __init__(self, outcome: RouteDecision | Exception) -> None:
        self.outcome = outcome

    async def select(self, request: JudgeRequest) -> RouteDecision:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def _request() -> JudgeRequest:
    target: Any = object()
    return JudgeRequest([{"role": "user", "content": "hi"}], GuidelineSet("g", "rules", "v1"), target)


@pytest.mark.parametrize("outcome,expected", [
    (JudgeUnavailable("timeout"), [JudgeFailure.TIMEOUT]),
    (JudgeUnavailable("upstream_error"), [JudgeFailure.UPSTREAM_ERROR]),
    (RouteDecision(Route.DIRECT_VIOLATION, "unparsable", "", DecisionSource.PARSE_FAILURE),
     [JudgeFailure.PARSE_FAILURE]),
    (RouteDecision(Route.NO_RISK), []),
])
async def test_judge_failures_are_reported_by_reason(outcome: Any, expected: list[JudgeFailure]) -> None:
    seen: list[JudgeFailure] = []
    decider = Decider(OnJudgeError.REFUSE, on_judge_failure=seen.append)
    await decider.decide(_Judge(outcome), _request())  # type: ignore[arg-type]
    assert seen == expected


class _RuledGuard:
    """A guard whose verdict a rule decided: no category, a reason."""

    name, version = "ruled", "v1"

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict

    async def check(self, texts: Any) -> list[GuardResult]:
        reasons = ("asks for a piece presenting a likely false claim as true",)
        return [GuardResult(self.verdict, self.name, self.version, reasons=reasons) for _ in texts]


async def test_the_tip_and_the_check_say_which_rule_decided() -> None:
    decider = Decider(OnJudgeError.REFUSE)
    judged = RouteDecision(Route.NO_RISK, "fine", "", DecisionSource.JUDGE)
    soft = await decider.decide(_Judge(judged), _request(), [_RuledGuard(Verdict.CONTROVERSIAL)])  # type: ignore[arg-type, list-item]
    assert soft.route.route is Route.POTENTIAL_VIOLATION
    assert "a likely false claim as true" in soft.route.system_tip
    assert "unspecified" not in soft.route.system_tip
    hard = await decider.decide(_Judge(judged), _request(), [_RuledGuard(Verdict.UNSAFE)])  # type: ignore[arg-type, list-item]
    assert hard.route.system_check_result == (
        "input guard flagged: asks for a piece presenting a likely false claim as true")
