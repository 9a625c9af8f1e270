"""The `guards:` section of the config file: which guards run where, and how.

    guards:
      input: [minilm]
      output: [minilm]
      definitions:
        minilm: {kind: inprocess}
        promptguard: {kind: tei, url: http://tei:8080, timeout_s: 0.5, fail_mode: open,
                      labels: {MALICIOUS: prompt_injection}}
        llamaguard: {kind: chat, url: http://vllm:8000/v1, model: meta-llama/Llama-Guard-3-1B,
                     format: llama_guard, fail_mode: closed}
        screened: {kind: cascade, first: minilm, then: llamaguard}  # llamaguard sees the unsure texts
      stream: {mode: hold_back, window_tokens: 64, stride_tokens: 16}
      thresholds: {violence: {controversial: 0.4, unsafe: 0.7}}
      tolerance: default

Everything is frozen and validated once by `parse_guards`, which turns any
problem into a `ConfigError` naming the key path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError, model_validator

from primeguard.errors import config_error
from primeguard.guards.cascade_config import check_cascade
from primeguard.guards.definition_base import (
    DEFAULT_THRESHOLDS,
    BreakerSettings,
    FailMode,
    FrozenModel,
    ThresholdPair,
    category_verdicts,
    verdict_from_scores,
)
from primeguard.guards.definitions import (
    CascadeDefinition,
    ChatDefinition,
    ChatFormat,
    GuardDefinition,
    InProcessDefinition,
    JudgeDefinition,
    PiiDefinition,
    TEIDefinition,
)
from primeguard.guards.thresholds import Threshold, Tolerance
from primeguard.streaming.events import HoldBackRelease, StreamMode
from primeguard.verdicts import Category

__all__ = [
    "DEFAULT_THRESHOLDS",
    "BreakerSettings",
    "CascadeDefinition",
    "ChatDefinition",
    "ChatFormat",
    "FailMode",
    "GuardDefinition",
    "GuardSettings",
    "InProcessDefinition",
    "JudgeDefinition",
    "PiiDefinition",
    "StreamSettings",
    "TEIDefinition",
    "ThresholdPair",
    "category_verdicts",
    "parse_guards",
    "verdict_from_scores",
]


class StreamSettings(FrozenModel):
    mode: StreamMode = Field(
        default=StreamMode.HOLD_BACK, description="hold_back leaks nothing; stream_first is faster"
    )
    window_tokens: int = Field(default=64, ge=1, le=8192)
    stride_tokens: int = Field(default=16, ge=1, le=8192)
    release: HoldBackRelease = Field(
        default=HoldBackRelease.EVERY_WINDOW,
        description="hold_back: every_window judges each token with W - S tokens after it; "
        "first_window releases it ~W - S tokens sooner (TTFT ~stride)",
    )

    @model_validator(mode="after")
    def _stride_fits(self) -> StreamSettings:
        if self.stride_tokens > self.window_tokens:
            raise ValueError("stride_tokens must not exceed window_tokens")
        return self


def _default_definitions() -> dict[str, GuardDefinition]:
    return {"minilm": InProcessDefinition()}


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


class GuardSettings(FrozenModel):
    """The whole `guards:` section."""

    input: tuple[str, ...] = Field(default=("minilm",), description="guards run on user input")
    output: tuple[str, ...] = Field(default=("minilm",), description="guards run on model output")
    definitions: dict[str, GuardDefinition] = Field(default_factory=_default_definitions)
    stream: StreamSettings = StreamSettings()
    thresholds: dict[Category, ThresholdPair] = Field(default_factory=dict)
    tolerance: Tolerance = Tolerance.DEFAULT

    @model_validator(mode="before")
    @classmethod
    def _no_implicit_minilm(cls, data: Any) -> Any:
        """With explicit definitions, an omitted input/output list means no guards, not minilm."""
        if isinstance(data, dict) and "definitions" in data:
            data = {"input": (), "output": (), **data}
        return data

    @model_validator(mode="after")
    def _names_defined(self) -> GuardSettings:
        for name in self.definitions:  # names are joined with "+" in merged results
            if not _NAME.fullmatch(name):
                raise ValueError(f"definitions: guard name {name!r} must match {_NAME.pattern}")
        for side in ("input", "output"):
            for name in getattr(self, side):
                if name not in self.definitions:
                    raise ValueError(f"{side}: guard {name!r} has no entry in definitions")
        for name, definition in self.definitions.items():
            if isinstance(definition, CascadeDefinition):
                check_cascade(name, definition, self.definitions)
        return self

    def threshold_overrides(self) -> dict[str, Threshold]:
        """The configured thresholds in `guards.thresholds`' form, for `merge_thresholds`."""
        return {c.value: Threshold(p.controversial, p.unsafe) for c, p in self.thresholds.items()}

    def thresholds_for(self, definition: GuardDefinition) -> dict[Category, ThresholdPair]:
        """Global thresholds with the definition's own overrides applied."""
        merged = dict(self.thresholds)
        merged.update(getattr(definition, "thresholds", {}))
        return merged


def parse_guards(raw: Mapping[str, Any] | None, source: str = "<config>") -> GuardSettings:
    """Validate the raw `guards:` mapping; every problem becomes one `ConfigError`."""
    try:
        return GuardSettings.model_validate(dict(raw or {}))
    except ValidationError as exc:
        raise config_error(exc, "guards", source=source) from None
