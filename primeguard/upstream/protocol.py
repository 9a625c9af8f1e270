"""The `Upstream` seam: one OpenAI-shaped interface over every provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

Body = dict[str, Any]
Headers = Mapping[str, str]


@runtime_checkable
class Upstream(Protocol):
    """A chat provider.  Bodies and results are OpenAI JSON (dicts).

    Errors are raised as `primeguard.errors.UpstreamError` subclasses; the
    implementation maps its own library's exceptions at this boundary.
    Closing the `stream` iterator early cancels the provider request.
    """

    async def complete(self, body: Body, headers: Headers | None = None) -> Body: ...

    def stream(self, body: Body, headers: Headers | None = None) -> AsyncIterator[Body]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ChoiceScorer(Protocol):
    """An upstream that can score fixed continuations by likelihood (local models).

    The judge uses it to make a small model's route valid by construction
    instead of hoping it writes parseable JSON.
    """

    async def score_choices(
        self, messages: list[dict[str, Any]], prefix: str, choices: Sequence[str]
    ) -> dict[str, float]: ...
