"""The `Guard` seam: a batch of texts in, one `GuardResult` per text out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from primeguard.verdicts import GuardResult, GuardText


@runtime_checkable
class Guard(Protocol):
    """A safety classifier over user inputs and assistant outputs.

    Implementations must keep blocking inference off the event loop, return
    results in input order, and map their own labels onto `Category`.  A
    failure raises `GuardUnavailable`; whether that fails open or closed is
    the caller's per-guard policy, not the guard's.
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str:
        """Changes whenever the guard's weights or thresholds change (it keys the decision cache)."""
        ...

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]: ...

    async def close(self) -> None: ...


class Masker(Protocol):
    """Rewrites texts so that what must not reach a model no longer does (`kind: pii`, `mask`)."""

    async def mask(self, texts: Sequence[str]) -> list[str]:
        """The texts with each finding replaced by a placeholder, in order; raises
        `primeguard.errors.MaskingUnavailable` when it cannot and must not pass them on."""
        ...


class GuardUnavailable(Exception):
    """The guard could not answer (timeout, open circuit, server error)."""
