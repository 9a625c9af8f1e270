"""A transformers sequence classifier loaded for serving: tokenise, forward, score.

Blocking: call it from a worker thread (the guard server's batcher does).
torch and transformers are imported here only, so importing the served-guard
clients never pulls them in.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

#: Inputs longer than this many tokens are cut (or refused with truncate=false).
DEFAULT_MAX_LENGTH = 512


def pick_device(device: str | None) -> str:
    """`device`, or CUDA when present, else CPU."""
    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


class SequenceClassifier:
    """Any `AutoModelForSequenceClassification` directory, ready for batched inference."""

    def __init__(
        self, model_dir: str | Path, *, device: str | None = None, max_batch_size: int = 32
    ) -> None:
        self.model_dir = Path(model_dir)
        self.device = pick_device(device)
        self.tokenizer: Any = AutoTokenizer.from_pretrained(str(self.model_dir))
        model: Any = AutoModelForSequenceClassification.from_pretrained(str(self.model_dir))
        self.model = model.to(self.device).eval()
        config = self.model.config
        self.labels: list[str] = [str(config.id2label[i]) for i in range(config.num_labels)]
        self.multi_label = config.problem_type == "multi_label_classification"
        limits = [
            DEFAULT_MAX_LENGTH,
            int(getattr(config, "max_position_embeddings", DEFAULT_MAX_LENGTH)),
        ]
        if (
            isinstance(self.tokenizer.model_max_length, int)
            and self.tokenizer.model_max_length < 10**6
        ):
            limits.append(self.tokenizer.model_max_length)
        self.max_length = min(limits)
        self.max_batch_size = max_batch_size
        self.model_id = str(getattr(config, "_name_or_path", "") or self.model_dir.name)
        self.fingerprint = fingerprint(self.model_dir)

    def token_counts(self, texts: list[str]) -> list[int]:
        encoded = self.tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def logits(self, texts: list[str]) -> list[list[float]]:
        """Raw outputs for every text, computed `max_batch_size` texts at a time."""
        out: list[list[float]] = []
        for start in range(0, len(texts), self.max_batch_size):
            batch = texts[start : start + self.max_batch_size]
            encoded = self.tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            with torch.inference_mode():
                logits = self.model(**encoded).logits.float().cpu()
            out.extend(logits.tolist())
        return out

    def predictions(self, logits: list[float], *, raw_scores: bool) -> list[dict[str, Any]]:
        """TEI's answer for one text: every label with its score, best first."""
        scores = (
            logits if raw_scores else (_sigmoid(logits) if self.multi_label else _softmax(logits))
        )
        ranked = sorted(
            zip(self.labels, scores, strict=True), key=lambda pair: pair[1], reverse=True
        )
        return [{"label": label, "score": score} for label, score in ranked]


def _softmax(values: list[float]) -> list[float]:
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def _sigmoid(values: list[float]) -> list[float]:
    return [
        1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v)) for v in values
    ]


def fingerprint(model_dir: Path) -> str:
    """A cheap weights fingerprint: the config, and each weight file's size and first MiB."""
    digest = hashlib.sha256()
    for path in sorted(model_dir.iterdir()):
        if path.name == "config.json" or path.suffix in {".safetensors", ".bin", ".pt"}:
            digest.update(path.name.encode())
            digest.update(str(path.stat().st_size).encode())
            with path.open("rb") as handle:
                digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]
