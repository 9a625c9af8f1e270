"""What the heads cannot see in an input, checked beside them: four rules.

- `readability`: text the English encoder cannot read (other languages,
  mostly) is at least controversial, never safe;
- `reproduction`: a request for a work's lyrics, chapter or script whole is
  a copyright violation (`illicit`), at the operator's level;
- `deception`: a request to write disinformation, `unsafe` with fabricated
  evidence and `controversial` for a false claim asserted, at most at the
  operator's level;
- `threats`: a threat, a call for violence or praise of a massacre, including
  the veiled ones the heads miss, under `violence` at the operator's level.

All run on input only, in the batcher's worker thread with the encoder (the
language identifier loads there, once), and all name themselves in the
guard's version, so a rule change invalidates cached verdicts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from primeguard.guards import deception, readability, reproduction, threats
from primeguard.guards.heads import OVERALL
from primeguard.guards.readability import Readability
from primeguard.guards.thresholds import Tolerance, apply_tolerance
from primeguard.verdicts import Category, Verdict, severity, worst_verdict

ILLICIT = Category.ILLICIT.value
VIOLENCE = Category.VIOLENCE.value


@dataclass(frozen=True)
class Findings:
    """What the rules found in one input."""

    unreadable: bool = False
    #: The verdict each rule gives (its finding, capped at the operator's level), or None.
    reproduction: Verdict | None = None
    deception: Verdict | None = None
    threat: Verdict | None = None


NOTHING = Findings()


# Each verdict rule: its name in the guard's version, and what it finds (None: nothing).
_DETECTORS: dict[str, tuple[str, Callable[[str], Verdict | None]]] = {
    "reproduction": (
        reproduction.RULE,
        lambda text: Verdict.UNSAFE if reproduction.reproduction_request(text) else None,
    ),
    "deception": (deception.RULE, deception.deception_request),
    "threat": (threats.RULE, lambda text: Verdict.UNSAFE if threats.threat(text) else None),
}


class InputRules:
    """The rules an in-process guard applies to input; `check` from one thread only.

    Each verdict rule's finding is capped at its operator-set level (None: the rule is off)."""

    def __init__(
        self,
        escalate_unreadable: bool,
        reproduction_level: Verdict | None,
        deception_level: Verdict | None = None,
        threat_level: Verdict | None = None,
    ) -> None:
        levels = {
            "reproduction": reproduction_level,
            "deception": deception_level,
            "threat": threat_level,
        }
        if Verdict.SAFE in levels.values():
            raise ValueError("a rule's level is unsafe, controversial or off (None)")
        self.escalate_unreadable = escalate_unreadable
        self._levels = {name: level for name, level in levels.items() if level is not None}
        self._readability: Readability | None = None

    @property
    def active(self) -> bool:
        return self.escalate_unreadable or bool(self._levels)

    def spec(self) -> list[object]:
        """What decides the rules' findings, for the guard's version."""
        return [
            [readability.RULE, readability.language_model()] if self.escalate_unreadable else None,
            *(
                [_DETECTORS[name][0], level.value] if (level := self._levels.get(name)) else None
                for name in _DETECTORS
            ),
        ]

    def check(self, text: str) -> Findings:
        found = {}
        for name, level in self._levels.items():
            finding = _DETECTORS[name][1](text)
            found[name] = min(finding, level, key=severity) if finding is not None else None
        return Findings(self.escalate_unreadable and self._unreadable(text), **found)

    def _unreadable(self, text: str) -> bool:
        if self._readability is None:
            from primeguard.guards.encoder import model_dir

            self._readability = Readability.from_tokenizer(model_dir() / "tokenizer.json")
            readability.language("warm up the language model")  # loads it, ~0.7 s: not later
        return self._readability.unreadable(text)


#: What each finding tells the judge (`GuardResult.reasons`): fixed words, no text.
UNREADABLE = "written in a language the guard cannot read"
REPRODUCTION = "asks for a copyrighted work's text whole"
FABRICATION = "asks for disinformation with fabricated evidence or a false voice"
ASSERTION = "asks for a piece presenting a likely false claim as true"
THREAT = "threatens, calls for violence or praises a massacre"


def apply_findings(
    found: Findings, heads: dict[str, Verdict], scores: dict[str, float], fold: Tolerance | str
) -> tuple[str, ...]:
    """Fold the rules' findings into one result's per-head verdicts and scores, in place;
    return their reasons."""
    reasons: list[str] = []
    if found.unreadable:  # the heads cannot tell: controversial (a `loose` tenant: safe)
        reasons += _raise(heads, OVERALL, apply_tolerance(Verdict.CONTROVERSIAL, fold), UNREADABLE)
    # Under their category, and in the residual too: a tenant's thresholds re-decide the
    # heads' scores (`tenant.retune`), not the rules.
    reasons += _categorised(heads, scores, ILLICIT, found.reproduction, fold, REPRODUCTION)
    if found.deception is not None:  # no category of ours: the residual
        reason = FABRICATION if found.deception is Verdict.UNSAFE else ASSERTION
        reasons += _raise(heads, OVERALL, apply_tolerance(found.deception, fold), reason)
    reasons += _categorised(heads, scores, VIOLENCE, found.threat, fold, THREAT)
    return tuple(reasons)


def _categorised(
    heads: dict[str, Verdict],
    scores: dict[str, float],
    category: str,
    found: Verdict | None,
    fold: Tolerance | str,
    reason: str,
) -> list[str]:
    """A rule's finding under `category` and the residual; an unsafe one scores 1.0 there,
    so `/v1/moderations` names the category."""
    if found is None:
        return []
    ruled = apply_tolerance(found, fold)
    _raise(heads, OVERALL, ruled, reason)
    if found is Verdict.UNSAFE:
        scores[category] = max(scores[category], 1.0)
    return _raise(heads, category, ruled, reason)


def _raise(heads: dict[str, Verdict], head: str, ruled: Verdict, reason: str) -> list[str]:
    """`heads[head]` at least `ruled`; the reason where the rule counts under the tolerance
    and no head already said as much."""
    before = heads[head]
    heads[head] = worst_verdict([before, ruled])
    return [reason] if ruled is not Verdict.SAFE and severity(ruled) > severity(before) else []


__all__ = ["NOTHING", "Findings", "InputRules", "apply_findings"]
