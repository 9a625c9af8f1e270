"""What every guard definition shares: strictness, failure policy, thresholds, version."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

from primeguard.guards.thresholds import threshold_verdict
from primeguard.verdicts import Category, Verdict, worst_verdict


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FailMode(str, enum.Enum):
    """What a guard's failure means: `open` lets the text through, `closed` blocks it."""

    OPEN = "open"
    CLOSED = "closed"


class ThresholdPair(FrozenModel):
    """Score cut-offs for one category: at or above `controversial`, then at or above `unsafe`."""

    controversial: float = Field(default=0.5, ge=0.0, le=1.0)
    unsafe: float = Field(default=0.8, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdPair:
        if self.controversial > self.unsafe:
            raise ValueError("controversial must not exceed unsafe")
        return self


DEFAULT_THRESHOLDS = ThresholdPair()


def category_verdicts(
    scores: Mapping[Category, float], thresholds: Mapping[Category, ThresholdPair] | None = None
) -> dict[Category, Verdict]:
    """Each category's verdict under its thresholds (the defaults where none is set)."""
    return {
        c: threshold_verdict(s, (thresholds or {}).get(c, DEFAULT_THRESHOLDS))
        for c, s in scores.items()
    }


def verdict_from_scores(
    scores: Mapping[Category, float], thresholds: Mapping[Category, ThresholdPair] | None = None
) -> Verdict:
    """The worst verdict any category's score reaches under its thresholds."""
    return worst_verdict(category_verdicts(scores, thresholds).values())


class BreakerSettings(FrozenModel):
    failure_threshold: int = Field(
        default=5, ge=1, description="consecutive failures that open the circuit"
    )
    reset_s: float = Field(
        default=10.0, gt=0, description="seconds open before one probe is let through"
    )


class _GuardBase(FrozenModel):
    fail_mode: FailMode = Field(
        default=FailMode.CLOSED, description="open: pass on failure; closed: block"
    )
    timeout_s: float = Field(
        default=2.0, gt=0, description="the whole check, all texts of one call"
    )
    breaker: BreakerSettings = BreakerSettings()
    version: str | None = Field(
        default=None, description="cache key; default: a hash of this definition"
    )

    def default_version(self, name: str) -> str:
        if self.version is not None:
            return self.version
        digest = hashlib.sha256(self.model_dump_json(exclude={"api_key"}).encode()).hexdigest()
        return f"{name}:{digest[:12]}"
