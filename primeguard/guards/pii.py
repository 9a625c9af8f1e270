"""`kind: pii`: personal data in a text, found by Microsoft Presidio's recognizers.

The MiniLM heads' `privacy` category judges intent ("find this woman's home
address"); it cannot see that an answer *contains* a card number.  Presidio's
pattern recognizers can: checksums (Luhn for cards, IBAN, NHS numbers), formats
and context words, each with a score in [0, 1].  This guard runs them; each
configured entity found with at least `min_score` gives the verdict the
definition maps it to (`PII_VERDICTS` by default: a card or passport number
unsafe, an e-mail address or phone number controversial), under `privacy`:

    pii: {kind: pii}        # on output: a reply that leaks a card number is cut
    guards: {output: [minilm, pii]}
    cards: {kind: pii, entities: {CREDIT_CARD: unsafe, IBAN_CODE: unsafe}}

Only the pattern recognizers run: Presidio's named-entity ones (PERSON,
LOCATION) need a spaCy model that would be downloaded, and names are no leak on
their own.  spaCy runs as a blank English pipeline (a tokenizer, no weights).
The public-suffix list for e-mail addresses is the snapshot inside tldextract,
never fetched.  Nothing of the text is logged: results carry a score, not the
entity's text.  Install with ``pip install 'primeguard[pii]'``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from typing import Any

import anyio

from primeguard.errors import ConfigError
from primeguard.guards.definitions import PiiDefinition
from primeguard.guards.protocol import GuardUnavailable
from primeguard.verdicts import (
    VERDICT_SCORES,
    Category,
    GuardResult,
    GuardText,
    Verdict,
    worst_verdict,
)

_LANGUAGE = "en"
# Slices scanned at a time, overlapping by more than any entity the recognizers match (an
# IBAN written with spaces: 42 characters), so none is split by a slice boundary.
SLICE_CHARS = 4_000
OVERLAP_CHARS = 64


class PiiGuard:
    """`Guard` over Presidio's pattern recognizers; the analyzer loads on first use (~1 s)."""

    def __init__(self, name: str, definition: PiiDefinition) -> None:
        if importlib.util.find_spec("presidio_analyzer") is None:
            raise ConfigError(
                f"guards.definitions.{name}: kind pii needs Presidio: pip install 'primeguard[pii]'"
            )
        self.name = name
        self.version = definition.default_version(name)
        self._definition = definition
        self._analyzer: Any = None
        self._lock = threading.Lock()

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
        if not texts:
            return []
        try:
            verdicts = await anyio.to_thread.run_sync(self.verdicts, [t.text for t in texts])
        except Exception as exc:
            raise GuardUnavailable(f"pii guard failed: {type(exc).__name__}") from exc
        return [self._result(verdict) for verdict in verdicts]

    def verdicts(self, texts: Sequence[str]) -> list[Verdict]:
        """Blocking: each text's worst verdict over the entities found in it.

        Texts are scanned in overlapping slices, and the scan stops at the first unsafe
        entity or past the definition's `timeout_s` (TimeoutError).  The recognizers cost
        up to ~40 us per character (a page of digits through the phone matcher): a
        thread cannot be cancelled, so without the deadline a request-borne megabyte of
        digits would keep a core busy for a minute after its check had failed."""
        analyzer = self.analyzer()  # loading (seconds, once) is not part of the budget
        deadline = time.monotonic() + self._definition.timeout_s
        return [self._verdict(analyzer, readable(text), deadline) for text in texts]

    def _verdict(self, analyzer: Any, text: str, deadline: float) -> Verdict:
        wanted = self._definition.entities
        worst = Verdict.SAFE
        for start in range(0, max(len(text), 1), SLICE_CHARS - OVERLAP_CHARS):
            if time.monotonic() > deadline:
                raise TimeoutError("the pii scan ran past the guard's timeout")
            found = analyzer.analyze(
                text=text[start : start + SLICE_CHARS],
                language=_LANGUAGE,
                entities=list(wanted),
                score_threshold=self._definition.min_score,
            )
            part = text[start : start + SLICE_CHARS]
            kept = [r for r in found if not _test_card(r.entity_type, part[r.start : r.end])]
            worst = worst_verdict([worst, *(wanted[r.entity_type] for r in kept)])
            if worst is Verdict.UNSAFE:
                break
        return worst

    def analyzer(self) -> Any:
        with self._lock:
            if self._analyzer is None:
                self._analyzer = load_analyzer(list(self._definition.entities))
            return self._analyzer

    def _result(self, verdict: Verdict) -> GuardResult:
        return GuardResult(
            verdict=verdict,
            guard=self.name,
            version=self.version,
            scores={Category.PRIVACY: VERDICT_SCORES[verdict]},
            by_category={Category.PRIVACY: verdict},
            uncategorised=Verdict.SAFE,  # it judges nothing apart from personal data
        )

    async def close(self) -> None:
        return None


