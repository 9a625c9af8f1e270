"""Request-side helpers: body limits, JSON decoding, API keys, request ids, paths."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from primeguard.errors import ClientClosed, InvalidRequest, PayloadTooLarge

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
T = TypeVar("T")


def request_id_from(header: str | None) -> str:
    """Keep a well-formed client request id (for correlation); otherwise make one."""
    if header and _REQUEST_ID.match(header):
        return header
    return "req_" + uuid.uuid4().hex


class TrailingSlash:
    """Serve ``/v1/chat/completions/`` as ``/v1/chat/completions`` instead of redirecting.

    Starlette answers a trailing slash with a 307 to the slashless path: an empty
    body that a client without redirects on (curl, httpx's default) takes as the
    answer, and one more round trip with the whole body for those that follow.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = dict(scope, path=path.rstrip("/") or "/")
            raw = scope.get("raw_path")
            if isinstance(raw, bytes):
                scope["raw_path"] = raw.rstrip(b"/") or b"/"
        await self.app(scope, receive, send)


def api_key_from(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("api-key") or request.headers.get("x-api-key")


async def read_json(request: Request, limit: int) -> Any:
    """The decoded body; 413 past `limit` bytes (checked while reading), 400 if not JSON.

    Not JSON here: NaN and Infinity (Python's extension, which an upstream would reject),
    nesting deeper than the decoder's recursion limit, and lone UTF-16 surrogates
    (`"\\ud800"`: valid JSON, but no Unicode text, so it could not be sent on)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body too large: the limit is {limit} bytes.")
    body = bytearray()
    try:
        async for part in request.stream():
            body += part
            if len(body) > limit:
                raise PayloadTooLarge(f"Request body too large: the limit is {limit} bytes.")
    except ClientDisconnect:
        raise ClientClosed(
            "The client closed the connection before sending the whole body."
        ) from None
    if not body.strip():
        raise InvalidRequest("The request body is empty; expected a JSON object.")
    try:
        decoded = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise InvalidRequest("The JSON body of your request is nested too deeply.") from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest(
            "We could not parse the JSON body of your request. The body must be valid JSON."
        ) from None
    if b"\\u" in body or b"\xed" in body:  # no escape and no raw surrogate bytes: no surrogate
        _check_text(decoded)
    return decoded


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(literal: str) -> float:
    """1e999 is JSON, but it decodes to infinity, which no upstream takes back."""
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"{literal} is out of range")
    return value


def _check_text(decoded: Any) -> None:
    """400 naming the first string that holds a lone surrogate; one C-speed pass when none does
    (the decoder has already joined escaped surrogate pairs into their characters)."""
    try:
        json.dumps(decoded, ensure_ascii=False).encode("utf-8")
        return
    except UnicodeEncodeError:
        pass
    param = _lone_surrogate_at(decoded, "")
    raise InvalidRequest(
        f"Invalid value for '{param or 'body'}': the text holds a lone UTF-16 surrogate"
        " (an unpaired \\ud800-\\udfff escape), which is not valid Unicode.",
        param=param or None,
    )


def _lone_surrogate_at(value: Any, path: str) -> str | None:
    """The path of the first string (or key) with a lone surrogate; iterative, since the body
    may nest as deep as the decoder allowed."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if not _well_formed(item):
                return where
        elif isinstance(item, dict):
            for key in item:
                if not _well_formed(key):
                    return f"{where}.{key!a}" if where else ascii(key)
            stack.extend((v, f"{where}.{k}" if where else k) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in reversed(list(enumerate(item))))
    return None


def _well_formed(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """`work`'s result, or `ClientClosed` once the client hangs up first: its judge call,
    guard checks and upstream answer are cancelled rather than paid for nobody.  (A started
    stream has its own watch: the response's.)  Call it after the body has been read."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        raise ClientClosed("The client closed the connection before the answer was ready.")
    return task.result()


async def _disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass
