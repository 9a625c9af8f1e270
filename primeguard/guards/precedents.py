"""Precedents: labelled earlier cases, retrieved by similarity, that vote on a new text.

After the precedent-based guardrails idea (SEEDS.md): instead of asking the
heads alone, look up the k most similar labelled texts and let them vote, per
head (a case votes only on the heads it carries a label for).  The vote
generalises differently from the heads (it follows the nearest wording, not a
learned boundary), and each head's score moves `SHARE` of the way towards it.
On ToxicChat's train split (real traffic, never trained on) the overall score's
ROC AUC went 0.88 (head) -> 0.92 (even blend); F1 at the calibrated thresholds
0.629 (heads alone) -> 0.704 (share 0.25), with fewer of Alpaca's instructions
flagged; see `SHARE` for the trade against recall on unseen sources.

The bank ships next to the heads (`precedents.safetensors`: float16 vectors,
labels, per-row weights).  Operators add their own reviewed cases with
`precedents:` on the guard definition (`ReviewedCases`): a text nearly the same
as a reviewed case takes its label, unsafe (a new policy) or safe (a false
positive fixed), without retraining.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from primeguard.guards.heads import GuardHeads, one_blas_thread
from primeguard.guards.nearest import Nearest, numpy_nearest

FILE = "precedents.safetensors"
K = 50
TEMPERATURE = 0.1
# The vote's share of each blended score.  Measured with the training command (held-out
# pooled F1 / ToxicChat train F1), single-layer heads: 0 -> 0.637 / 0.629; 0.25 -> 0.603 /
# 0.704; 0.35 -> 0.586 / 0.703; 0.5 -> 0.559 / 0.711; 0.65 -> 0.533 / 0.694.  Two-layer
# heads: 0.15 -> 0.662 / 0.680; 0.25 -> 0.644 / 0.701; 0.35 -> 0.630 / 0.708.  0.25 keeps
# nearly all of the gain on real traffic and most of the heads' recall on unseen sources.
SHARE = 0.25
# An operator's reviewed case decides a text at least this similar (cosine) to it.
REVIEWED_SIMILARITY = 0.9


@dataclass(frozen=True)
class Precedents:
    """vectors [N, D] (L2-normalised); labels [N, heads] in {1, 0, -1 unknown}; weight [N] > 0."""

    vectors: np.ndarray
    labels: np.ndarray
    weight: np.ndarray
    k: int = K
    temperature: float = TEMPERATURE
    share: float = SHARE
    # How the k nearest are found; the exact numpy search when None.  Not part of the bank.
    search: Nearest | None = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.vectors)
        if self.vectors.ndim != 2 or self.labels.ndim != 2:
            raise ValueError("precedents: vectors and labels must be matrices")
        if len(self.labels) != n or self.weight.shape != (n,):
            raise ValueError("precedents: vectors, labels and weights differ in length")
        if self.k < 1 or not self.temperature > 0 or not 0 <= self.share <= 1:
            raise ValueError(
                f"precedents: need k >= 1, temperature > 0 and 0 <= share <= 1,"
                f" got {self.k}, {self.temperature}, {self.share}"
            )
        if not (np.isfinite(self.weight).all() and (self.weight > 0).all()):
            raise ValueError("precedents: weights must be finite and positive")
        if n < self.k:
            raise ValueError(f"precedents: need at least k={self.k} cases, got {n}")

    def check_fits(self, dims: int, heads: int) -> None:
        """Raise ValueError unless the bank is for `dims`-d embeddings and `heads` heads."""
        if self.vectors.shape[1] != dims or self.labels.shape[1] != heads:
            raise ValueError(
                f"precedents: bank of {self.vectors.shape[1]}-d vectors with {self.labels.shape[1]}"
                f" labels does not fit {dims}-d embeddings and {heads} heads"
            )

    def __len__(self) -> int:
        return len(self.vectors)

    def votes(self, embeddings: np.ndarray) -> np.ndarray:
        """[M, heads]: per text and head, the similarity-weighted share of positives among
        its k nearest precedents that carry a label for that head (NaN if none does).

        `embeddings` may be the encoder's whole features: only the sentence embedding
        (the first D columns) is compared."""
        near, idx = self._nearest(embeddings[:, : self.vectors.shape[1]])
        if idx.shape[1:] != (self.k,) or (idx.size and int(idx.max()) >= len(self.vectors)):
            raise ValueError(
                "precedents: the search was built for another bank"
            )  # a stale `search`
        near = near.astype(np.float64)  # the vote in float64, as the heads' blend expects
        # Subtract each row's best similarity first: exp() then never overflows.
        w = self.weight[idx] * np.exp((near - near.max(1, keepdims=True)) / self.temperature)
        labels = self.labels[idx]  # [m, k, heads]
        known = w[:, :, None] * (labels >= 0)
        positive = (known * (labels > 0)).sum(1)
        total = known.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out: np.ndarray = np.where(total > 0, positive / total, np.nan)
        return out

    def searched_by(self, search: Nearest) -> Precedents:
        """The same bank, its neighbours found by `search` (e.g. `nearest.onnx_nearest`)."""
        return dataclasses.replace(self, search=search)

    @functools.cached_property
    def _nearest(self) -> Nearest:
        return self.search or numpy_nearest(self.vectors, self.k)

    def digest(self) -> str:
        h = hashlib.sha256()
        for a in (self.vectors, self.labels, self.weight):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update(f"{self.k}/{self.temperature}/{self.share}".encode())
        return h.hexdigest()

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        save_file(
            {
                "vectors": np.ascontiguousarray(self.vectors, dtype=np.float16),
                "labels": np.ascontiguousarray(self.labels, dtype=np.int8),
                "weight": np.ascontiguousarray(self.weight, dtype=np.float32),
            },
            str(path),
            metadata={
                "k": str(self.k),
                "temperature": str(self.temperature),
                "share": str(self.share),
            },
        )

    @classmethod
    def load(cls, path: Path) -> Precedents:
        """Read a bank; any problem with the file is a ValueError naming it."""
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
                t = {name: f.get_tensor(name) for name in ("vectors", "labels", "weight")}
            return cls(
                t["vectors"].astype(np.float32),
                t["labels"].astype(np.float32),
                t["weight"].astype(np.float32),
                int(meta.get("k", K)),
                float(meta.get("temperature", TEMPERATURE)),
                float(meta.get("share", 0.5)),  # banks written before `share` blended half and half
            )
        except (SafetensorError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: not a precedent bank ({exc})") from None


@dataclass(frozen=True)
class ReviewedCases:
    """An operator's decisions: vectors [N, D] (L2-normalised) and unsafe [N] in {0, 1}.

    Texts are compared on their sentence embeddings (the features' first D columns)."""

    vectors: np.ndarray
    unsafe: np.ndarray
    similarity: float = REVIEWED_SIMILARITY

    def apply(self, embeddings: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """`scores` with each text that matches a case decided by it (the nearest case wins).

        Unsafe: the overall score becomes 1.  Safe: every score becomes 0.
        """
        if not len(self.vectors):
            return scores
        d = self.vectors.shape[1]
        with one_blas_thread():
            sims = embeddings[:, :d] @ self.vectors.T
        nearest = sims.argmax(1)
        matched = sims[np.arange(len(sims)), nearest] >= self.similarity
        unsafe = self.unsafe[nearest] == 1
        out = scores.copy()
        out[matched & ~unsafe] = 0.0
        out[matched & unsafe, -1] = 1.0
        return out


def read_cases(path: Path) -> list[tuple[str, bool]]:
    """An operator's reviewed cases: one JSON object per line, `text` and `label` (safe|unsafe).

    Raises ValueError naming the line of the first bad row (and OSError if unreadable).
    """
    import json

    cases: dict[str, bool] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise ValueError(f"{path}:{n}: not JSON ({reason})") from None
        text = row.get("text") if isinstance(row, dict) else None
        label = row.get("label") if isinstance(row, dict) else None
        if not isinstance(text, str) or not text.strip() or label not in ("safe", "unsafe"):
            raise ValueError(f"{path}:{n}: need a non-empty 'text' and 'label' safe or unsafe")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"{path}:{n}: 'text' is not valid Unicode (a lone surrogate)"
            ) from None
        if cases.get(text, label == "unsafe") != (label == "unsafe"):
            raise ValueError(f"{path}:{n}: the same text is labelled both safe and unsafe")
        cases[text] = label == "unsafe"
    return list(cases.items())


def blend(head: np.ndarray, vote: np.ndarray, share: float) -> np.ndarray:
    """Each head's score moved `share` of the way to the precedents' vote (the head where none)."""
    out: np.ndarray = np.where(np.isnan(vote), head, (1 - share) * head + share * vote)
    return out


def full_scores(heads: GuardHeads, bank: Precedents | None, x: np.ndarray) -> np.ndarray:
    """Head scores [N, K] for embeddings `x`, each blended with the precedents' vote."""
    with one_blas_thread():  # once for both products (nested users only count)
        scores = heads.scores(x)
        return scores if bank is None else blend(scores, bank.votes(x), bank.share)
