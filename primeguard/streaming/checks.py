"""Adapters from `Guard` objects to the windowed output guard's `Checker`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from primeguard.guards.chat_guard import ResponseText
from primeguard.guards.protocol import Guard
from primeguard.guards.settings import StreamSettings
from primeguard.guards.thresholds import Tolerance, blocking_verdicts
from primeguard.streaming.events import Checker
from primeguard.streaming.tokens import TokenizerLen
from primeguard.streaming.window import WindowedOutputGuard
from primeguard.verdicts import GuardResult


def guards_checker(guards: Sequence[Guard], prompt: str | None = None) -> Checker:
    """A checker that runs every output guard on a window, concurrently.

    The window is sent as an assistant text answering `prompt`, so generative
    guards judge it in context.  Guards wrapped by `resilient()` never raise:
    their failures arrive as fail-open/closed results instead.
    """

    async def check(window: str) -> list[GuardResult]:
        text = ResponseText(text=window, prompt=prompt)
        answers = await asyncio.gather(*(guard.check([text]) for guard in guards))
        return [result for answer in answers for result in answer]

    return check


def output_stream_guard(
    settings: StreamSettings,
    guards: Sequence[Guard],
    *,
    prompt: str | None = None,
    tolerance: Tolerance = Tolerance.DEFAULT,
    tokenizer_len: TokenizerLen | None = None,
    pattern_guards: Sequence[Guard] = (),
) -> WindowedOutputGuard:
    """A fresh windowed guard for one answer stream, as the `guards.stream` config says:
    `guards` read its token windows, `pattern_guards` the text since the last checkpoint
    after an overlap (`tail.TailText`)."""
    return WindowedOutputGuard(
        guards_checker(guards, prompt),
        mode=settings.mode,
        window_tokens=settings.window_tokens,
        stride_tokens=settings.stride_tokens,
        tokenizer_len=tokenizer_len,
        block_on=blocking_verdicts(tolerance),
        max_pending_checks=0,  # the guarantee: stream_first leaks at most one stride
        release=settings.release,
        tail_check=guards_checker(pattern_guards, prompt) if pattern_guards else None,
    )
