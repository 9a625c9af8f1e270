"""What the decision cache stores, how it is encoded, and the store Protocol.

A cached value is the input-side decision only: the route and the input
guards' results (scores, each category's verdict, the verdict apart from any
category and a rule's reasons), so a hit decides as the miss that stored it.  A
generative guard's raw labels and refusal flag (`ChatGuardResult`) are not kept:
a hit carries the plain `GuardResult` they were mapped to.
It is stored as JSON carrying a schema version `v`; a reader
treats an unknown version or a malformed value as a miss, so replicas running
two releases side by side never fail on each other's entries.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from primeguard.verdicts import Category, DecisionSource, GuardResult, Route, RouteDecision, Verdict

#: Bump whenever the encoded shape changes; older entries then read as misses.
#: 2: a guard result keeps `by_category`, `uncategorised` and `reasons`.
SCHEMA_VERSION = 2

#: Decisions taken by a failure policy are transient and must not outlive the failure.
_UNCACHEABLE_SOURCES = frozenset({DecisionSource.JUDGE_ERROR, DecisionSource.PARSE_FAILURE})

EventHook = Callable[[str], None]

#: Which store answers: the in-process LRU or Redis.
CacheBackend = Literal["memory", "redis"]


@dataclass(frozen=True, slots=True)
class CachedDecision:
    """The input-side decision for one conversation: route plus input guard results."""

    route: RouteDecision
    input_guards: tuple[GuardResult, ...] = ()

    @property
    def cacheable(self) -> bool:
        """False for decisions that came from a failure policy rather than a judgement
        (the judge's, or a guard's that failed open or closed)."""
        return self.route.source not in _UNCACHEABLE_SOURCES and all(
            g.cacheable for g in self.input_guards
        )

    @property
    def refuses(self) -> bool:
        """True when the conversation will be refused: a direct violation or an unsafe input."""
        return self.route.route is Route.DIRECT_VIOLATION or any(
            g.verdict is Verdict.UNSAFE for g in self.input_guards
        )


def encode_decision(value: CachedDecision) -> bytes:
    """Serialise to compact JSON with the schema version."""
    body = {
        "v": SCHEMA_VERSION,
        "route": {
            "route": value.route.route.value,
            "system_check_result": value.route.system_check_result,
            "system_tip": value.route.system_tip,
            "source": value.route.source.value,
        },
        "guards": [
            {
                "verdict": g.verdict.value,
                "guard": g.guard,
                "version": g.version,
                "scores": {c.value: s for c, s in g.scores.items()},
                "by_category": {c.value: v.value for c, v in g.by_category.items()},
                "uncategorised": g.uncategorised.value if g.uncategorised is not None else None,
                "reasons": list(g.reasons),
            }
            for g in value.input_guards
        ],
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def decode_decision(raw: bytes | str) -> CachedDecision | None:
    """Parse a stored value; None for another schema version or anything malformed."""
    try:
        body = json.loads(raw)
        if not isinstance(body, dict) or body.get("v") != SCHEMA_VERSION:
            return None
        return _from_body(body)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError):
        # ValueError covers bad JSON, bad UTF-8 and unknown enum values alike;
        # RecursionError, JSON nested deeper than the parser's stack; OverflowError, an
        # integer too large for a float.
        return None


def _from_body(body: dict[str, Any]) -> CachedDecision:
    r = body["route"]
    route = RouteDecision(
        route=Route(r["route"]),
        system_check_result=_str(r["system_check_result"]),
        system_tip=_str(r["system_tip"]),
        source=DecisionSource(r["source"]),
    )
    guards = tuple(
        GuardResult(
            verdict=Verdict(g["verdict"]),
            guard=_str(g["guard"]),
            version=_str(g["version"]),
            scores={Category(c): _score(s) for c, s in g["scores"].items()},
            by_category={Category(c): Verdict(v) for c, v in g["by_category"].items()},
            uncategorised=None if g["uncategorised"] is None else Verdict(g["uncategorised"]),
            reasons=tuple(_str(r) for r in _list(g["reasons"])),
        )
        for g in _list(body["guards"])
    )
    return CachedDecision(route=route, input_guards=guards)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _score(value: Any) -> float:
    """A finite number (not a bool, a string or NaN, which would fail every comparison)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    score = float(value)
    if not math.isfinite(score):
        raise ValueError("expected a finite number")
    return score


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class CacheStatsSnapshot:
    """A point-in-time copy of `CacheStats`, safe to hand to exporters."""

    hits: int
    misses: int
    errors: int
    bypassed: int
    writes: int
    dropped_writes: int
    undecodable: int
    breaker_state: str


@dataclass(slots=True)
class CacheStats:
    """Counters of one store.  `errors` and `bypassed` operations also count as misses
    (reads) or dropped writes (writes); `breaker_state` is "closed" for the memory store."""

    hits: int = 0
    misses: int = 0
    errors: int = 0
    bypassed: int = 0
    writes: int = 0
    dropped_writes: int = 0
    undecodable: int = 0  # values of another schema version, or malformed; also misses
    breaker_state: str = "closed"
    on_event: EventHook | None = field(default=None, repr=False)

    def record(self, counter: str) -> None:
        """Add one to the counter named `counter` and forward the name to the hook."""
        setattr(self, counter, getattr(self, counter) + 1)
        if self.on_event is not None:
            self.on_event(counter)

    def set_breaker_state(self, state: str) -> None:
        """Note a breaker transition; the hook sees "breaker_<state>"."""
        self.breaker_state = state
        if self.on_event is not None:
            self.on_event(f"breaker_{state}")

    def snapshot(self) -> CacheStatsSnapshot:
        return CacheStatsSnapshot(
            hits=self.hits,
            misses=self.misses,
            errors=self.errors,
            bypassed=self.bypassed,
            writes=self.writes,
            dropped_writes=self.dropped_writes,
            undecodable=self.undecodable,
            breaker_state=self.breaker_state,
        )


@runtime_checkable
class DecisionCache(Protocol):
    """A store of `CachedDecision`s keyed by `keys.decision_key`.

    Implementations never raise on a store failure: a failed or skipped read is
    a miss, a failed or skipped write is dropped, and both are counted in `stats`.
    """

    @property
    def backend(self) -> CacheBackend:
        """Which store this is ("memory" or "redis"), for logs and metric labels."""
        ...

    @property
    def stats(self) -> CacheStats:
        """Live counters of this store."""
        ...

    async def get(self, key: str) -> CachedDecision | None:
        """The stored decision, or None on a miss, expiry, store failure or foreign schema."""
        ...

    async def set(self, key: str, value: CachedDecision, ttl_s: float) -> None:
        """Store `value` for `ttl_s` seconds; best effort."""
        ...

    async def ping(self) -> bool:
        """True when the store answers now; for readiness probes."""
        ...

    async def close(self) -> None:
        """Release connections; the cache must not be used afterwards."""
        ...
