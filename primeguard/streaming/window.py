"""The windowed output guard: checks a streamed answer in overlapping token windows.

Windows of `window_tokens` (W) end every `stride_tokens` (S) tokens
(`spans.WindowSpans` says where, and gives their texts); a last, partial
window is checked at the end of the stream.  Two modes:

* `hold_back`: a chunk is released only after a window containing it has
  passed, so nothing after the first unsafe token ever leaks.  Which window is
  `release`'s choice: `every_window` (the default) waits for every window that
  covers the chunk, so each token is also judged with the W - S tokens after
  it (a lag of W - S tokens, plus up to S waiting for a checkpoint);
  `first_window` releases it when the first window holding it passes (a lag
  of at most S tokens: time to first token ~S tokens of generation, not W),
  seeing W - S tokens before it but maybe none after.
* `stream_first`: chunks are released at once; window checks run in the
  background and a violation cuts the stream at the next chunk.  At most
  `max_pending_checks` checks run behind the stream, so with checks faster
  than a stride of generation the leak stays under one stride.

Pattern guards (`kind: pii`) get their own checker, `tail_check`: at the same
checkpoints it reads the text added since the last one after an overlap of
characters (`tail.TailText`), so a number stretched over more tokens than a
window still reaches it whole; its answer counts as the last due window's.  In
hold_back, text from where a run of digits at a checkpoint begins is held until
the run has ended, so no number is let out in part.

One `WindowedOutputGuard` guards one stream; its `windows` and `trajectory`
(one risk score per window, STAR-style) are read afterwards for traces.
The guard never sees the stream's text in logs: records hold offsets only.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from primeguard.streaming.events import (
    Checker,
    Cut,
    HoldBackRelease,
    Release,
    StreamCheckError,
    StreamMode,
    WindowRecord,
    check_all,
    merged,
    to_window_check,
)
from primeguard.streaming.spans import Span, WindowSpans
from primeguard.streaming.tail import TailText
from primeguard.streaming.tokens import PATTERN_OVERLAP_CHARS, TokenizerLen
from primeguard.verdicts import Verdict

T = TypeVar("T")

__all__ = ["WindowedOutputGuard"]


@dataclass(frozen=True, slots=True)
class _Held(Generic[T]):
    chunk: T
    end_char: int


class WindowedOutputGuard:
    """Guards one answer stream; create one per stream."""

    def __init__(
        self,
        check: Checker,
        *,
        mode: StreamMode = StreamMode.HOLD_BACK,
        window_tokens: int = 64,
        stride_tokens: int = 16,
        tokenizer_len: TokenizerLen | None = None,
        block_on: frozenset[Verdict] = frozenset({Verdict.UNSAFE}),
        max_pending_checks: int = 1,
        release: HoldBackRelease = HoldBackRelease.EVERY_WINDOW,
        tail_check: Checker | None = None,
        tail_overlap_chars: int = PATTERN_OVERLAP_CHARS,
    ) -> None:
        self._spans = WindowSpans(window_tokens, stride_tokens, tokenizer_len)
        self._check = check
        self._tail_check = tail_check
        self._tail = TailText(tail_overlap_chars) if tail_check is not None else None
        self.mode = mode
        self._block_on = block_on
        # hold_back: tokens a released chunk must lie behind the last passed window's end.
        self._lag = window_tokens - stride_tokens if release is HoldBackRelease.EVERY_WINDOW else 0
        # 0: wait at each stride boundary for that window's check, so at most one
        # stride leaks whatever the checker's latency; >= 1: checks may run behind.
        self._max_pending = max(0, max_pending_checks)
        self._released_chars = 0
        self._started = False
        self.windows: list[WindowRecord] = []

    @property
    def trajectory(self) -> list[float]:
        """Risk score per window, in window order."""
        return [w.score for w in sorted(self.windows, key=lambda w: w.index)]

    @property
    def released_chars(self) -> int:
        return self._released_chars

    async def guard(
        self, chunks: AsyncIterator[T], text_of: Callable[[T], str]
    ) -> AsyncIterator[Release[T] | Cut]:
        """Yield `Release(chunk)` in order, and at most one final `Cut`."""
        if self._started:
            raise RuntimeError("a WindowedOutputGuard guards one stream only")
        self._started = True
        run = self._hold_back if self.mode is StreamMode.HOLD_BACK else self._stream_first
        async for event in run(chunks, text_of):
            yield event

    # -- hold_back -----------------------------------------------------------------

    async def _hold_back(
        self, chunks: AsyncIterator[T], text_of: Callable[[T], str]
    ) -> AsyncIterator[Release[T] | Cut]:
        held: deque[_Held[T]] = deque()
        async for chunk in chunks:
            self._feed(text_of(chunk))
            held.append(_Held(chunk, self._spans.length))
            spans = self._spans.due()
            if not spans:
                continue
            cut = await self._run_checks(spans, self._texts(spans), [h.chunk for h in held])
            if cut is not None:
                yield cut
                return
            frontier = self._spans.end_of(spans[-1].end_token - self._lag)
            if self._tail is not None and self._tail.open_from is not None:
                frontier = min(frontier, self._tail.open_from)  # a number may still be going on
            while held and held[0].end_char <= frontier:
                yield self._release(held.popleft())
        last = self._last()
        if last is not None:
            cut = await self._run_checks(*last, [h.chunk for h in held])
            if cut is not None:
                yield cut
                return
        while held:
            yield self._release(held.popleft())

    # -- stream_first --------------------------------------------------------------

    async def _stream_first(
        self, chunks: AsyncIterator[T], text_of: Callable[[T], str]
    ) -> AsyncIterator[Release[T] | Cut]:
        pending: deque[asyncio.Task[Cut | None]] = deque()
        try:
            async for chunk in chunks:
                self._feed(text_of(chunk))
                spans = self._spans.due()
                cut = await self._schedule(pending, spans, held=[chunk]) if spans else None
                if cut is None:
                    cut = await self._harvest(pending, block=False, held=[chunk])
                if cut is not None:
                    yield cut
                    return
                yield self._release(_Held(chunk, self._spans.length))
            last = self._last()
            if last is not None:
                pending.append(asyncio.create_task(self._run_checks(*last, [])))
            cut = await self._harvest(pending, block=True, held=[])
            if cut is not None:
                yield cut
        finally:
            for task in pending:
                task.cancel()

    async def _schedule(
        self, pending: deque[asyncio.Task[Cut | None]], spans: list[Span], held: list[object]
    ) -> Cut | None:
        """Start checking `spans`, first waiting while too many checks run behind the stream."""
        if self._max_pending == 0:  # no check runs behind: check here, no task
            return await self._run_checks(spans, self._texts(spans), held)
        while len(pending) >= self._max_pending:
            cut = await self._settle(pending.popleft(), held)
            if cut is not None:
                return cut
        pending.append(asyncio.create_task(self._run_checks(spans, self._texts(spans), [])))
        await asyncio.sleep(0)  # let a fast checker finish before the next chunk
        return None

    async def _harvest(
        self, pending: deque[asyncio.Task[Cut | None]], *, block: bool, held: list[object]
    ) -> Cut | None:
        while pending and (block or pending[0].done()):
            cut = await self._settle(pending.popleft(), held)
            if cut is not None:
                return cut
        return None

    async def _settle(self, task: asyncio.Task[Cut | None], held: list[object]) -> Cut | None:
        try:
            cut = await task
        except StreamCheckError as exc:
            raise StreamCheckError(
                str(exc), released_chars=self._released_chars, held=held
            ) from exc.__cause__
        # The cut takes effect now, after whatever was released while it was checked.
        return (
            None if cut is None else dataclasses.replace(cut, released_chars=self._released_chars)
        )

    # -- shared --------------------------------------------------------------------

    def _feed(self, text: str) -> None:
        self._spans.feed(text)
        if self._tail is not None:
            self._tail.feed(text)

    def _texts(self, spans: list[Span], *, windows: bool = True) -> _Texts:
        """What the checks of these (due, in order) windows read; taken now, in stream order."""
        tail = self._tail.take(spans[-1].end_char) if self._tail is not None else None
        return _Texts(self._spans.texts(spans) if windows else [], tail)

    def _last(self) -> tuple[list[Span], _Texts] | None:
        """At the end of the stream: the last, partial window, if any tokens are left; else,
        where text came after the last checkpoint (trailing spaces in the chunk that held
        it), a check of the tail alone."""
        self._spans.finish()
        final = self._spans.final()
        if final is not None:
            return [final], self._texts([final])
        if self._tail is not None and self._tail.unread:
            end = self._spans.end_span()
            return [end], self._texts([end], windows=False)
        return None

    def _release(self, held: _Held[T]) -> Release[T]:
        self._released_chars = held.end_char
        return Release(held.chunk)

    async def _run_checks(self, spans: list[Span], texts: _Texts, held: list[object]) -> Cut | None:
        """Check the windows (and the tail) concurrently; the first blocking window (in
        order) becomes the cut, the tail's answer counting as the last window's."""
        calls = [(self._check, text) for text in texts.windows]
        if self._tail_check is not None and texts.tail:
            calls.append((self._tail_check, texts.tail))
        try:
            outcomes = await check_all(calls)
        except Exception as exc:
            raise StreamCheckError(
                f"window check failed: {type(exc).__name__}",
                released_chars=self._released_chars,
                held=held,
            ) from exc
        checks = [to_window_check(outcome) for outcome in outcomes]
        if len(checks) > len(texts.windows):  # the tail's answer, counted as the last window's
            tail = checks.pop()
            checks[-1:] = [merged(checks[-1], tail)] if checks else [tail]
        if len(checks) < len(spans):  # a tail-only check with nothing left to read
            return None
        cut = None
        for span, result in zip(spans, checks, strict=True):
            record = WindowRecord(
                span.index,
                span.start_token,
                span.end_token,
                result.verdict,
                result.score,
                result.categories,
            )
            self.windows.append(record)
            if cut is None and result.verdict in self._block_on:
                cut = Cut(
                    f"output window {span.index} is {result.verdict.value}",
                    result.verdict,
                    self._released_chars,
                    record,
                )
        return cut


@dataclass(frozen=True, slots=True)
class _Texts:
    windows: list[str]
    tail: str | None  # None without a tail checker
