"""In-process guard micro-benchmarks: texts/s at batch 1, 16, 64, and the output guard's cost per chunk.

Both need the in-process guard (`primeguard.guards.inprocess`); when it cannot
be imported or loaded the section reports why instead of a number.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator
from typing import Any


def guard_throughput(batch_sizes: tuple[int, ...] = (1, 16, 64), seconds: float = 1.0) -> dict[str, Any]:
    """Texts/s of the shipped guard per batch size, short (~30 token) and long (256 token) texts."""
    try:
        from primeguard.guards.backends import resolve_backend
        from primeguard.guards.benchmark import benchmark_guard
    except ImportError as exc:
        return {"skipped": f"in-process guard not importable: {exc}"}
    backend = resolve_backend("auto")
    with contextlib.redirect_stdout(io.StringIO()):
        results = benchmark_guard(backends=(backend,), batch_sizes=batch_sizes, seconds=seconds)
    return {"backend": backend, "texts_per_s": {f"{kind} batch {bs}": round(rate, 1)
                                                for (_, kind, bs), rate in results.items()}}


async def _chunks(words: int) -> AsyncIterator[dict[str, Any]]:
    for i in range(words):
        yield {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
               "choices": [{"index": 0, "delta": {"content": f" word{i}"}, "finish_reason": None}]}


async def _stream_cost(words: int) -> dict[str, Any]:
    from primeguard.guards.inprocess import InProcessGuard
    from primeguard.guards.settings import StreamSettings
    from primeguard.guards.thresholds import Tolerance
    from primeguard.output_guard import OutputGuard
    from primeguard.telemetry.bundle import Telemetry

    guard = InProcessGuard()
    settings = StreamSettings()
    output = OutputGuard(settings, Telemetry())
    try:
        async for _ in output.guard_stream([guard], _chunks(8), "warm up", Tolerance.DEFAULT, "bench"):
            pass
        before = guard.batches_run
        started = time.perf_counter()
        released = 0
        async for _ in output.guard_stream([guard], _chunks(words), "Tell me a story.", Tolerance.DEFAULT, "bench"):
            released += 1
        elapsed = time.perf_counter() - started
    finally:
        await guard.close()
    return {"chunks": words, "released": released, "window_checks": guard.batches_run - before,
            "mode": settings.mode.value, "window_tokens": settings.window_tokens,
            "stride_tokens": settings.stride_tokens,
            "us_per_chunk": round(elapsed / words * 1e6, 1), "ms_total": round(elapsed * 1000, 1)}


class _Instant:
    """A guard that answers at once: what is left of a chunk's cost is the output guard's own."""

    version = "0"

    def __init__(self, name: str = "instant") -> None:
        self.name = name
        self.calls = 0

    async def check(self, texts: Any) -> list[Any]:
        from primeguard.verdicts import GuardResult, Verdict

        self.calls += 1
        return [GuardResult(Verdict.SAFE, self.name, self.version) for _ in texts]

    async def close(self) -> None:
        return None


async def _overhead(words: int, pattern_guard: bool) -> dict[str, Any]:
    from primeguard.guards.settings import StreamSettings
    from primeguard.guards.thresholds import Tolerance
    from primeguard.output_guard import OutputGuard
    from primeguard.telemetry.bundle import Telemetry

    guards, settings = [_Instant()], StreamSettings()
    if pattern_guard:
        guards.append(_Instant("pattern"))
    output = OutputGuard(settings, Telemetry(), frozenset({"pattern"}))
    started = time.perf_counter()
    async for _ in output.guard_stream(guards, _chunks(words), "Tell me a story.", Tolerance.DEFAULT, "bench"):
        pass
    elapsed = time.perf_counter() - started
    checks = guards[0].calls
    return {"chunks": words, "window_checks": checks, "us_per_chunk": round(elapsed / words * 1e6, 1)}


def output_guard_overhead_per_chunk(words: int = 20_000, pattern_guard: bool = False) -> dict[str, Any]:
    """The output guard's own cost per chunk, with checks that cost nothing: reading the chunk,
    counting its tokens, holding it back and releasing it (one check per stride).  With
    `pattern_guard`, a second guard reads the stream as a pii guard does (`streaming/tail.py`)."""
    return asyncio.run(_overhead(words, pattern_guard))


def output_guard_per_chunk(words: int = 256) -> dict[str, Any]:
    """Wall time per streamed chunk (one word each) through the windowed output guard."""
    try:
        return asyncio.run(_stream_cost(words))
    except ImportError as exc:
        return {"skipped": f"in-process guard not importable: {exc}"}
