"""The routing judge as a guard: PrimeGuard's route selection, asked about one input at a time.

The chat path already combines the two: an input guard's `controversial`
forces the judge's re-evaluation.  `/v1/moderations` has no judge, so a
MiniLM head decides alone there.  This guard puts the judge behind the
`Guard` seam, so a cascade can send the texts the head is unsure of to the
tenant's own LLM under its guidelines:

    minilm (every text) --controversial--> judge (route selection) --> verdict

    no_to_minimal_risk -> safe;  potential_violation -> controversial;
    direct_violation -> unsafe

A judge answer that did not parse is a failure (the guard's fail mode
decides), not a verdict; a verdict the conversation planted is treated as
manipulation: unsafe, scored as prompt injection (the text was written to make
the judge clear it, and did).  The guard judges
requests: the route prompt asks how to handle the latest user turn, so a
reply is never given to it (config validation keeps it off `output`).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from primeguard.guards.http_client import gather_limited
from primeguard.guards.protocol import GuardUnavailable
from primeguard.verdicts import (
    VERDICT_SCORES,
    Category,
    DecisionSource,
    GuardResult,
    GuardText,
    Route,
    RouteDecision,
    TextRole,
    Verdict,
)

#: Route selection over a conversation; raises `GuardUnavailable` when the judge cannot answer.
SelectRoute = Callable[[Sequence[Mapping[str, Any]]], Awaitable[RouteDecision]]

ROUTE_VERDICTS: Mapping[Route, Verdict] = {
    Route.NO_RISK: Verdict.SAFE,
    Route.POTENTIAL_VIOLATION: Verdict.CONTROVERSIAL,
    Route.DIRECT_VIOLATION: Verdict.UNSAFE,
}


class JudgeGuard:
    """`Guard` over a route-selection function (the proxy builds it from a judge model)."""

    def __init__(
        self, *, name: str, version: str, select: SelectRoute, max_concurrency: int = 8
    ) -> None:
        self.name = name
        self.version = version
        self._select = select
        self._concurrency = max_concurrency

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
        if any(t.role is not TextRole.INPUT for t in texts):
            raise GuardUnavailable(
                f"guard {self.name!r}: a judge guard judges requests, not replies"
            )
        calls = [functools.partial(self._judge, t.text) for t in texts]
        return await gather_limited(calls, self._concurrency)

    async def _judge(self, text: str) -> GuardResult:
        decision = await self._select(({"role": "user", "content": text},))
        if decision.source is DecisionSource.PARSE_FAILURE:
            raise GuardUnavailable(f"guard {self.name!r}: the judge's answer did not parse")
        if decision.source is DecisionSource.MANIPULATION:
            return GuardResult(
                verdict=Verdict.UNSAFE,
                guard=self.name,
                version=self.version,
                scores={Category.PROMPT_INJECTION: VERDICT_SCORES[Verdict.UNSAFE]},
                by_category={Category.PROMPT_INJECTION: Verdict.UNSAFE},
                uncategorised=Verdict.SAFE,
            )
        verdict = ROUTE_VERDICTS[decision.route]
        return GuardResult(
            verdict=verdict, guard=self.name, version=self.version, uncategorised=verdict
        )

    async def close(self) -> None:
        """Nothing to release: the judge's upstream belongs to the proxy."""
