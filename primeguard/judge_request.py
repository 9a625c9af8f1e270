"""What identifies a judgement, for the decision cache key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class JudgeRequestView:
    tenant: str
    guidelines_version: str
    judge_model: str
    messages: Sequence[Mapping[str, Any]]
    offered: str = ""  # the request's tools and answer schema, as the judge reads them
