"""Per-guard failure policy: a deadline, a circuit breaker and fail-open/closed.

`PolicyGuard` wraps any `Guard`.  When the inner guard times out, raises
`GuardUnavailable` or sits behind an open circuit, the wrapper answers for it
with one `FallbackResult` per text: SAFE when the guard fails open, UNSAFE with
a note when it fails closed.  Every fallback is counted (`stats`, `on_failure`).
Fallbacks carry their own type so the decision cache can refuse to store them.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from primeguard.cache.breaker import BreakerState, CallStatus, CircuitBreaker
from primeguard.guards.protocol import Guard, GuardUnavailable
from primeguard.guards.settings import BreakerSettings, FailMode
from primeguard.verdicts import GuardResult, GuardText, Verdict


class GuardTimeout(GuardUnavailable):
    """The guard did not answer within its deadline."""


class FailureReason(str, enum.Enum):
    TIMEOUT = "timeout"
    ERROR = "error"  # GuardUnavailable: connection refused, 5xx, unparseable answer
    CIRCUIT_OPEN = "circuit_open"


class FailureStep(str, enum.Enum):
    CHECK = "check"
    MASK = "mask"  # `kind: pii` with `mask: true`: a failure has no fallback result to count


@dataclass(frozen=True, slots=True)
class FallbackResult(GuardResult):
    """A result the failure policy made up because the guard could not answer; never cache it."""

    fail_mode: FailMode = FailMode.CLOSED
    reason: FailureReason = FailureReason.ERROR
    note: str = ""

    @property
    def cacheable(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class FailureEvent:
    """Passed to `on_failure` (for metrics); holds no text."""

    guard: str
    reason: FailureReason
    fail_mode: FailMode
    texts: int
    step: FailureStep = FailureStep.CHECK


@dataclass(frozen=True, slots=True)
class GuardStats:
    calls: int
    fallbacks: int
    by_reason: dict[FailureReason, int] = field(default_factory=dict)
    breaker: BreakerState = BreakerState.CLOSED


class PolicyGuard:
    """A `Guard` that never raises `GuardUnavailable`: its failures follow `fail_mode`."""

    def __init__(
        self,
        inner: Guard,
        *,
        fail_mode: FailMode,
        timeout_s: float,
        breaker: CircuitBreaker,
        on_failure: Callable[[FailureEvent], None] | None = None,
    ) -> None:
        self._inner = inner
        self._fail_mode = fail_mode
        self._timeout_s = timeout_s
        self._breaker = breaker
        self._on_failure = on_failure
        self._calls = 0
        self._reasons: Counter[FailureReason] = Counter()
        self._closed = False

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def version(self) -> str:
        return self._inner.version

    @property
    def fail_mode(self) -> FailMode:
        return self._fail_mode

    @property
    def inner(self) -> Guard:
        """The guard behind the policy (start-up warms it without the deadline)."""
        return self._inner

    @property
    def stats(self) -> GuardStats:
        return GuardStats(
            calls=self._calls,
            fallbacks=sum(self._reasons.values()),
            by_reason=dict(self._reasons),
            breaker=self._breaker.state,
        )

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
        self._calls += 1
        if not texts:
            return []
        errors: list[GuardUnavailable] = []

        async def op() -> list[GuardResult]:
            try:
                results = await self._inner.check(texts)
                if len(results) != len(texts):
                    raise GuardUnavailable(
                        f"guard {self.name!r} answered {len(results)} of {len(texts)} texts"
                    )
                return results
            except GuardUnavailable as exc:
                errors.append(exc)
                raise

        outcome = await self._breaker.call(
            op, timeout_s=self._timeout_s, errors=(GuardUnavailable,)
        )
        if outcome.status is CallStatus.OK and outcome.value is not None:
            return outcome.value
        if outcome.status is CallStatus.BYPASSED:
            reason = FailureReason.CIRCUIT_OPEN
        elif not errors or isinstance(errors[0], GuardTimeout):
            reason = FailureReason.TIMEOUT
        else:
            reason = FailureReason.ERROR
        return self._fallback(len(texts), reason)

    def _fallback(self, count: int, reason: FailureReason) -> list[GuardResult]:
        self._reasons[reason] += 1
        if self._on_failure is not None:
            self._on_failure(FailureEvent(self.name, reason, self._fail_mode, count))
        closed = self._fail_mode is FailMode.CLOSED
        result = FallbackResult(
            verdict=Verdict.UNSAFE if closed else Verdict.SAFE,
            guard=self.name,
            version=self.version,
            fail_mode=self._fail_mode,
            reason=reason,
            note=f"guard {self.name!r} unavailable ({reason.value}); failed {self._fail_mode.value}",
        )
        return [result] * count

    async def close(self) -> None:
        """Once: a guard that is also a cascade's stage is closed by both owners."""
        if not self._closed:
            self._closed = True
            await self._inner.close()


def resilient(
    guard: Guard,
    *,
    fail_mode: FailMode = FailMode.CLOSED,
    timeout_s: float = 2.0,
    breaker: BreakerSettings | None = None,
    on_failure: Callable[[FailureEvent], None] | None = None,
) -> PolicyGuard:
    """Wrap `guard` in its failure policy (deadline, breaker, fail-open/closed)."""
    cfg = breaker or BreakerSettings()
    return PolicyGuard(
        guard,
        fail_mode=fail_mode,
        timeout_s=timeout_s,
        breaker=CircuitBreaker(failure_threshold=cfg.failure_threshold, reset_s=cfg.reset_s),
        on_failure=on_failure,
    )
