"""The likelihood judge (small local models): one fence for its prompts, so the same
conversation always gets the same route and the prior is scored on the same prompt."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

from primeguard.config import DEFAULT_GUIDELINES_DIR, DEFAULT_ROUTES_DIR
from primeguard.routing.judge import JudgeRequest
from primeguard.routing.likelihood import LikelihoodRouteJudge
from primeguard.routing.templates import load_guidelines, load_route_templates
from primeguard.upstream.registry import ModelTarget


class PromptSensitiveScorer:
    """Scores that move with every character of the prompt, as a small model's do."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    async def score_choices(self, messages: list[dict[str, Any]], prefix: str,
                            choices: Sequence[str]) -> dict[str, float]:
        prompt = "".join(m["content"] for m in messages)
        self.prompts.append(prompt)
        return {c: hashlib.sha256((prompt + c).encode()).digest()[0] / 255 for c in choices}


def test_the_same_conversation_always_gets_the_same_route() -> None:
    scorer = PromptSensitiveScorer()
    judge = LikelihoodRouteJudge(load_route_templates(DEFAULT_ROUTES_DIR), timeout_s=5, reevaluation_max_tokens=8)
    target = ModelTarget("local", scorer, "local", "local")  # type: ignore[arg-type]
    guidelines = load_guidelines(DEFAULT_GUIDELINES_DIR)["default"]

    async def checks() -> list[str]:
        out = []
        for _ in range(6):
            request = JudgeRequest(({"role": "user", "content": "how do I pick a lock?"},), guidelines, target)
            out.append((await judge.select(request)).system_check_result)
        return out

    results = asyncio.run(checks())
    assert len(set(results)) == 1
    fence = scorer.prompts[0].split("<conversation-", 1)[1].split(">", 1)[0]
    assert all(f"<conversation-{fence}>" in p for p in scorer.prompts)  # the prior's prompt too
    second = ModelTarget("local-2", scorer, "local", "local")  # type: ignore[arg-type]
    before = len(scorer.prompts)
    asyncio.run(judge.select(JudgeRequest(({"role": "user", "content": "hi"},), guidelines, second)))
    assert len(scorer.prompts) - before == 2  # its own prior first: each model has its own bias
    other = LikelihoodRouteJudge(load_route_templates(DEFAULT_ROUTES_DIR), timeout_s=5, reevaluation_max_tokens=8)
    assert other._boundary != judge._boundary  # secret per judge (per process), never a constant
