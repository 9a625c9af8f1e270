"""The output side: guard the answer, streamed or whole, before the client sees it.

- Streaming: the windowed guard (streaming/window.py) releases chunks as their
  windows pass; on a violation the client gets a final chunk with
  `finish_reason: "content_filter"`, then `[DONE]`, and the upstream request is
  closed.
- Whole answers: the message (text and tool calls) is checked at once and, on
  a violation, replaced by the refusal with `finish_reason: "content_filter"`.

Tool calls are checked like text: their names and arguments are part of what
the guard reads, so a harmful plan is caught before the client executes it;
`output_text.py` says what else is read (refusals, reasoning, transcripts) and
how interleaved choices and tool calls are read in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from typing import cast

from primeguard.guards.protocol import Guard
from primeguard.guards.settings import StreamSettings
from primeguard.guards.thresholds import Tolerance, blocking_verdicts, worst_under
from primeguard.output_text import StreamTexts, answer_text
from primeguard.streaming import Cut, Release
from primeguard.streaming.checks import guards_checker, output_stream_guard
from primeguard.streaming.events import StreamCheckError
from primeguard.telemetry import attributes as attr
from primeguard.telemetry.bundle import Telemetry
from primeguard.upstream.protocol import Body
from primeguard.verdicts import GuardResult


class OutputGuard:
    """Runs the configured output guards over answers, per the tenant's tolerance."""

    def __init__(self, stream: StreamSettings, telemetry: Telemetry, pattern_guards: frozenset[str] = frozenset()) -> None:
        self._stream = stream
        self._tel = telemetry
        #: Guards (by name) that look for patterns, not meaning (`kind: pii`): on a stream they
        #: read all of it in overlapping stretches of characters rather than token windows.
        self._patterns = pattern_guards

    async def check_text(self, guards: Sequence[Guard], text: str, prompt: str | None, tolerance: Tolerance) -> bool:
        """True when `text` may be shown."""
        if not guards or not text:
            return True
        results = cast(list[GuardResult], await guards_checker(guards, prompt)(text))  # each guard traces
        return worst_under(results, tolerance) not in blocking_verdicts(tolerance)

    async def check_body(self, guards: Sequence[Guard], body: Body, prompt: str | None, tolerance: Tolerance,
                         refusal: str, tenant: str) -> Body:
        """The completion as is, or with each violating choice replaced by the refusal."""
        if not guards:
            return body
        choices = body.get("choices") or []
        verdicts = await asyncio.gather(*(
            self.check_text(guards, answer_text(c.get("message") or {}), prompt, tolerance) for c in choices))
        if all(verdicts):
            return body
        body = dict(body)
        body["choices"] = [
            c if ok else {**c, "message": {"role": "assistant", "content": refusal}, "finish_reason": "content_filter"}
            for c, ok in zip(choices, verdicts, strict=True)
        ]
        self._tel.metrics.record_stream_cut(tenant, "whole")
        return body

    async def guard_stream(self, guards: Sequence[Guard], chunks: AsyncIterator[Body], prompt: str | None,
                           tolerance: Tolerance, tenant: str) -> AsyncIterator[Body]:
        """Release chunks as their windows pass; cut with `content_filter` on a violation."""
        if not guards:
            async for chunk in chunks:
                yield chunk
            return
        windows = [g for g in guards if g.name not in self._patterns]
        patterns = [g for g in guards if g.name in self._patterns]
        guard = output_stream_guard(self._stream, windows, prompt=prompt, tolerance=tolerance,
                                    pattern_guards=patterns)
        last: Body = {}
        try:
            async for event in guard.guard(chunks, StreamTexts()):
                if isinstance(event, Release):
                    last = event.chunk
                    yield event.chunk
                elif isinstance(event, Cut):
                    yield self._cut(last, tenant, event.verdict.value, guard.trajectory)
                    return
        except StreamCheckError:
            # Only a custom checker raises (served guards fail open/closed by policy): fail closed.
            yield self._cut(last, tenant, "error", guard.trajectory)
        finally:
            with contextlib.suppress(Exception):
                await chunks.aclose()  # type: ignore[attr-defined]  # cancels the upstream request

    def _cut(self, last: Body, tenant: str, verdict: str, trajectory: Sequence[float]) -> Body:
        self._tel.metrics.record_stream_cut(tenant, self._stream.mode.value)
        with self._tel.tracing.span(attr.SPAN_STREAM_CUT, {attr.PRIMEGUARD_GUARD_VERDICT: verdict,
                                                           attr.PRIMEGUARD_WINDOW_RISK: list(trajectory)}):
            pass
        return {
            "id": last.get("id", "chatcmpl-cut"), "object": "chat.completion.chunk",
            "created": last.get("created", int(time.time())), "model": last.get("model", ""),
            "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "content_filter"}],
        }
