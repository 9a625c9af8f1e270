"""A small circuit breaker for calls to a shared dependency (Redis, served guards).

    closed ──N consecutive failures──▶ open ──reset_s elapsed──▶ half-open
      ▲                                 ▲                          │
      └────────── trial succeeds ───────┼──────────────────────────┤
                                        └────── trial fails ───────┘

While open, calls are skipped at once (`CallStatus.BYPASSED`) so a dead
dependency costs nothing.  Half-open is lazy: the first call after `reset_s`
becomes the single trial, runs the optional probe (a PING) and then its own
operation, all under the same deadline.  Recovery needs no background task.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class BreakerState(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CallStatus(str, enum.Enum):
    OK = "ok"
    FAILED = "failed"  # raised one of the expected errors, or ran past the deadline
    BYPASSED = "bypassed"  # not attempted: the breaker is open


@dataclass(frozen=True, slots=True)
class Guarded(Generic[T]):
    """The outcome of `CircuitBreaker.call`; `value` is set only when `status` is OK."""

    status: CallStatus
    value: T | None = None


class CircuitBreaker:
    """Counts consecutive failures and short-circuits calls while the dependency is down."""

    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
        recover: Callable[[], Awaitable[object]] | None = None,
        recover_timeout_s: float = 1.0,
    ) -> None:
        """`recover`, if given, is probed in the background every `reset_s` while the breaker
        is open, and closes it as soon as one probe succeeds: recovery does not wait for traffic."""
        self._recover = recover
        self._recover_timeout_s = recover_timeout_s
        self._recovery: asyncio.Task[None] | None = None
        self._threshold = failure_threshold
        self._reset_s = reset_s
        self._clock = clock
        self._on_change = on_change
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started: float | None = None

    @property
    def state(self) -> BreakerState:
        return self._state

    async def call(
        self,
        op: Callable[[], Awaitable[T]],
        *,
        timeout_s: float,
        errors: tuple[type[BaseException], ...],
        probe: Callable[[], Awaitable[object]] | None = None,
    ) -> Guarded[T]:
        """Run `op` under `timeout_s` unless the breaker is open; never raises `errors`.

        The half-open trial first awaits `probe` (default: the `recover` probe).

        Cancellation and unexpected exceptions propagate: they are the caller's
        business or a bug, not a sign the dependency is down.
        """
        caught: tuple[type[BaseException], ...] = (TimeoutError, *errors)
        probe = probe if probe is not None else self._recover
        trial = self._admit()
        if trial is None:
            return Guarded(CallStatus.BYPASSED)
        try:
            async with asyncio.timeout(timeout_s):
                if trial and probe is not None:
                    await probe()
                value = await op()
        except caught:
            self._record_failure()
            return Guarded(CallStatus.FAILED)
        except BaseException:
            if trial:
                self._trial_started = None  # let the next caller try instead
            raise
        self._record_success()
        return Guarded(CallStatus.OK, value)

    def _admit(self) -> bool | None:
        """None: skip.  False: an ordinary call.  True: the half-open trial."""
        if self._state is BreakerState.CLOSED:
            return False
        now = self._clock()
        if self._state is BreakerState.HALF_OPEN:
            # A trial that never reported (its task died) must not wedge the breaker.
            if self._trial_started is not None and now - self._trial_started < self._reset_s:
                return None
        elif now - self._opened_at < self._reset_s:
            return None
        self._set_state(BreakerState.HALF_OPEN)
        self._trial_started = now
        return True

    def _record_success(self) -> None:
        self._failures = 0
        self._trial_started = None
        if self._state is not BreakerState.CLOSED:
            self._set_state(BreakerState.CLOSED)

    def _record_failure(self) -> None:
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or (
            self._state is BreakerState.CLOSED and self._failures >= self._threshold
        ):
            # Late failures of calls admitted before opening leave `_opened_at` alone.
            self._opened_at = self._clock()
            self._trial_started = None
            self._set_state(BreakerState.OPEN)

    def _set_state(self, state: BreakerState) -> None:
        if state is self._state:
            return
        self._state = state
        if self._on_change is not None:
            self._on_change(state)
        if state is BreakerState.OPEN and self._recover is not None:
            self._start_recovery()

    def _start_recovery(self) -> None:
        if self._recovery is not None and not self._recovery.done():
            return
        try:
            self._recovery = asyncio.get_running_loop().create_task(self._recovery_loop())
        except RuntimeError:  # no loop (a synchronous caller): lazy half-open still recovers
            self._recovery = None

    async def _recovery_loop(self) -> None:
        assert self._recover is not None
        while not self._closed():
            await asyncio.sleep(self._reset_s)
            if self._closed():  # a request's own trial got there first
                return
            try:
                async with asyncio.timeout(self._recover_timeout_s):
                    await self._recover()
            except Exception:  # noqa: BLE001, S112  # still down: try again after reset_s
                continue
            self._record_success()

    def _closed(self) -> bool:
        return self._state is BreakerState.CLOSED

    async def aclose(self) -> None:
        """Stop the background recovery probe, if one runs."""
        if self._recovery is not None and not self._recovery.done():
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery
        self._recovery = None
