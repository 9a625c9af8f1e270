"""Small seams and stream helpers shared by the pipeline's steps."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TypeVar

from primeguard.routing.judge import RouteJudge
from primeguard.upstream.registry import ModelTarget

T = TypeVar("T")

#: Picks the judge implementation for a judge model (LLM JSON or label likelihood).
JudgeFactory = Callable[[ModelTarget], RouteJudge]


async def stream_of(items: Iterable[T]) -> AsyncIterator[T]:
    for item in items:
        yield item


async def primed(source: AsyncIterator[T]) -> AsyncIterator[T]:
    """Wait for the first item before answering, so an upstream failure is still an HTTP error.

    Returns an iterator that yields that first item, then the rest.
    """
    iterator = aiter(source)
    try:
        first = await anext(iterator)
    except StopAsyncIteration:
        return stream_of(())
    except BaseException:
        with contextlib.suppress(Exception):
            await iterator.aclose()  # type: ignore[attr-defined]
        raise

    async def chained() -> AsyncIterator[T]:
        try:
            yield first
            async for item in iterator:
                yield item
        finally:
            with contextlib.suppress(Exception):
                await iterator.aclose()  # type: ignore[attr-defined]

    return chained()
