"""An SSE response that cancels its body the moment the client goes away.

Starlette's `StreamingResponse` on ASGI spec 2.4 only notices a disconnect
when a send fails, so a client that hangs up while the upstream is slow would
keep the upstream request alive.  This response listens for `http.disconnect`
concurrently and cancels the body generator, whose `finally` closes the
upstream call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

from starlette.types import Receive, Scope, Send

from primeguard.errors import to_http
from primeguard.protocol import sse
from primeguard.upstream.protocol import Body

log = logging.getLogger("primeguard.server")


class SSEResponse:
    """`data: <json>` per chunk, always ending with `data: [DONE]`; errors become `error` events."""

    def __init__(self, chunks: AsyncIterator[Body], headers: Mapping[str, str]) -> None:
        self._chunks = chunks
        self._headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        self._headers += [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache"),
                          (b"x-accel-buffering", b"no")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self._headers})
        body = asyncio.create_task(self._send_body(send))
        watcher = asyncio.create_task(self._wait_disconnect(receive))
        try:
            await asyncio.wait({body, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (body, watcher):
                task.cancel()
            for task in (body, watcher):
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await task
            with contextlib.suppress(Exception):
                await self._chunks.aclose()  # type: ignore[attr-defined]

    async def _wait_disconnect(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    async def _send_body(self, send: Send) -> None:
        try:
            async for chunk in self._chunks:
                await send({"type": "http.response.body", "body": sse.encode(chunk), "more_body": True})
        except Exception as exc:  # after the 200, an error can only be an SSE event
            status, payload, _ = to_http(exc)
            if status >= 500 and status != 502 and status != 504:
                log.exception("stream failed")
            await send({"type": "http.response.body", "body": sse.encode_error(payload), "more_body": True})
        await send({"type": "http.response.body", "body": sse.DONE, "more_body": False})
