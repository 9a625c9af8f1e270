"""The one place served guards touch httpx: a pooled client and a JSON POST.

httpx exceptions are mapped here to `GuardTimeout` / `GuardUnavailable`
(`raise ... from exc`), so guards and their failure policy never see httpx.
The client is shared by every served guard and owned by the caller: guards
never close it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx

from primeguard.guards.policy import GuardTimeout
from primeguard.guards.protocol import GuardUnavailable

HeadersFactory = Callable[[], dict[str, str]]
T = TypeVar("T")


def make_guard_client(*, max_connections: int = 100, max_keepalive: int = 20) -> httpx.AsyncClient:
    """A pooled client for all served guards; timeouts are set per request."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_keepalive)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(10.0))


def request_headers(api_key: str | None, factory: HeadersFactory | None) -> dict[str, str]:
    """Auth plus whatever the factory adds (a W3C `traceparent`, typically)."""
    headers = dict(factory()) if factory is not None else {}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    return headers


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    *,
    timeout_s: float,
    headers: dict[str, str],
    guard: str,
) -> Any:
    """POST `body` and return the decoded JSON; any failure is `GuardUnavailable`."""
    try:
        response = await client.post(url, json=body, headers=headers, timeout=timeout_s)
    except httpx.TimeoutException as exc:
        raise GuardTimeout(f"guard {guard!r} timed out after {timeout_s}s") from exc
    except httpx.HTTPError as exc:
        raise GuardUnavailable(f"guard {guard!r} unreachable: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise GuardUnavailable(f"guard {guard!r} answered HTTP {response.status_code}")
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:
        raise GuardUnavailable(f"guard {guard!r} answered with invalid JSON") from exc


async def gather_limited(calls: Iterable[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run the calls concurrently, at most `limit` at a time, results in order."""
    semaphore = asyncio.Semaphore(limit)

    async def run(call: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await call()

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(run(call)) for call in calls]
    except ExceptionGroup as group_error:
        # The first failure cancelled the rest; surface it as itself, not as a group.
        raise group_error.exceptions[0]  # keeps the original __cause__
    return [task.result() for task in tasks]
