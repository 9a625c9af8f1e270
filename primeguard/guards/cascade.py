"""`CascadeGuard`: a cheap guard judges every text, a strong one only the unsure ones.

    definitions:
      minilm: {kind: inprocess}
      llamaguard: {kind: chat, url: http://vllm:8000/v1, model: ..., format: llama_guard}
      screened: {kind: cascade, first: minilm, then: llamaguard}   # escalate: [controversial]

The in-process MiniLM guard is fast and calls most texts clearly safe or clearly
unsafe; the texts it calls `controversial` (by default) go to the served 7B
guard, whose verdict replaces the first.  A text the first stage could not judge
(its failure policy answered for it) is escalated too, unless
`escalate_failures` is off: the second stage then covers for the first.  Each stage keeps its own failure policy; when the second
fails open, the first stage's verdict stands (a fallback, never cached).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence

from primeguard.guards.policy import FallbackResult
from primeguard.guards.protocol import Guard, GuardUnavailable
from primeguard.guards.tenant import ACTIVE_OVERRIDES, retune
from primeguard.verdicts import GuardResult, GuardText, Verdict, worst_verdict


class CascadeGuard:
    """Two guards in series; results in input order, each from the stage that decided it."""

    def __init__(
        self,
        name: str,
        first: Guard,
        then: Guard,
        escalate: Iterable[Verdict] = (Verdict.CONTROVERSIAL,),
        *,
        version: str | None = None,
        on_check: Callable[[str, int, int], None] | None = None,
        escalate_failures: bool = True,
    ) -> None:
        self._name = name
        self.first = first
        self.then = then
        self.escalate = frozenset(escalate)
        if not self.escalate:
            raise ValueError("escalate must name at least one verdict")
        self._version = version
        self.escalate_failures = escalate_failures
        self._on_check = on_check  # (name, texts, escalated), for metrics
        self.checked = 0  # texts judged
        self.escalated = 0  # of which sent on to `then`

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        """Changes with either stage's version and with what is escalated."""
        if self._version is not None:
            return self._version
        spec = [
            self.first.version,
            self.then.version,
            sorted(v.value for v in self.escalate),
            self.escalate_failures,
        ]
        digest = hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:12]
        return f"{self._name}:{digest}"

    def escalates(self, result: GuardResult) -> bool:
        """Under the calling tenant's thresholds when it has any (a stricter tenant sends on
        what it would doubt; a laxer one does not pay for what it would clear)."""
        if isinstance(result, FallbackResult):
            return self.escalate_failures
        return retune(result, ACTIVE_OVERRIDES.get()).verdict in self.escalate

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
        results = list(await self.first.check(texts))
        if len(results) != len(texts):
            raise GuardUnavailable(
                f"guard {self.first.name!r} answered {len(results)} of {len(texts)}"
            )
        picked = [i for i, r in enumerate(results) if self.escalates(r)]
        self.checked += len(texts)
        self.escalated += len(picked)
        if self._on_check is not None:
            self._on_check(self._name, len(texts), len(picked))
        if picked:
            second = await self.then.check([texts[i] for i in picked])
            if len(second) != len(picked):
                raise GuardUnavailable(
                    f"guard {self.then.name!r} answered {len(second)} of {len(picked)}"
                )
            for i, result in zip(picked, second):
                results[i] = _decided(results[i], result)
        return results

    async def close(self) -> None:
        await self.first.close()
        await self.then.close()


def _decided(first: GuardResult, then: GuardResult) -> GuardResult:
    """The second stage's result, unless its failure policy answered for it and the first
    stage's verdict is worse: a served guard that is down and fails open lets a text go on
    as the first stage judged it, not as safe.  Still a fallback, so it is never cached."""
    if (
        not isinstance(then, FallbackResult)
        or worst_verdict([first.verdict, then.verdict]) is then.verdict
    ):
        return then  # a real judgement, or a failure that blocks (fail closed)
    return dataclasses.replace(
        then,
        verdict=first.verdict,
        guard=first.guard,
        version=first.version,
        scores=first.scores,
        by_category=first.by_category,
        uncategorised=first.uncategorised,
        reasons=first.reasons,
        note=f"{then.note}; {first.guard}'s verdict stands",
    )
