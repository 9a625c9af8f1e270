"""Per-category thresholds and the tri-class verdict, with per-tenant tolerance.

Every head has two thresholds: at or above ``controversial`` a text is
controversial for that head, at or above ``unsafe`` it is unsafe.  The verdict
is the worst over heads.  A tenant's tolerance then folds the middle class:
``strict`` treats controversial as unsafe, ``loose`` as safe, ``default``
keeps all three (Qwen3Guard's strict/loose reading of one model).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from primeguard.verdicts import Category, GuardResult, Verdict, worst_verdict


class Tolerance(str, enum.Enum):
    STRICT = "strict"
    DEFAULT = "default"
    LOOSE = "loose"


@dataclass(frozen=True, slots=True)
class Threshold:
    controversial: float
    unsafe: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.controversial <= self.unsafe <= 1.0:
            raise ValueError(f"need 0 <= controversial <= unsafe <= 1, got {self}")


Thresholds = Mapping[str, Threshold]  # keyed by Category value, or "unsafe" for the overall head


def _key(name: Category | str) -> str:
    return name.value if isinstance(name, Category) else name


def apply_tolerance(verdict: Verdict, tolerance: Tolerance | str) -> Verdict:
    """Fold the controversial class according to a tenant's tolerance."""
    tolerance = Tolerance(tolerance)
    if verdict is Verdict.CONTROVERSIAL and tolerance is Tolerance.STRICT:
        return Verdict.UNSAFE
    if verdict is Verdict.CONTROVERSIAL and tolerance is Tolerance.LOOSE:
        return Verdict.SAFE
    return verdict


class Cutoffs(Protocol):
    """A pair of cut-offs (`Threshold` here, `ThresholdPair` in the config)."""

    @property
    def controversial(self) -> float: ...

    @property
    def unsafe(self) -> float: ...


def threshold_verdict(score: float, t: Cutoffs) -> Verdict:
    """One score's verdict: unsafe at or above `t.unsafe`, controversial at or above `t.controversial`."""
    if score >= t.unsafe:
        return Verdict.UNSAFE
    return Verdict.CONTROVERSIAL if score >= t.controversial else Verdict.SAFE


# A gated category head's `unsafe` counts only where the overall head scores at least this.
CATEGORY_GATE = 0.5
# The heads whose lone `unsafe` (the overall head under the gate), held out by source, was
# mostly benign: removing it cut benign flags and cost held-out harm (benign : harmful texts)
# violence 6 : 1, weapons 14 : 10, privacy 11 : 10, prompt injection 21 : 5.  For sexual
# (7 : 43), self-harm (19 : 28), sexual/minors, hate and illicit a lone head caught more harm
# than it falsely flagged, so they decide alone (`bench.category_gate`).
GATED_CATEGORIES: tuple[Category, ...] = (
    Category.VIOLENCE,
    Category.WEAPONS_CBRN,
    Category.PRIVACY,
    Category.PROMPT_INJECTION,
)
_GATED = frozenset(category.value for category in GATED_CATEGORIES)


def gate_category(verdict: Verdict, overall: float, gate: float | None) -> Verdict:
    """A gated category head's verdict, capped at `controversial` where the overall head
    scores under `gate`: such a lone flag is weak evidence, so the judge decides, and strict
    tenants still refuse."""
    if gate is not None and verdict is Verdict.UNSAFE and overall < gate:
        return Verdict.CONTROVERSIAL
    return verdict


def head_verdicts(
    scores: Mapping[str, float],
    thresholds: Thresholds,
    overall: str,
    gate: float | None,
    gated: Collection[str] = _GATED,
) -> dict[str, Verdict]:
    """Each head's verdict under its thresholds (a head without any says nothing), the
    `gated` heads capped by the `overall` head's score (`gate_category`)."""
    verdicts = {}
    for name, score in scores.items():
        t = thresholds.get(name)
        verdict = threshold_verdict(score, t) if t is not None else Verdict.SAFE
        if name in gated and name != overall:
            verdict = gate_category(verdict, scores[overall], gate)
        verdicts[name] = verdict
    return verdicts


def worst_under(results: Iterable[GuardResult], tolerance: Tolerance) -> Verdict:
    """The worst of several guards' verdicts, each folded by the tenant's tolerance."""
    return worst_verdict(apply_tolerance(r.verdict, tolerance) for r in results)


def apply_thresholds(
    scores: Mapping[Category | str, float],
    thresholds: Thresholds,
    tolerance: Tolerance | str = Tolerance.DEFAULT,
) -> Verdict:
    """The worst verdict over all scored heads that have thresholds, folded by `tolerance`.

    Heads without a threshold are ignored, so a tenant can pass a partial
    mapping merged over the shipped defaults (see `merge_thresholds`).
    """
    verdict = worst_verdict(
        threshold_verdict(score, t)
        for name, score in scores.items()
        if (t := thresholds.get(_key(name))) is not None
    )
    return apply_tolerance(verdict, tolerance)


def merge_thresholds(
    base: Thresholds, overrides: Mapping[Category | str, Threshold]
) -> dict[str, Threshold]:
    merged = dict(base)
    merged.update({_key(k): v for k, v in overrides.items()})
    return merged


def parse_thresholds(meta: Mapping[str, Any], key: str = "thresholds") -> dict[str, Threshold]:
    """One threshold set (`thresholds`, or `thresholds_heads_only`) of a parsed `thresholds.json`."""
    return {
        k: Threshold(float(v["controversial"]), float(v["unsafe"])) for k, v in meta[key].items()
    }


def load_thresholds(path: Path) -> dict[str, Threshold]:
    return parse_thresholds(json.loads(path.read_text(encoding="utf-8")))


def dump_thresholds(thresholds: Thresholds) -> dict[str, dict[str, float]]:
    return {
        k: {"controversial": round(t.controversial, 6), "unsafe": round(t.unsafe, 6)}
        for k, t in sorted(thresholds.items())
    }


class GuardAction(str, enum.Enum):
    """What a verdict leads to under a tolerance."""

    ALLOW = "allow"
    ESCALATE = "escalate"  # e.g. PrimeGuard's potential_violation route
    BLOCK = "block"


def guard_action(verdict: Verdict, tolerance: Tolerance) -> GuardAction:
    """What the pipeline does with a verdict under a tenant's tolerance.

    Qwen3Guard's reading: `strict` blocks controversial, `loose` allows it,
    and `default` escalates it (PrimeGuard's potential_violation route).
    """
    if verdict is Verdict.UNSAFE:
        return GuardAction.BLOCK
    if verdict is Verdict.SAFE:
        return GuardAction.ALLOW
    return _CONTROVERSIAL_ACTION[tolerance]


def blocking_verdicts(tolerance: Tolerance) -> frozenset[Verdict]:
    """The verdicts that stop a stream under `tolerance` (`WindowedOutputGuard(block_on=...)`)."""
    if tolerance is Tolerance.STRICT:
        return frozenset({Verdict.UNSAFE, Verdict.CONTROVERSIAL})
    return frozenset({Verdict.UNSAFE})


_CONTROVERSIAL_ACTION = {
    Tolerance.STRICT: GuardAction.BLOCK,
    Tolerance.DEFAULT: GuardAction.ESCALATE,
    Tolerance.LOOSE: GuardAction.ALLOW,
}
