"""Per-category guard heads: one small MLP per harm category plus one for "unsafe overall".

Protect-style: each head is trained on its own targets (with masking for
unknown labels) and thresholded on its own.  They are stored stacked so that
inference is two batched matrix products in numpy; torch is needed only to
train them.  Weights live in a safetensors file next to `thresholds.json`.

The input is the encoder's features: one pooled vector per layer in `layers`
(the sentence embedding first).  Training decides which heads read the lower
layers (see `fitting.RICH_HEADS`); the others hold zero weights there.  The
file records the layers, so the guard builds the encoder that fits it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from primeguard.guards.encoder import EMBED_DIM, LAYERS, check_layers
from primeguard.verdicts import Category

_blas: Any = None
_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit: Any = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """The heads' products on one BLAS thread (about 7 us to enter).

    numpy's OpenBLAS keeps its worker threads spinning after a product; next to
    onnxruntime's intra-op threads on the same cores they cost the encoder ~30%
    of its throughput, for products too small to gain from threads at all.
    threadpoolctl's limits are process-wide, so overlapping users (the batcher's
    worker and a blocking `score_texts` caller) share one: the first in sets it,
    the last out restores it.
    """
    global _blas, _blas_users, _blas_limit
    with _blas_lock:
        if _blas_users == 0:
            try:
                if _blas is None:
                    from threadpoolctl import ThreadpoolController

                    _blas = ThreadpoolController()
                _blas_limit = _blas.limit(limits=1, user_api="blas")
            except ImportError:
                _blas_limit = None
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limit is not None:
                _blas_limit.restore_original_limits()
                _blas_limit = None


OVERALL = "unsafe"
HEAD_NAMES: tuple[str, ...] = (*(c.value for c in Category), OVERALL)
TENSORS = ("w1", "b1", "w2", "b2")


@dataclass(frozen=True)
class GuardHeads:
    """Stacked heads: w1 [K, D, H], b1 [K, H], w2 [K, H], b2 [K]; K = len(HEAD_NAMES).

    D = 384 x len(layers): the encoder's pooled layers, side by side.
    """

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    layers: tuple[int, ...] = LAYERS

    def __post_init__(self) -> None:
        # A tuple, checked (sentence layer first, distinct, in the model): a bad file fails
        # when it is loaded, at start-up, not on the first text.
        object.__setattr__(self, "layers", check_layers(self.layers))
        if self.w1.ndim != 3 or self.w1.shape[1] != EMBED_DIM * len(self.layers):
            raise ValueError(
                f"heads: w1 {self.w1.shape} does not fit {len(self.layers)} pooled layers"
            )

    @functools.cached_property
    def _flat_w1(self) -> np.ndarray:
        """w1 as one [D, K*H] matrix: every head's first layer in one product."""
        k, d, h = self.w1.shape
        return np.ascontiguousarray(self.w1.transpose(1, 0, 2).reshape(d, k * h))

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Sigmoid scores [N, K] for L2-normalised embeddings [N, D]."""
        k, _, h = self.w1.shape
        with one_blas_thread():
            hidden = np.maximum((embeddings @ self._flat_w1).reshape(-1, k, h) + self.b1, 0.0)
        logits = (hidden * self.w2).sum(-1) + self.b2
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(logits, -40.0, 40.0)))
        return out

    def digest(self) -> str:
        h = hashlib.sha256()
        for name in TENSORS:
            h.update(np.ascontiguousarray(getattr(self, name), dtype=np.float32).tobytes())
        if self.layers != LAYERS:  # single-layer digests stay as they were
            h.update(repr(self.layers).encode())
        return h.hexdigest()

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        tensors = {n: np.ascontiguousarray(getattr(self, n), dtype=np.float32) for n in TENSORS}
        meta = {"heads": ",".join(HEAD_NAMES), "layers": ",".join(map(str, self.layers))}
        save_file(tensors, str(path), metadata=meta)

    @classmethod
    def load(cls, path: Path) -> GuardHeads:
        from safetensors import safe_open
        from safetensors.numpy import load_file

        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
        names = meta.get("heads", "")
        if names != ",".join(HEAD_NAMES):
            raise ValueError(f"{path}: heads {names!r} do not match {HEAD_NAMES}")
        t = load_file(str(path))
        # Files written before `layers` read the sentence embedding alone.
        layers = tuple(int(x) for x in meta.get("layers", "6").split(","))
        return cls(t["w1"], t["b1"], t["w2"], t["b2"], layers)
