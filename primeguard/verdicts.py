"""The decisions the proxy takes, as frozen values.

Every step of the pipeline produces one of these; nothing returns tuples or
sentinels.  They are shared by the routing judge, the guards, the decision cache
and telemetry, so they live in one small module with no dependencies.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class Route(str, enum.Enum):
    """PrimeGuard's three routes, spelled exactly as the paper's judge emits them."""

    NO_RISK = "no_to_minimal_risk"
    POTENTIAL_VIOLATION = "potential_violation"
    DIRECT_VIOLATION = "direct_violation"


class DecisionSource(str, enum.Enum):
    """Why a route was taken: the judge, a guard, or a failure policy."""

    JUDGE = "judge"
    PARSE_FAILURE = "parse_failure"  # the judge answered, but not in its schema
    JUDGE_ERROR = "judge_error"  # timeout or upstream error, on_judge_error applied
    MANIPULATION = "manipulation"  # the judge echoed an answer planted in client text
    INPUT_GUARD = "input_guard"
    SPECULATIVE = "speculative"


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """The outcome of route selection for one conversation."""

    route: Route
    system_check_result: str = ""
    system_tip: str = ""
    source: DecisionSource = DecisionSource.JUDGE


class Verdict(str, enum.Enum):
    """Qwen3Guard-style tri-class verdict."""

    SAFE = "safe"
    CONTROVERSIAL = "controversial"
    UNSAFE = "unsafe"


_SEVERITY = {Verdict.SAFE: 0, Verdict.CONTROVERSIAL: 1, Verdict.UNSAFE: 2}


#: A verdict as a risk score, for guards that give no score of their own.
VERDICT_SCORES = {Verdict.SAFE: 0.0, Verdict.CONTROVERSIAL: 0.5, Verdict.UNSAFE: 1.0}


def severity(verdict: Verdict) -> int:
    """0 safe, 1 controversial, 2 unsafe."""
    return _SEVERITY[verdict]


def worst_verdict(verdicts: Iterable[Verdict]) -> Verdict:
    """The most severe of `verdicts` (safe for none)."""
    return max(verdicts, key=_SEVERITY.__getitem__, default=Verdict.SAFE)


class Category(str, enum.Enum):
    """Harm categories shared by every guard; served guards map theirs onto these."""

    VIOLENCE = "violence"
    HATE = "hate_harassment"
    SEXUAL = "sexual"
    SEXUAL_MINORS = "sexual_minors"
    SELF_HARM = "self_harm"
    ILLICIT = "illicit"
    WEAPONS_CBRN = "weapons_cbrn"
    PRIVACY = "privacy"
    PROMPT_INJECTION = "prompt_injection"


class TextRole(str, enum.Enum):
    """Which side of the conversation a guarded text comes from."""

    INPUT = "user"
    OUTPUT = "assistant"


@dataclass(frozen=True, slots=True)
class GuardText:
    """One text handed to a guard."""

    text: str
    role: TextRole = TextRole.INPUT


@dataclass(frozen=True, slots=True)
class GuardResult:
    """One guard's judgement of one text."""

    verdict: Verdict
    guard: str
    version: str
    scores: Mapping[Category, float] = field(default_factory=dict)
    #: Each scored category's own verdict under the guard's thresholds (empty: not known).
    #: It lets a tenant's thresholds re-decide one category without the others' cut-offs.
    by_category: Mapping[Category, Verdict] = field(default_factory=dict)
    #: The verdict the guard reached apart from any category (an overall head, a bare
    #: "unsafe"); None: not known, so a tenant's thresholds can only tighten the result.
    uncategorised: Verdict | None = None
    #: Why, in a few fixed words, where a rule rather than a score decided ("asks for a work's
    #: text whole"); never any of the text itself.  The judge's tip and the traces carry them.
    reasons: tuple[str, ...] = ()

    @property
    def cacheable(self) -> bool:
        """False for results a failure policy made up (`FallbackResult`): not a judgement to keep."""
        return True

    @property
    def flagged_categories(self) -> list[Category]:
        return [c for c, s in self.scores.items() if s >= 0.5]
