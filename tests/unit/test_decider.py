"""The Decider reports judge failures by their reason, as the judge raised it."""

from __future__ import annotations

from typing import Any

import pytest

from primeguard.config import OnJudgeError
from primeguard.decision import Decider
from primeguard.routing.judge import JudgeRequest, JudgeUnavailable
from primeguard.routing.templates import GuidelineSet
from primeguard.telemetry.metrics import JudgeFailure
from primeguard.verdicts import DecisionSource, Route, RouteDecision

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
