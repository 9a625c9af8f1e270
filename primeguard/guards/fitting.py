"""Fitting the guard heads: the training matrix, the masked multi-head MLP, the bank.

`training` runs the whole recipe (data, leave-one-source-out, calibration,
artefacts); this module holds what one fit needs, so tests and experiments can
fit heads on any matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from primeguard.guards.data import Example
from primeguard.guards.encoder import EMBED_DIM
from primeguard.guards.heads import HEAD_NAMES, OVERALL, GuardHeads
from primeguard.guards.precedents import K, Precedents

if TYPE_CHECKING:
    import torch

    from primeguard.guards.tuning import TuneConfig

# Heads that also read the lower layer; the others read the sentence embedding alone.
# Measured with `python -m primeguard.guards.training` (held-out pooled F1 / ToxicChat
# train F1 / held-out AdvBench recall): sentence embedding alone 0.603 / 0.704 / 0.64; layer 3 for
# the overall head 0.639 / 0.707 / 0.67; layer 3 for every head 0.731 / 0.664 / 0.72.
# On every head it learns the form of a prompt, and on real traffic flags benign
# document tasks and role-play set-ups as injections; the overall head gains the
# recall without that.
RICH_HEADS: tuple[str, ...] = (OVERALL,)


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    hidden: int = 32
    epochs: int = 30
    batch_size: int = 1024
    lr: float = 3e-3
    weight_decay: float = 1e-4
    # Gaussian noise on embeddings while training, about the int8 fast path's error
    # (cosine ~0.99): heads that are flat at that scale give the same verdict on both paths.
    noise: float = 0.012
    max_per_source: int = 4000
    # Blend every head with the precedents' vote (see `precedents`).
    precedents: bool = True
    # Encoder layers pooled into the features (see `encoder`), and the heads that read
    # beyond the first (the sentence embedding).
    layers: tuple[int, ...] = (6, 3)
    rich_heads: tuple[str, ...] = RICH_HEADS
    # Tune the encoder with a low-rank adapter first (see `tuning`); None: frozen encoder.
    tune: TuneConfig | None = None


@dataclass(frozen=True)
class Matrix:
    """Examples as arrays: X [N, D], Y [N, K] in {1, 0, -1}, per-row weight and source."""

    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    source: np.ndarray

    def rows(self, mask: np.ndarray) -> Matrix:
        """The rows where `mask` holds."""
        return Matrix(self.x[mask], self.y[mask], self.weight[mask], self.source[mask])


def to_matrix(examples: Sequence[Example], embeddings: np.ndarray) -> Matrix:
    y = np.array([[*e.targets, int(e.unsafe)] for e in examples], dtype=np.float32)
    source = np.array([e.source for e in examples])
    names, counts = np.unique(source, return_counts=True)
    size = dict(zip(names, counts))
    # Sources differ 50-fold in size: weight 1/sqrt(n) so no single one dominates.
    weight = np.array([1.0 / np.sqrt(size[s]) for s in source], dtype=np.float32)
    return Matrix(embeddings, y, weight / weight.mean(), source)


def input_mask(cfg: TrainConfig, dims: int) -> np.ndarray:
    """[K, D]: 1 where a head reads a feature (every head the sentence embedding, the
    rich heads every layer)."""
    unknown = set(cfg.rich_heads) - set(HEAD_NAMES)
    if unknown:
        raise ValueError(f"rich_heads: no head named {sorted(unknown)}")
    mask = np.zeros((len(HEAD_NAMES), dims), dtype=np.float32)
    mask[:, :EMBED_DIM] = 1.0
    mask[[HEAD_NAMES.index(n) for n in cfg.rich_heads]] = 1.0
    return mask


def balanced_weights(y: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per row and head, the row's weight where its label is known (0 where -1); per head,
    the positives' weight (negatives over positives, at most 20)."""
    row_w = weight[:, None] * (y >= 0).float()
    pos = (row_w * (y == 1)).sum(0)
    neg = (row_w * (y == 0)).sum(0)
    return row_w, (neg / pos.clamp(min=1e-6)).clamp(max=20.0)


def balanced_bce(
    logits: torch.Tensor, y: torch.Tensor, row_w: torch.Tensor, pos_weight: torch.Tensor
) -> torch.Tensor:
    """The heads' loss over a batch: masked, class-balanced, source-weighted BCE."""
    import torch

    loss: torch.Tensor = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, y.clamp(min=0), weight=row_w, pos_weight=pos_weight, reduction="sum"
    ) / row_w.sum().clamp(min=1.0)
    return loss


def fit_heads(m: Matrix, cfg: TrainConfig) -> GuardHeads:
    """Masked, class-balanced BCE per head; deterministic for a seed."""
    import torch

    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    x = torch.from_numpy(m.x)
    y = torch.from_numpy(m.y)
    row_w, pos_weight = balanced_weights(y, torch.from_numpy(m.weight))
    k, d, h = y.shape[1], x.shape[1], cfg.hidden
    if d != EMBED_DIM * len(cfg.layers):
        raise ValueError(f"features of {d} columns do not fit layers {cfg.layers}")
    reads = torch.from_numpy(input_mask(cfg, d))[:, :, None]  # [k, d, 1]
    w1 = torch.nn.Parameter(torch.randn(k, d, h, generator=gen) * (2.0 / d) ** 0.5)
    b1 = torch.nn.Parameter(torch.zeros(k, h))
    w2 = torch.nn.Parameter(torch.randn(k, h, generator=gen) * (1.0 / h) ** 0.5)
    b2 = torch.nn.Parameter(torch.zeros(k))
    opt = torch.optim.AdamW([w1, b1, w2, b2], lr=cfg.lr, weight_decay=cfg.weight_decay)
    for _ in range(cfg.epochs):
        for idx in torch.randperm(len(x), generator=gen).split(cfg.batch_size):  # type: ignore[no-untyped-call]
            # One GEMM for all heads: [n, d] @ [d, k*h], then each head's own output layer.
            flat = (w1 * reads).permute(1, 0, 2).reshape(d, k * h)
            xb = x[idx] + cfg.noise * torch.randn(len(idx), d, generator=gen)
            hidden = torch.relu((xb @ flat).view(-1, k, h) + b1)
            logits = (hidden * w2).sum(-1) + b2
            loss = balanced_bce(logits, y[idx], row_w[idx], pos_weight)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
    w1_, b1_, w2_, b2_ = (t.detach().numpy().copy() for t in (w1 * reads, b1, w2, b2))
    return GuardHeads(w1_, b1_, w2_, b2_, layers=cfg.layers)


def bank_of(m: Matrix) -> Precedents:
    """The precedents: every row's sentence embedding (the features' first block)."""
    return Precedents(m.x[:, :EMBED_DIM].copy(), m.y, m.weight, k=min(K, len(m.x)))
