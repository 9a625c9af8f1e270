"""The in-process model (`local/...`) as one more provider behind the seam."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from primeguard.errors import UpstreamUnavailable
from primeguard.upstream.local_model import LocalChatModel, LocalModelUnavailable
from primeguard.upstream.protocol import Body, Headers


class LocalUpstream:
    """Serves `local/<name>` from a `LocalChatModel`, loaded on first use."""

    def __init__(self, model: LocalChatModel) -> None:
        self._model = model

    async def _ready(self) -> None:
        try:
            await self._model.load()
        except LocalModelUnavailable as exc:
            raise UpstreamUnavailable(str(exc)) from exc

    async def complete(self, body: Body, headers: Headers | None = None) -> Body:
        await self._ready()
        return await self._model.complete(body)

    async def stream(self, body: Body, headers: Headers | None = None) -> AsyncIterator[Body]:
        await self._ready()
        async for chunk in self._model.stream(body):
            yield chunk

    async def score_choices(
        self, messages: list[dict[str, Any]], prefix: str, choices: Sequence[str]
    ) -> dict[str, float]:
        await self._ready()
        return await self._model.score_choices(messages, prefix, choices)

    async def warm_up(self) -> None:
        """Load weights at start-up so the first request does not pay for it."""
        await self._ready()

    async def aclose(self) -> None:
        return None
