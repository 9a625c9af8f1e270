"""A guard wrapper that gives every check its own span and counts verdicts."""

from __future__ import annotations

from collections.abc import Sequence

from primeguard.guards.protocol import Guard
from primeguard.telemetry import attributes as attr
from primeguard.telemetry.bundle import Telemetry
from primeguard.telemetry.metrics import Step
from primeguard.verdicts import GuardResult, GuardText, TextRole, worst_verdict


class TracedGuard:
    """Delegates to `guard`; one span per check (input guard, or output window), no text."""

    def __init__(self, guard: Guard, telemetry: Telemetry, role: TextRole) -> None:
        self._guard = guard
        self._tel = telemetry
        self._role = role
        if role is TextRole.INPUT:
            self._step, self._span = Step.INPUT_GUARD, attr.SPAN_INPUT_GUARD
        else:
            self._step, self._span = Step.OUTPUT_GUARD, attr.SPAN_OUTPUT_GUARD_WINDOW

    @property
    def name(self) -> str:
        return self._guard.name

    @property
    def version(self) -> str:
        return self._guard.version

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
        with self._tel.step(
            self._step, self._span, {attr.PRIMEGUARD_GUARD_NAME: self.name}
        ) as span:
            results = await self._guard.check(texts)
            worst = worst_verdict(r.verdict for r in results)
            categories = sorted({c.value for r in results for c in r.flagged_categories})
            span.set_attributes(
                {
                    attr.PRIMEGUARD_GUARD_VERDICT: worst.value,
                    attr.PRIMEGUARD_GUARD_CATEGORIES: categories,
                }
            )
            reasons = list(dict.fromkeys(reason for r in results for reason in r.reasons))
            if reasons:  # a rule's fixed words, never text
                span.set_attribute(attr.PRIMEGUARD_GUARD_REASONS, reasons)
        for result in results:
            self._tel.metrics.record_guard_verdict(self.name, self._role, result.verdict)
        return results

    async def close(self) -> None:
        """The wrapped guard is closed by its owner."""
