"""What the heads cannot see in an input, checked beside them: two rules.

- `readability`: text the English encoder cannot read (other languages,
  mostly) is at least controversial, never safe;
- `reproduction`: a request for a named work's lyrics, chapter or script
  whole is a copyright violation (`illicit`), at the operator's level.

Both run on input only, in the batcher's worker thread with the encoder (the
language identifier loads there, once), and both name themselves in the
guard's version, so a rule change invalidates cached verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass

from primeguard.guards import readability, reproduction
from primeguard.guards.readability import Readability
from primeguard.verdicts import Verdict


@dataclass(frozen=True)
class Findings:
    """What the rules found in one input."""

    unreadable: bool = False
    reproduction: bool = False


NOTHING = Findings()


class InputRules:
    """The rules an in-process guard applies to input; `check` from one thread only."""

    def __init__(self, escalate_unreadable: bool, reproduction_level: Verdict | None) -> None:
        if reproduction_level is Verdict.SAFE:
            raise ValueError("reproduction is unsafe, controversial or off (None)")
        self.escalate_unreadable = escalate_unreadable
        self.reproduction_level = reproduction_level
        self._readability: Readability | None = None

    @property
    def active(self) -> bool:
        return self.escalate_unreadable or self.reproduction_level is not None

    def spec(self) -> list[object]:
        """What decides the rules' findings, for the guard's version."""
        return [
            [readability.RULE, readability.language_model()] if self.escalate_unreadable else None,
            [reproduction.RULE, self.reproduction_level.value]
            if self.reproduction_level is not None
            else None,
        ]

    def check(self, text: str) -> Findings:
        copied = self.reproduction_level is not None and reproduction.reproduction_request(text)
        return Findings(self.escalate_unreadable and self._unreadable(text), copied)

    def _unreadable(self, text: str) -> bool:
        if self._readability is None:
            from primeguard.guards.encoder import model_dir

            self._readability = Readability.from_tokenizer(model_dir() / "tokenizer.json")
            readability.language("warm up the language model")  # loads it, ~0.7 s: not later
        return self._readability.unreadable(text)


__all__ = ["NOTHING", "Findings", "InputRules"]
