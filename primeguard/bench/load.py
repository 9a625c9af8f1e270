"""The load generator: N requests at concurrency C against one URL, timed per request.

aiohttp with keep-alive (it costs the client less CPU than httpx, and the
client shares the machine with the servers it measures).  Streaming requests
are timed to the first chunk that carries content (time to first token).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass
class Cell:
    """The samples of one run: latencies in seconds, statuses counted."""

    latencies: list[float] = field(default_factory=list)  # whole response (non-stream) or TTFT (stream)
    totals: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)  # x-primeguard-route (+ route source), "-" if absent
    wall_s: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def rps(self) -> float:
        return self.ok / self.wall_s if self.wall_s else 0.0

    def extend(self, other: Cell) -> None:
        self.latencies += other.latencies
        self.totals += other.totals
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        for route, count in other.routes.items():
            self.routes[route] = self.routes.get(route, 0) + count
        self.wall_s += other.wall_s


async def first_content(response: aiohttp.ClientResponse) -> bool:
    """Read SSE lines until a chunk carries content; True if one did."""
    async for line in response.content:
        if not line.startswith(b"data: ") or line.startswith(b"data: [DONE]"):
            continue
        try:
            chunk = json.loads(line[6:])
        except ValueError:
            continue
        for choice in chunk.get("choices") or []:
            if (choice.get("delta") or {}).get("content"):
                return True
    return False


async def _one(session: aiohttp.ClientSession, url: str, body: Mapping[str, Any],
               headers: Mapping[str, str], stream: bool, cell: Cell) -> None:
    started = time.perf_counter()
    first = None
    try:
        async with session.post(url, json=body, headers=headers) as response:
            status = response.status
            route = response.headers.get("x-primeguard-route", "-")
            if route != "-":
                route += "/" + response.headers.get("x-primeguard-route-source", "?")
            cell.routes[route] = cell.routes.get(route, 0) + 1
            if stream and status == 200:
                await first_content(response)
                first = time.perf_counter() - started
                async for _ in response.content.iter_any():
                    pass
            else:
                await response.read()
    except (TimeoutError, aiohttp.ClientError):
        status = 599
    total = time.perf_counter() - started
    cell.statuses[status] = cell.statuses.get(status, 0) + 1
    if status == 200:
        cell.latencies.append(first if first is not None else total)
        cell.totals.append(total)


async def run_cell(url: str, body: Mapping[str, Any], *, n: int, concurrency: int, stream: bool = False,
                   headers: Mapping[str, str] | None = None, timeout_s: float = 60.0) -> Cell:
    """Send `n` copies of `body` with `concurrency` clients; return the samples."""
    cell = Cell()
    payload = {**body, "stream": stream}
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    remaining = n

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await _one(session, url, payload, headers or {}, stream, cell)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(min(concurrency, n))))
        cell.wall_s = time.perf_counter() - started
    return cell
