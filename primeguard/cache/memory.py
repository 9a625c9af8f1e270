"""The in-process decision cache: an LRU with per-entry TTL.

Used when no `cache.url` is configured.  Every operation is O(1): an
OrderedDict keeps recency, expired entries are dropped when read or when they
reach the cold end.  Deadlines use the monotonic clock so wall-clock jumps
neither expire nor resurrect entries.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from primeguard.cache.protocol import CacheBackend, CachedDecision, CacheStats, EventHook


@dataclass(frozen=True, slots=True)
class _Entry:
    value: CachedDecision
    expires_at: float


class MemoryDecisionCache:
    """A bounded, per-process `DecisionCache`; not shared between replicas."""

    def __init__(
        self,
        max_entries: int = 10_000,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_event: EventHook | None = None,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._stats = CacheStats(on_event=on_event)

    @property
    def backend(self) -> CacheBackend:
        return "memory"

    @property
    def stats(self) -> CacheStats:
        return self._stats

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> CachedDecision | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= self._clock():
            del self._entries[key]
            entry = None
        if entry is None:
            self._stats.record("misses")
            return None
        self._entries.move_to_end(key)
        self._stats.record("hits")
        return entry.value

    async def set(self, key: str, value: CachedDecision, ttl_s: float) -> None:
        if ttl_s <= 0:
            self._stats.record("dropped_writes")
            return
        self._entries[key] = _Entry(value, self._clock() + ttl_s)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        self._stats.record("writes")

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._entries.clear()
