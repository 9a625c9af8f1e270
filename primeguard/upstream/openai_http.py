"""The direct path for OpenAI-compatible upstreams: one pooled httpx client.

litellm spends about 9 ms of CPU per call translating a request that is already
in OpenAI's format; a pooled httpx post spends about 1.4 ms.  Upstreams that
speak the OpenAI API (openai/, hosted_vllm/, any api_base) take this path; the
body is forwarded as the client sent it, unknown fields included.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any, NoReturn

import httpx

from primeguard.errors import (
    UpstreamError,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from primeguard.telemetry.tracing import inject_headers
from primeguard.upstream.protocol import Body, Headers
from primeguard.upstream.shapes import checked_chunk, checked_completion

_MAX_RETRY_AFTER_S = 10.0


def shared_client(max_connections: int = 1000) -> httpx.AsyncClient:
    """The process-wide pool; per-call timeouts are set on each request."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=200)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0), trust_env=False)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_message(response: httpx.Response) -> str:
    try:
        err = response.json().get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])[:500]
    except (ValueError, AttributeError, RecursionError):
        pass
    return f"upstream answered HTTP {response.status_code}"


def _raise_for_status(response: httpx.Response) -> NoReturn:
    status = response.status_code
    retry_after = _retry_after(response)
    if status == 429:
        raise UpstreamRateLimited("upstream rate limit exceeded", upstream_status=429, retry_after=retry_after)
    if status in (401, 403):
        # Our upstream key is wrong: a server-side problem, not the client's.
        raise UpstreamUnavailable("upstream rejected the proxy's credentials", upstream_status=status)
    if 400 <= status < 500:
        raise UpstreamRejected(f"upstream rejected the request: {_error_message(response)}", upstream_status=status)
    raise UpstreamUnavailable(f"upstream error (HTTP {status})", upstream_status=status, retry_after=retry_after)


class OpenAICompatibleUpstream:
    """An OpenAI-compatible chat endpoint reached over the shared httpx pool."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        api_base: str,
        *,
        model: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        self._client = client
        self._url = api_base.rstrip("/") + "/chat/completions"
        self._model = model
        self._auth = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._max_retries = max_retries

    async def _send(self, body: Body, headers: Headers | None, *, stream: bool) -> httpx.Response:
        """Send with retries on 429, 5xx and connection errors, honouring Retry-After."""
        # The body is encoded once, with the provider's model name and the stream flag.
        content = json.dumps({**body, "model": self._model, "stream": stream}, ensure_ascii=False).encode()
        hdrs = {"content-type": "application/json", **(headers or {}), **self._auth}
        inject_headers(hdrs)  # W3C traceparent of the current step's span
        attempt = 0
        while True:
            try:
                request = self._client.build_request(
                    "POST", self._url, content=content, headers=hdrs, timeout=self._timeout
                )
                response = await self._client.send(request, stream=stream)
                if response.status_code < 400:
                    return response
                if stream:
                    await response.aread()
                try:
                    _raise_for_status(response)
                finally:
                    await response.aclose()
            except httpx.TimeoutException as exc:
                error: UpstreamError = UpstreamTimeout("upstream timed out")
                error.__cause__ = exc
            except httpx.RequestError as exc:  # transport, decoding, redirects: all the provider's side
                error = UpstreamUnavailable(f"upstream unreachable: {type(exc).__name__}")
                error.__cause__ = exc
            except UpstreamError as exc:
                error = exc
            retryable = error.retryable and not isinstance(error, UpstreamTimeout)
            if attempt >= self._max_retries or not retryable:
                raise error
            delay = error.retry_after if error.retry_after is not None else 0.2 * 2**attempt
            if delay > _MAX_RETRY_AFTER_S:
                raise error
            await asyncio.sleep(delay * (1 + 0.1 * random.random()))
            attempt += 1

    async def complete(self, body: Body, headers: Headers | None = None) -> Body:
        response = await self._send(body, headers, stream=False)
        try:
            data: Any = response.json()
        except (ValueError, RecursionError) as exc:
            raise UpstreamUnavailable("upstream sent invalid JSON") from exc
        return checked_completion(data)

    async def stream(self, body: Body, headers: Headers | None = None) -> AsyncIterator[Body]:
        response = await self._send(body, headers, stream=True)
        try:
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    chunk = json.loads(data)
                except (ValueError, RecursionError) as exc:
                    raise UpstreamUnavailable("upstream sent an invalid stream chunk") from exc
                if isinstance(chunk, dict) and "error" in chunk and "choices" not in chunk:
                    raise UpstreamUnavailable("upstream reported an error mid-stream")
                yield checked_chunk(chunk)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout("upstream stream timed out") from exc
        except httpx.RequestError as exc:
            raise UpstreamUnavailable(f"upstream stream broke: {type(exc).__name__}") from exc
        finally:
            # Closing the response drops the connection: the upstream sees the cancel.
            await response.aclose()

    async def aclose(self) -> None:
        """The shared client is owned by the registry."""