#: Card numbers the card networks and payment processors publish for testing (Stripe,
#: Adyen, Braintree docs): an answer about integrating payments quotes them, and they pay
#: for nothing.
TEST_CARDS = frozenset(
    {
        "4111111111111111",
        "4242424242424242",
        "4012888888881881",
        "4000056655665556",
        "4222222222222",
        "5555555555554444",
        "5105105105105100",
        "2223003122003222",
        "5200828282828210",
        "378282246310005",
        "371449635398431",
        "378734493671000",
        "6011111111111117",
        "6011000990139424",
        "30569309025904",
        "38520000023237",
        "3530111333300000",
        "3566002020360505",
        "6200000000000005",
    }
)


def _test_card(entity: str, found: str) -> bool:
    return entity == "CREDIT_CARD" and re.sub(r"\D", "", found) in TEST_CARDS


_DROPPED = frozenset({"Cf", "Mn", "Me", "Cs", "Co", "Cn"})  # format, combining, unassigned
_KEPT_CONTROLS = frozenset("\t\n\r")
_DIGIT_GAPS = re.compile(r"(?<=\d)[ \t]*-[ \t-]*(?=\d)|(?<=\d)\s+(?=\d)")
# Other marks between groups of four digits ("4539.1488.0343.6467"): read as spaces.  Not
# between shorter groups: versions and IP addresses ("10.0.19041.1") stay as they are.
_GROUP_MARKS = re.compile(r"(?<=\d\d\d\d)[./_|*:\u00b7\u2022](?=\d\d\d\d)")


def readable(text: str) -> str:
    """`text` as the recognizers should read it, whatever a writer did to hide a number.

    A model can be asked (or told by an injection) to write a card number with
    zero-width joiners, variation selectors or keycaps between its digits, in
    full-width or Arabic-Indic digits, or split by tabs, line breaks, en dashes or
    dots; the recognizers' patterns match none of that.  So: compatibility forms
    decomposed (NFKD), every invisible or combining character dropped, controls
    other than tab and newline dropped, any decimal digit made ASCII, dashes made
    "-", separators a space, marks between groups of four digits a space, and the
    gaps between digits reduced to one character.
    Only the verdict is used, so the changed offsets do not matter."""
    out = []
    for char in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(char)
        if category in _DROPPED or (category == "Cc" and char not in _KEPT_CONTROLS):
            continue
        if category == "Nd":
            out.append(str(unicodedata.decimal(char)))
        elif category == "Pd":
            out.append("-")
        elif category[0] == "Z":
            out.append(" ")
        else:
            out.append(char)
    folded = _GROUP_MARKS.sub(" ", "".join(out))
    return _DIGIT_GAPS.sub(lambda m: "-" if "-" in m.group() else " ", folded)


def load_analyzer(entities: Sequence[str]) -> Any:
    """Presidio's analyzer on a blank spaCy pipeline, with its predefined recognizers.

    Raises ValueError naming any entity those recognizers cannot find, and
    ImportError (with the extra to install) without Presidio."""
    # tldextract reads this when presidio imports it: no download of the suffix list.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    try:
        import spacy
        import tldextract.tldextract as suffixes
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
    except ImportError as exc:
        raise ImportError(
            f"kind: pii needs Presidio: pip install 'primeguard[pii]' ({exc})"
        ) from None
    if suffixes.TLD_EXTRACTOR.suffix_list_urls:  # imported before the variable was set
        suffixes.TLD_EXTRACTOR = suffixes.TLDExtract(suffix_list_urls=(), cache_dir=None)
    # Presidio logs matched text (a failed IBAN check logs the candidate, context words at
    # DEBUG); prompts never go to logs here.
    logging.getLogger("presidio-analyzer").setLevel(logging.CRITICAL)

    class BlankEnglish(SpacyNlpEngine):
        """spaCy's tokenizer alone: no model to download, no named entities."""

        def load(self) -> None:
            self.nlp: Any = {_LANGUAGE: spacy.blank(_LANGUAGE)}

    engine = BlankEnglish(models=[{"lang_code": _LANGUAGE, "model_name": "blank"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=[_LANGUAGE])
    registry.load_predefined_recognizers(nlp_engine=engine, languages=[_LANGUAGE])
    analyzer = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=[_LANGUAGE])
    known = {
        entity
        for recognizer in registry.recognizers
        if type(recognizer).__name__ != "SpacyRecognizer"  # needs the model we do not load
        for entity in recognizer.supported_entities
    }
    unknown = sorted(set(entities) - known)
    if unknown:
        raise ValueError(f"entities {unknown} have no recognizer here; known: {sorted(known)}")
    return analyzer
