"""`InProcessGuard`: MiniLM embeddings + per-category heads, in this process, on CPU.

The embedded default guard.  `check` never blocks the event loop: texts from
concurrent calls are gathered by a `DynamicBatcher` and embedded in its
worker thread.  The encoder loads lazily, in that thread, on the first batch.
Both roles (user input, assistant output) go through the same heads.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from primeguard.guards.adapter import ADAPTER
from primeguard.guards.backends import BackendChoice, resolve_backend
from primeguard.guards.batcher import DynamicBatcher
from primeguard.guards.encoder import EMBED_DIM
from primeguard.guards.heads import HEAD_NAMES, OVERALL, GuardHeads, one_blas_thread
from primeguard.guards.input_rules import NOTHING, Findings, InputRules, apply_findings
from primeguard.guards.modelcard import THRESHOLDS, WEIGHTS
from primeguard.guards.precedents import FILE as PRECEDENTS
from primeguard.guards.precedents import Precedents, ReviewedCases, full_scores
from primeguard.guards.protocol import GuardUnavailable
from primeguard.guards.thresholds import (
    CATEGORY_GATE,
    GATED_CATEGORIES,
    Threshold,
    Tolerance,
    apply_tolerance,
    head_verdicts,
    merge_thresholds,
    parse_thresholds,
)
from primeguard.verdicts import (
    Category,
    GuardResult,
    GuardText,
    TextRole,
    Verdict,
    worst_verdict,
)

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "guard"


class Embedder(Protocol):
    """What the guard needs from an encoder (`MiniLMEncoder`, or a fake in tests)."""

    @property
    def encoder_id(self) -> str: ...

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


class InProcessGuard:
    """The MiniLM guard; one `GuardResult` per text, in order, with per-category scores."""

    def __init__(
        self,
        assets_dir: Path | None = None,
        *,
        backend: BackendChoice = "auto",
        tolerance: Tolerance | str = Tolerance.DEFAULT,
        thresholds: Mapping[Category | str, Threshold] | None = None,
        max_batch_size: int = 64,
        max_wait_ms: float = 2.0,
        encoder: Embedder | None = None,
        cache_dir: Path | None = None,
        device: str | None = None,
        precedents: Sequence[tuple[str, bool]] = (),
        vote: bool = True,
        escalate_unreadable: bool = True,
        reproduction: Verdict | str | None = Verdict.UNSAFE,
        disinformation: Verdict | str | None = Verdict.UNSAFE,
        threats: Verdict | str | None = Verdict.UNSAFE,
        category_gate: float | None = CATEGORY_GATE,
        gated_categories: Sequence[Category | str] = GATED_CATEGORIES,
    ) -> None:
        assets = assets_dir or ASSETS
        self.heads = GuardHeads.load(assets / WEIGHTS)
        bank_file = assets / PRECEDENTS
        self.precedents = Precedents.load(bank_file) if vote and bank_file.exists() else None
        if self.precedents is not None:  # cases compare the sentence embedding alone
            self.precedents.check_fits(EMBED_DIM, len(HEAD_NAMES))
        # An operator's reviewed cases are embedded once the encoder is up (in the worker).
        self._cases = tuple(precedents)
        self._reviewed: ReviewedCases | None = None
        meta = json.loads((assets / THRESHOLDS).read_text(encoding="utf-8"))
        # Without the vote, the thresholds calibrated for the heads alone.  An artefact with
        # no bank was calibrated on the heads alone anyway; one with a bank but without the
        # second set cannot run without its vote.
        key = "thresholds"
        if self.precedents is None and bank_file.exists():
            if "thresholds_heads_only" not in meta:
                raise ValueError(
                    f"{assets / THRESHOLDS} has no thresholds_heads_only: vote: false needs a"
                    " guard trained by this version of train-guard"
                )
            key = "thresholds_heads_only"
        own = parse_thresholds(meta, key)
        self.thresholds = merge_thresholds(own, thresholds or {})
        self.tolerance = Tolerance(tolerance)
        self.category_gate = category_gate  # a gated category's unsafe needs the overall head
        self.gated = frozenset(Category(c).value for c in gated_categories)
        self.device = device or "cpu"
        self.backend = resolve_backend(backend, self.device)
        self.trained_encoder: str = meta["encoder"]
        # A tuned encoder's adapter ships beside the heads (`train-guard --tune`).
        self._adapter_file = assets / ADAPTER if (assets / ADAPTER).exists() else None
        # False for heads trained on non-commercial (CC-BY-NC-4.0) data; older files: True.
        self.commercial_use: bool = bool(meta.get("commercial_use", True))
        self._encoder = encoder
        self._cache_dir = cache_dir
        # Input the encoder cannot read is at least controversial; a request for a work whole
        # is `reproduction` under illicit; one for disinformation `deception` (`input_rules`).
        self.rules = InputRules(
            escalate_unreadable,
            Verdict(reproduction) if reproduction is not None else None,
            Verdict(disinformation) if disinformation is not None else None,
            Verdict(threats) if threats is not None else None,
        )
        self._lock = threading.Lock()
        self._reviewed_lock = threading.Lock()
        # Items: (text, whether it is input, for the rules); results: (scores, findings).
        self._batcher: DynamicBatcher[tuple[str, bool], tuple[np.ndarray, Findings]] = (
            DynamicBatcher(
                self._score_batch, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms
            )
        )
        spec = json.dumps(
            [
                self.heads.digest(),
                self.precedents.digest() if self.precedents is not None else None,
                self._cases,
                sorted((k, t.controversial, t.unsafe) for k, t in self.thresholds.items()),
                self.trained_encoder,
                self.backend,
                self.tolerance.value,
                self.category_gate,
                sorted(self.gated),
                *self.rules.spec(),
            ]
        )
        self._version = hashlib.sha256(spec.encode()).hexdigest()[:16]

    @classmethod
    def default(cls, **kwargs: object) -> InProcessGuard:
        """The shipped guard (permissive-data heads), fast path when onnxruntime is installed."""
        return cls(**kwargs)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return "minilm"

    @property
    def version(self) -> str:
        """Hash of head weights, thresholds, encoder id, backend and tolerance."""
        return self._version

    @property
    def batches_run(self) -> int:
        return self._batcher.batches_run

    async def check(
        self, texts: Sequence[GuardText], *, tolerance: Tolerance | str | None = None
    ) -> list[GuardResult]:
        """Score `texts` (batched with concurrent callers), a tri-class verdict each;
        `tolerance` overrides the guard's default for this call (a tenant's policy)."""
        if not texts:
            return []
        try:
            # The rules read input only: an answer in French, or one quoting a song, is for
            # the heads (and the output guards) to judge.
            items = [(_well_formed(t.text), t.role is TextRole.INPUT) for t in texts]
            rows = await self._batcher.submit(items)
        except GuardUnavailable:
            raise
        except Exception as exc:
            raise GuardUnavailable(f"in-process guard failed: {type(exc).__name__}") from exc
        return [self._result(r, tolerance, f, i) for (r, f), (_, i) in zip(rows, items)]

    def score_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Blocking: raw head scores [N, len(HEAD_NAMES)] (for evaluation and benchmarks)."""
        return self._score(texts)

    async def close(self) -> None:
        await self._batcher.close()

    def _result(
        self, row: np.ndarray, tolerance: Tolerance | str | None, found: Findings = NOTHING,
        is_input: bool = True,
    ) -> GuardResult:  # fmt: skip
        named = dict(zip(HEAD_NAMES, (float(s) for s in row)))
        # Each head's verdict once, folded by the tolerance (a head without a threshold says
        # nothing; folding is monotone, so a tenant's thresholds rebuild from folded parts).
        # The gate is for input, which the judge re-reads (no judge follows an answer).
        fold = tolerance or self.tolerance
        gate = self.category_gate if is_input else None
        verdicts = head_verdicts(named, self.thresholds, OVERALL, gate, self.gated)
        heads = {name: apply_tolerance(v, fold) for name, v in verdicts.items()}
        reasons = apply_findings(found, heads, named, fold)
        verdict = worst_verdict(heads.values())
        return GuardResult(
            verdict=verdict,
            guard=self.name,
            version=self.version,
            scores={c: named[c.value] for c in Category},
            by_category={c: heads[c.value] for c in Category},
            uncategorised=heads[OVERALL],
            reasons=reasons,
        )

    def _score_batch(self, items: list[tuple[str, bool]]) -> list[tuple[np.ndarray, Findings]]:
        scores = self._score([text for text, _ in items])
        if not self.rules.active:
            return [(row, NOTHING) for row in scores]
        check = self.rules.check  # the worker thread only: the rules' lazy loads need no lock
        return [
            (row, check(text) if is_input else NOTHING)
            for row, (text, is_input) in zip(scores, items)
        ]

    def _score(self, texts: Sequence[str]) -> np.ndarray:
        embeddings = self.encoder.embed(texts)
        reviewed = self.reviewed  # before the BLAS limit: its first call runs the encoder
        with one_blas_thread():  # one limit for the heads, the vote and the reviewed cases
            scores = full_scores(self.heads, self.precedents, embeddings)
            return scores if reviewed is None else reviewed.apply(embeddings, scores)

    @property
    def reviewed(self) -> ReviewedCases | None:
        """The operator's reviewed cases, embedded on first use."""
        if not self._cases:
            return None
        with self._reviewed_lock:
            if self._reviewed is None:
                vectors = self.encoder.embed([text for text, _ in self._cases])
                labels = np.array([unsafe for _, unsafe in self._cases], dtype=np.float32)
                self._reviewed = ReviewedCases(vectors[:, :EMBED_DIM], labels)
            return self._reviewed

    @property
    def encoder(self) -> Embedder:
        with self._lock:
            if self._encoder is None:
                from primeguard.guards.encoder import MiniLMEncoder

                enc = MiniLMEncoder(
                    backend=self.backend,
                    cache_dir=self._cache_dir,
                    device=self.device,
                    layers=self.heads.layers,
                    adapter=self._adapter_file,
                )
                if enc.encoder_id != self.trained_encoder:
                    raise GuardUnavailable(
                        f"heads were trained on {self.trained_encoder}, found {enc.encoder_id}"
                    )
                if self.precedents is not None and self.backend == "onnx":
                    # The vote's neighbours on onnxruntime's threads too (~4x the numpy path).
                    from primeguard.guards.nearest import fastest_nearest

                    bank = self.precedents
                    self.precedents = bank.searched_by(
                        fastest_nearest(bank.vectors, bank.k, enc.threads)
                    )
                self._encoder = enc
            return self._encoder


def _well_formed(text: str) -> str:
    """Lone surrogates (valid JSON, invalid Unicode) replaced: the tokeniser would raise for
    the text, and so fail every text batched with it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


__all__ = ["OVERALL", "Embedder", "InProcessGuard", "Threshold", "Tolerance"]
