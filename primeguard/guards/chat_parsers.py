"""Parsers for generative guards' answers, registered by `ChatFormat`.

    Llama Guard 3/4:   "safe"  |  "unsafe\\nS1,S10"
    Qwen3Guard-Gen:    "Safety: Unsafe\\nCategories: Violent"
                       "Safety: Controversial\\nCategories: Politically Sensitive Topics"
                       "Safety: Safe\\nCategories: None\\nRefusal: Yes"   (response moderation)

Llama Guard has no controversial class.  An answer a parser cannot read
raises `GuardAnswerError`, a `GuardUnavailable`, so the guard's fail mode
decides what it means; the answer's text is never put in the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from primeguard.guards.categories import lookup_llama_guard, lookup_qwen3guard
from primeguard.guards.protocol import GuardUnavailable
from primeguard.guards.settings import ChatFormat
from primeguard.verdicts import Category, Verdict


class GuardAnswerError(GuardUnavailable):
    """The guard model answered outside its output format."""


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    verdict: Verdict
    categories: tuple[Category, ...] = ()
    labels: tuple[str, ...] = ()  # the guard's own codes or names, as printed
    refusal: bool | None = None  # Qwen3Guard response moderation only


class AnswerParser(Protocol):
    """Reads one generative guard's answer."""

    def parse(self, answer: str) -> ParsedAnswer: ...


def _unique(items: list[Category]) -> tuple[Category, ...]:
    return tuple(dict.fromkeys(items))


class LlamaGuardParser:
    """`safe`, or `unsafe` followed by a line of comma-separated hazard codes."""

    _CODE = re.compile(r"\bS\d{1,2}\b", re.IGNORECASE)

    def parse(self, answer: str) -> ParsedAnswer:
        lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
        head = lines[0].casefold() if lines else ""
        if head == "safe":
            return ParsedAnswer(Verdict.SAFE)
        if head != "unsafe":
            raise GuardAnswerError("Llama Guard answer is neither 'safe' nor 'unsafe'")
        codes = tuple(code.upper() for code in self._CODE.findall(" ".join(lines[1:])))
        categories = [c for c in map(lookup_llama_guard, codes) if c is not None]
        return ParsedAnswer(Verdict.UNSAFE, _unique(categories), codes)


_QWEN_VERDICTS = {
    "safe": Verdict.SAFE,
    "unsafe": Verdict.UNSAFE,
    "controversial": Verdict.CONTROVERSIAL,
}


class Qwen3GuardParser:
    """`Safety: Safe|Unsafe|Controversial`, `Categories: ...` and, for responses, `Refusal: Yes|No`."""

    _SAFETY = re.compile(r"Safety:\s*(Safe|Unsafe|Controversial)\b", re.IGNORECASE)
    _CATEGORIES = re.compile(r"Categories:\s*([^\n]*)", re.IGNORECASE)
    _REFUSAL = re.compile(r"Refusal:\s*(Yes|No)\b", re.IGNORECASE)

    def parse(self, answer: str) -> ParsedAnswer:
        safety = self._SAFETY.search(answer)
        if safety is None:
            raise GuardAnswerError("Qwen3Guard answer has no 'Safety:' line")
        names = self._category_names(answer)
        refusal = self._REFUSAL.search(answer)
        return ParsedAnswer(
            verdict=_QWEN_VERDICTS[safety.group(1).casefold()],
            categories=_unique([c for c in map(lookup_qwen3guard, names) if c is not None]),
            labels=names,
            refusal=None if refusal is None else refusal.group(1).casefold() == "yes",
        )

    def _category_names(self, answer: str) -> tuple[str, ...]:
        found = self._CATEGORIES.search(answer)
        if found is None:
            return ()
        # Unknown names (a newer model's) are kept as labels; the verdict still stands.
        return tuple(n.strip() for n in found.group(1).split(",") if n.strip())


PARSERS: Mapping[ChatFormat, AnswerParser] = MappingProxyType(
    {ChatFormat.LLAMA_GUARD: LlamaGuardParser(), ChatFormat.QWEN3GUARD: Qwen3GuardParser()}
)
