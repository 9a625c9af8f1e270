"""Dynamic batching: items from concurrent `submit` calls share one call of the batch function.

The first item to arrive opens a batch; it closes after `max_wait_ms` or when
`max_batch_size` items are waiting, whichever is first.  While batches run,
new items queue up and form the next batch without waiting, so under load
batches fill themselves.  A cancelled caller's items are skipped if their
batch has not left yet.

Two kinds of batch function:

* blocking (`DynamicBatcher(fn)`): a model's forward pass, run in one worker
  thread, one batch at a time: the encoder already uses every core it is
  given, and two passes at once would only contend;
* a coroutine (`DynamicBatcher(run=fn, max_in_flight=...)`): a request to a
  guard server (the TEI client's coalescing); several batches may be in
  flight at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

BatchCoroutine = Callable[[list[T]], Awaitable[Sequence[R]]]


class DynamicBatcher(Generic[T, R]):
    """Gathers items from concurrent callers into batches for `fn` (list in, list out)."""

    def __init__(
        self,
        fn: Callable[[list[T]], Sequence[R]] | None = None,
        *,
        run: BatchCoroutine[T, R] | None = None,
        max_batch_size: int = 64,
        max_wait_ms: float = 2.0,
        max_in_flight: int = 1,
        thread_name: str = "primeguard-guard",
    ) -> None:
        """Give `fn` (blocking, run in one worker thread) or `run` (a coroutine function)."""
        if (fn is None) == (run is None):
            raise ValueError("give either fn (blocking) or run (a coroutine function)")
        if max_batch_size < 1 or max_in_flight < 1:
            raise ValueError("max_batch_size and max_in_flight must be >= 1")
        self._executor: ThreadPoolExecutor | None = None
        if fn is not None:
            if max_in_flight != 1:
                raise ValueError("a blocking fn runs one batch at a time, in one thread")
            executor = self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=thread_name
            )

            async def in_thread(items: list[T]) -> Sequence[R]:
                return await asyncio.get_running_loop().run_in_executor(executor, fn, items)

            run = in_thread
        assert run is not None
        self._run: BatchCoroutine[T, R] = run
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000.0
        self._max_in_flight = max_in_flight
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
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
            task = asyncio.create_task(self._deliver(live))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            if len(self._in_flight) >= self._max_in_flight:
                await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)

    async def _deliver(self, live: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run([item for item, _ in live])
        except Exception as exc:  # noqa: BLE001 - handed to every caller in the batch
            for _, fut in live:
                if not fut.done():
                    fut.set_exception(exc)
            return
        except BaseException:  # cancelled (close): so are its callers
            for _, fut in live:
                fut.cancel()
            raise
        finally:
            self.batches_run += 1
        for (_, fut), result in zip(live, results):
            if not fut.done():
                fut.set_result(result)

    async def close(self) -> None:
        self._closed = True
        for task in [self._task, *self._in_flight]:
            if task is not None and not task.done():
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        for _, fut in self._pending:
            if not fut.done():
                fut.cancel()
        self._pending.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
