"""Single-flight: concurrent misses for one key share one computation.

A burst of identical prompts (a retried request, a popular template) would
otherwise start one judge call each.  The first caller starts the work as a
task; later callers await the same task through `asyncio.shield`, so a caller
that is cancelled (client gone) does not cancel the work for the others.  The
last waiter to leave cancels it, so no orphaned task outlives every caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from primeguard.cache.protocol import CachedDecision, DecisionCache

T = TypeVar("T")


@dataclass(slots=True)
class _Flight(Generic[T]):
    task: asyncio.Task[T]
    waiters: int = 0


class SingleFlight:
    """Deduplicates concurrent async computations by key, within one process."""

    def __init__(self) -> None:
        self._flights: dict[str, _Flight[Any]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    async def do(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn` once for all concurrent callers of `key` and give each its result.

        Later callers' `fn` is ignored while a flight for `key` is running.  An
        exception from `fn` is raised to every waiter.
        """
        flight: _Flight[T] | None = self._flights.get(key)
        if flight is None:
            flight = _Flight(asyncio.ensure_future(fn()))
            self._flights[key] = flight
            flight.task.add_done_callback(lambda task: self._forget(key, task))
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        except asyncio.CancelledError:
            if flight.waiters == 1 and not flight.task.done():
                flight.task.cancel()  # nobody else wants it
                self._forget(key, flight.task)  # a newcomer starts afresh, not on a dying task
            raise
        finally:
            flight.waiters -= 1

    def _forget(self, key: str, task: asyncio.Task[Any]) -> None:
        current = self._flights.get(key)
        if current is not None and current.task is task:
            del self._flights[key]


@dataclass(frozen=True, slots=True)
class Lookup:
    """The result of `get_or_compute`: the decision, and whether the cache held it."""

    decision: CachedDecision
    hit: bool


async def get_or_compute(
    cache: DecisionCache,
    flight: SingleFlight,
    key: str,
    compute: Callable[[], Awaitable[CachedDecision]],
    ttl_for: Callable[[CachedDecision], float],
) -> Lookup:
    """Read `key`; on a miss compute once per key across concurrent callers and store it.

    Decisions that are not `cacheable` (failure-policy outcomes) are returned but
    never stored.  Errors from `compute` propagate; cache failures never do.
    """
    cached = await cache.get(key)
    if cached is not None:
        return Lookup(cached, hit=True)
    return Lookup(await fill_once(cache, flight, key, compute, ttl_for), hit=False)


async def fill_once(
    cache: DecisionCache,
    flight: SingleFlight,
    key: str,
    compute: Callable[[], Awaitable[CachedDecision]],
    ttl_for: Callable[[CachedDecision], float],
) -> CachedDecision:
    """After a miss: compute once per key across concurrent callers; store it if `cacheable`."""

    async def fill() -> CachedDecision:
        value = await compute()
        if value.cacheable:
            await cache.set(key, value, ttl_for(value))
        return value

    return await flight.do(key, fill)
