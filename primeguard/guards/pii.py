"""`kind: pii`: personal data in a text, found by Microsoft Presidio's recognizers.

The MiniLM heads' `privacy` category judges intent ("find this woman's home
address"); it cannot see that an answer *contains* a card number.  Presidio's
pattern recognizers can: checksums (Luhn for cards, IBAN, NHS numbers), formats
and context words, each with a score in [0, 1].  This guard runs them; each
configured entity found with at least `min_score` gives the verdict the
definition maps it to (`PII_VERDICTS` by default: a card number or an IBAN
unsafe, an e-mail address or phone number controversial), under `privacy`:

    pii: {kind: pii}        # on output: a reply that leaks a card number is cut
    guards: {output: [minilm, pii]}
    cards: {kind: pii, entities: {CREDIT_CARD: unsafe, IBAN_CODE: unsafe}}

Only the pattern recognizers run: Presidio's named-entity ones (PERSON,
LOCATION) need a spaCy model that would be downloaded, and names are no leak on
their own.  spaCy runs as a blank English pipeline (a tokenizer, no weights).
The public-suffix list for e-mail addresses is the snapshot inside tldextract,
never fetched.  Nothing of the text is logged: results carry a verdict, not the
entity's text, and Presidio's own logger (which logs candidates) is silenced.  Install with ``pip install 'primeguard[pii]'``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import anyio

from primeguard.errors import ConfigError, MaskingUnavailable
from primeguard.guards import pii_layouts
from primeguard.guards.definition_base import FailMode
from primeguard.guards.definitions import PiiDefinition
from primeguard.guards.pii_text import is_test_card, readable, readable_mapped
from primeguard.guards.policy import FailureEvent, FailureReason, FailureStep
from primeguard.guards.protocol import GuardUnavailable
from primeguard.streaming.tokens import PATTERN_OVERLAP_CHARS
from primeguard.verdicts import (
    VERDICT_SCORES,
    Category,
    GuardResult,
    GuardText,
    Verdict,
    worst_verdict,
)

log = logging.getLogger("primeguard")

_LANGUAGE = "en"
# Slices scanned at a time, overlapping by more than any entity the recognizers match (with
# the words before it that one may need), so none is split by a boundary.
SLICE_CHARS = 4_000
OVERLAP_CHARS = PATTERN_OVERLAP_CHARS


class PiiGuard:
    """`Guard` (and `Masker`) over Presidio's pattern recognizers; the analyzer loads on first
    use (~4 s, which the proxy's start-up warm-up takes)."""

    def __init__(
        self,
        name: str,
        definition: PiiDefinition,
        on_failure: Callable[[FailureEvent], None] | None = None,
    ) -> None:
        if importlib.util.find_spec("presidio_analyzer") is None:
            raise ConfigError(
                f"guards.definitions.{name}: kind pii needs Presidio: pip install 'primeguard[pii]'"
            )
        self.name = name
        # What the readers find is part of the version (cached decisions were made by it); a
        # version pinned in the config is the operator's to change.
        self.version = definition.version or f"{definition.default_version(name)}+{pii_layouts.VERSION}"
        self._definition = definition
        self._analyzer: Any = None
        self._lock = threading.Lock()
        self._masked_cache = _MaskedCache()
        self._on_failure = on_failure  # counts masking failures (checks are counted by the policy)

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
        for entity, _, _ in self._findings(analyzer, text, deadline):
            worst = worst_verdict([worst, wanted[entity]])
            if worst is Verdict.UNSAFE:
                break
        return worst

    def _findings(
        self, analyzer: Any, text: str, deadline: float
    ) -> Iterator[tuple[str, int, int]]:
        """(entity, start, end) of each finding, slice by slice (overlaps found twice)."""
        for start in range(0, max(len(text), 1), SLICE_CHARS - OVERLAP_CHARS):
            if time.monotonic() > deadline:
                raise TimeoutError("the pii scan ran past the guard's timeout")
            part = text[start : start + SLICE_CHARS]
            found = analyzer.analyze(
                text=part,
                language=_LANGUAGE,
                entities=list(self._definition.entities),
                score_threshold=self._definition.min_score,
            )
            for r in found:
                if not is_test_card(r.entity_type, part[r.start : r.end]):
                    yield r.entity_type, start + r.start, start + r.end

    async def mask(self, texts: Sequence[str]) -> list[str]:
        """`Masker`: each finding the map does not call safe replaced by `<ENTITY_TYPE>`.

        Findings come from the text as the guard's check reads it (through invisible
        characters, odd digits and separators) and are replaced where they stand in the
        text as written.  On failure (the deadline, or anything found again in the masked
        text) `fail_mode` decides: open passes the texts on unmasked, closed raises
        `MaskingUnavailable` (a 503)."""
        if not any(texts):
            return list(texts)
        try:
            return await anyio.to_thread.run_sync(self.masked, list(texts))
        except Exception as exc:
            if self._on_failure is not None:
                reason = FailureReason.TIMEOUT if isinstance(exc, TimeoutError) else FailureReason.ERROR
                self._on_failure(
                    FailureEvent(
                        self.name, reason, self._definition.fail_mode, len(texts), FailureStep.MASK
                    )
                )
            if self._definition.fail_mode is FailMode.OPEN:
                log.warning(
                    "pii %s: masking failed (%s); passed on unmasked", self.name, type(exc).__name__
                )
                return list(texts)
            raise MaskingUnavailable(
                "Personal data in the request could not be masked, so it was not sent on."
            ) from exc

    def masked(self, texts: Sequence[str]) -> list[str]:
        """Blocking `mask`.  Clients send the whole conversation each turn: texts masked
        before come from a small cache, so a turn costs about its own new text."""
        analyzer = self.analyzer()
        deadline = time.monotonic() + self._definition.timeout_s
        out = []
        for text in texts:
            key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
            done = self._masked_cache.get(key)
            if done is None:
                done = self._masked_one(analyzer, text, deadline)
                self._masked_cache.put(key, done)
            out.append(done)
        return out

    def _masked_one(self, analyzer: Any, text: str, deadline: float) -> str:
        """Findings in the text as the recognizers read it (`readable`), replaced where they
        stand in the text as written; then read again, and anything left is a failure."""
        wanted = self._definition.entities
        seen, index = readable_mapped(text)
        spans = sorted(
            (index[start], index[end - 1] + 1, entity)
            for entity, start, end in self._findings(analyzer, seen, deadline)
            if wanted[entity] is not Verdict.SAFE and end > start
        )
        masked = _replaced(text, spans)
        if self._verdict(analyzer, readable(masked), deadline) is not Verdict.SAFE:
            raise ValueError("personal data left after masking")  # fail_mode decides
        return masked

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


class _MaskedCache:
    """Masked texts by the digest of the text as sent, least recently used out past a
    budget of characters (what is kept holds no personal data: it is masked)."""

    def __init__(self, budget_chars: int = 4_000_000) -> None:
        self._budget = budget_chars
        self._used = 0
        self._items: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> str | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: bytes, value: str) -> None:
        with self._lock:
            if key in self._items or len(value) > self._budget:
                return
            self._items[key] = value
            self._used += len(value)
            while self._used > self._budget:
                self._used -= len(self._items.popitem(last=False)[1])


def _replaced(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, entity) span, sorted, as `<entity>`; overlapping
    spans (slices overlap, and so do recognizers) become one placeholder, the first's."""
    parts, at = [], 0
    for start, end, entity in spans:
        if start < at:  # inside the placeholder already written
            at = max(at, end)
            continue
        parts += [text[at:start], f"<{entity}>"]
        at = end
    return "".join([*parts, text[at:]])


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
    for recognizer in pii_layouts.recognizers():
        registry.add_recognizer(recognizer)
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
