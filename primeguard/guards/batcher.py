"""Dynamic batching: concurrent `submit` calls share one forward pass in a worker thread.

The first item to arrive opens a batch; it closes after `max_wait_ms` or when
`max_batch_size` items are waiting, whichever is first.  While a batch runs,
new items queue up and form the next batch without waiting, so under load
batches fill themselves.  One worker thread runs the blocking function: the
encoder already uses every core it is given, and two passes at once would
only contend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class DynamicBatcher(Generic[T, R]):
    """Gathers items from concurrent callers into batches for `fn` (list in, list out)."""

    def __init__(
        self,
        fn: Callable[[list[T]], Sequence[R]],
        *,
        max_batch_size: int = 64,
        max_wait_ms: float = 2.0,
        thread_name: str = "primeguard-guard",
    ) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be >= 1")
        self._fn = fn
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000.0
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
        self.batches_run = 0
        self._closed = False

    async def submit(self, items: Sequence[T]) -> list[R]:
        """Results for `items`, in order; raises what `fn` raised for their batch."""
        if self._closed:
            raise RuntimeError("batcher is closed")
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[R]] = [loop.create_future() for _ in items]
        self._pending.extend(zip(items, futures))
        if len(self._pending) >= self.max_batch_size:
            self._full.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._collect())
        return list(await asyncio.gather(*futures))

    async def _collect(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            if len(self._pending) < self.max_batch_size:
                try:
                    await asyncio.wait_for(self._full.wait(), self.max_wait)
                except TimeoutError:
                    pass
            self._full.clear()
            batch = self._pending[: self.max_batch_size]
            del self._pending[: self.max_batch_size]
            live = [(item, fut) for item, fut in batch if not fut.done()]  # skip cancelled callers
            if not live:
                continue
            try:
                results = await loop.run_in_executor(self._executor, self._fn, [i for i, _ in live])
            except Exception as exc:  # noqa: BLE001 - handed to every caller in the batch
                for _, fut in live:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            finally:
                self.batches_run += 1
            for (_, fut), result in zip(live, results):
                if not fut.done():
                    fut.set_result(result)

    async def close(self) -> None:
        self._closed = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for _, fut in self._pending:
            if not fut.done():
                fut.cancel()
        self._pending.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
