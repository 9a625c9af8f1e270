"""A tenant's own thresholds per category, over any guard.

    tenants:
      - name: kids-app
        thresholds: {violence: {controversial: 0.2, unsafe: 0.5}}

`TenantThresholds` wraps a guard for one tenant.  Each result is re-decided:
an overridden category's verdict comes from its score under the tenant's
pair; every other category keeps the guard's own verdict (`by_category`);
and a verdict the guard reached without any category (`uncategorised`:
MiniLM's overall head, a generative guard's bare "unsafe") stands.  Fail-open/closed results are
not scores, so they pass unchanged.  The wrapper's version includes the
overrides, so decisions cached under other thresholds are never reused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from pydantic import TypeAdapter, ValidationError

from primeguard.errors import config_error
from primeguard.guards.policy import FallbackResult
from primeguard.guards.protocol import Guard
from primeguard.guards.settings import ThresholdPair
from primeguard.guards.thresholds import threshold_verdict
from primeguard.verdicts import Category, GuardResult, GuardText, Verdict, worst_verdict

Overrides = Mapping[Category, ThresholdPair]

#: The calling tenant's overrides while its `TenantThresholds` runs the guard beneath, so a
#: cascade decides what to escalate under them, not under the global cut-offs.
ACTIVE_OVERRIDES: ContextVar[Overrides] = ContextVar(
    "tenant_overrides", default=MappingProxyType({})
)
_ADAPTER: TypeAdapter[dict[Category, ThresholdPair]] = TypeAdapter(dict[Category, ThresholdPair])


def parse_overrides(raw: Mapping[str, Any] | None, where: str) -> dict[Category, ThresholdPair]:
    """Validate a tenant's `thresholds:` mapping; problems become a `ConfigError` naming the key."""
    try:
        return _ADAPTER.validate_python(dict(raw or {}))
    except ValidationError as exc:
        raise config_error(exc, where) from None


def overrides_digest(overrides: Overrides) -> str:
    """A short, order-independent digest of the overrides ('' when there are none)."""
    if not overrides:
        return ""
    spec = sorted((c.value, p.controversial, p.unsafe) for c, p in overrides.items())
    return hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:12]


def retune(result: GuardResult, overrides: Overrides) -> GuardResult:
    """`result` re-decided under the tenant's per-category thresholds."""
    # A failure policy's made-up verdict has no scores to re-decide; a cascade's fallback
    # that carries its first stage's judgement does.
    if not overrides or (isinstance(result, FallbackResult) and not result.scores):
        return result
    known = result.by_category
    residual = result.uncategorised
    if residual is None:
        # Not reported: whatever the categories do not explain stands (at worst, all of it).
        explained = worst_verdict(known.values())
        residual = (
            result.verdict
            if worst_verdict([result.verdict, explained]) is not explained
            else Verdict.SAFE
        )
    by_category = dict(known)
    for category, pair in overrides.items():
        if category in result.scores:
            by_category[category] = threshold_verdict(result.scores[category], pair)
    verdict = worst_verdict([residual, *by_category.values()])
    return dataclasses.replace(result, verdict=verdict, by_category=by_category)


class TenantThresholds:
    """`guard` as one tenant sees it: the same checks, that tenant's cut-offs."""

    def __init__(self, guard: Guard, overrides: Overrides) -> None:
        self._guard = guard
        self._overrides = dict(overrides)
        self._version = f"{guard.version}+t{overrides_digest(overrides)}"

    @property
    def name(self) -> str:
        return self._guard.name

    @property
    def version(self) -> str:
        return self._version

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
        token = ACTIVE_OVERRIDES.set(self._overrides)
        try:
            results = await self._guard.check(texts)
        finally:
            ACTIVE_OVERRIDES.reset(token)
        return [retune(r, self._overrides) for r in results]

    async def close(self) -> None:
        """The wrapped guard is shared with other tenants; its owner closes it."""
