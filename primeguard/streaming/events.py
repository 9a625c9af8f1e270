"""What the windowed output guard yields and records, and what a checker may return."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from primeguard.verdicts import VERDICT_SCORES, Category, GuardResult, Verdict, worst_verdict

T = TypeVar("T")


class StreamMode(str, enum.Enum):
    HOLD_BACK = "hold_back"
    STREAM_FIRST = "stream_first"


class HoldBackRelease(str, enum.Enum):
    """When hold_back releases a chunk: after every window covering it, or the first, passed."""

    EVERY_WINDOW = "every_window"
    FIRST_WINDOW = "first_window"


@dataclass(frozen=True, slots=True)
class WindowCheck:
    """A checker's answer for one window; `score` is its risk in [0, 1]."""

    verdict: Verdict
    score: float
    categories: tuple[Category, ...] = ()


CheckOutcome = Verdict | WindowCheck | GuardResult | Sequence[GuardResult]
Checker = Callable[[str], Awaitable[CheckOutcome]]


@dataclass(frozen=True, slots=True)
class WindowRecord:
    """One checked window: tokens (start, end] of the answer, and what the checker said."""

    index: int
    start_token: int
    end_token: int
    verdict: Verdict
    score: float
    categories: tuple[Category, ...] = ()


@dataclass(frozen=True, slots=True)
class Release(Generic[T]):
    """Pass this chunk on to the client."""

    chunk: T


@dataclass(frozen=True, slots=True)
class Cut:
    """Stop the stream here (send `finish_reason: content_filter`); always the last event."""

    reason: str
    verdict: Verdict
    released_chars: int
    window: WindowRecord


GuardEvent = Release[T] | Cut


class StreamCheckError(Exception):
    """The window checker raised.  `held` are the chunks not yet released, in order:
    to fail open, release them and keep reading the upstream iterator; to fail closed, cut."""

    def __init__(self, message: str, *, released_chars: int, held: list[object]) -> None:
        super().__init__(message)
        self.released_chars = released_chars
        self.held = held


def to_window_check(outcome: CheckOutcome) -> WindowCheck:
    """Normalise whatever a checker returns (a verdict, one or several guard results)."""
    if isinstance(outcome, WindowCheck):
        return outcome
    if isinstance(outcome, Verdict):
        return WindowCheck(outcome, VERDICT_SCORES[outcome])
    results = [outcome] if isinstance(outcome, GuardResult) else list(outcome)
    verdict = worst_verdict(r.verdict for r in results)
    scores = [s for r in results for s in r.scores.values()]
    score = max(scores) if scores else VERDICT_SCORES[verdict]
    categories = tuple(dict.fromkeys(c for r in results for c in r.flagged_categories))
    return WindowCheck(verdict, score, categories)


def merged(first: WindowCheck, second: WindowCheck) -> WindowCheck:
    """One window's answer from two checks of it: the worse verdict, the higher score."""
    return WindowCheck(
        worst_verdict([first.verdict, second.verdict]),
        max(first.score, second.score),
        tuple(dict.fromkeys((*first.categories, *second.categories))),
    )


async def check_all(calls: list[tuple[Checker, str]]) -> list[CheckOutcome]:
    """Each (checker, text) run concurrently, answers in order; the first failure raises.
    One check is awaited directly (no extra task, so a fast check ends in one step)."""
    if not calls:
        return []
    if len(calls) == 1:
        check, text = calls[0]
        return [await check(text)]
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_call(check, text)) for check, text in calls]
    except ExceptionGroup as failed:
        raise failed.exceptions[0]  # keeps the checker's own exception as cause
    return [task.result() for task in tasks]


async def _call(check: Checker, text: str) -> CheckOutcome:
    return await check(text)
