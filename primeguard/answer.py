"""The second step: how each route turns into an answer.

- no risk: the upstream answers, with the tenant's guidelines (and the tip) in a
  system message placed before the client's own system prompt;
- direct violation: the refusal template, no LLM call;
- potential violation: the re-evaluation's `final_response`, or the refusal if
  it did not parse (never the raw judge output).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from primeguard.routing.templates import RouteTemplates
from primeguard.upstream.protocol import Body, Headers, Upstream
from primeguard.verdicts import RouteDecision


def guarded_body(raw: Mapping[str, Any], templates: RouteTemplates, guidelines: str,
                 decision: RouteDecision | None) -> Body:
    """The client's request with the policy system message prepended; all else untouched."""
    tip = decision.system_tip.strip() if decision is not None else ""
    system = templates.answer_system.safe_substitute(
        guidelines=guidelines, tip_section=f"Tip for this answer: {tip}" if tip else ""
    ).strip()
    body = dict(raw)
    body["messages"] = [{"role": "system", "content": system}, *raw["messages"]]
    return body


_END = object()


class Prefetch:
    """An answer started before its release is decided (speculative mode).

    Streaming: chunks are buffered until `release()` hands them out.
    Non-streaming: `result()` awaits the completion.  `cancel()` closes the
    upstream request.  Upstream errors are re-raised to the reader.
    """

    def __init__(self, upstream: Upstream, body: Body, headers: Headers | None, *, stream: bool) -> None:
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._task: asyncio.Task[Any]
        if stream:
            self._task = asyncio.create_task(self._pump(upstream.stream(body, headers)))
        else:
            self._task = asyncio.create_task(upstream.complete(body, headers))

    async def _pump(self, source: AsyncIterator[Body]) -> None:
        try:
            async for item in source:
                await self._queue.put(item)
        except Exception as exc:  # noqa: BLE001  # handed to the reader, who maps it
            await self._queue.put(exc)
        finally:
            self._queue.put_nowait(_END)

    async def release(self) -> AsyncIterator[Body]:
        try:
            while (item := await self._queue.get()) is not _END:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            await self.cancel()

    async def result(self) -> Body:
        body: Body = await self._task
        return body

    async def cancel(self) -> None:
        await cancel_task(self._task)


async def cancel_task(task: asyncio.Task[Any] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
