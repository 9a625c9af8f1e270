"""Tuning the encoder: a low-rank adapter (LoRA) on every MiniLM layer, trained with the heads.

The frozen encoder's pooled features are the guard's ceiling: intent ("write X"
against "check X"), disinformation and the form of a request are not linearly
there.  This trains rank-r updates of each layer's linear maps (`adapter.TARGETS`)
together with a throwaway multi-head MLP on the same pooled, normalised features
the heads read, with the heads' loss (masked, class-balanced, source-weighted
BCE).  The trained adapter is folded into the encoder; `training` then fits the
real heads and the precedents on the tuned features as before.

Cost on 2 CPU cores: bf16 autocast, texts cut to `TuneConfig.max_tokens` word
pieces (head + tail), ~160 s an epoch for 7,000 texts on a CPU with AMX.
Deterministic for a seed on one machine (bf16 kernels differ across CPUs).

Opt-in (`train-guard --tune`): on held-out groups of sources one epoch raised pooled
F1 0.684 -> 0.709, but ToxicChat's real prompts, never trained on, fell 0.647 -> 0.617
(average precision 0.672 -> 0.631), so the shipped guard's encoder stays frozen
(README, "A tuned encoder").
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from primeguard.guards.adapter import TARGETS, Adapter
from primeguard.guards.encoder import EMBED_DIM, model_dir, pad_batch, pool_layers
from primeguard.guards.fitting import balanced_bce, balanced_weights

# Tuned, the encoder has seen every source it trained on, so validation holds out
# whole groups of sources from the adapter and the heads alike (a fine-tune per group).
VALIDATION_GROUPS = 3


@dataclass(frozen=True)
class TuneConfig:
    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.1
    epochs: int = 1
    batch_size: int = 32
    lr: float = 5e-4
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.05
    max_tokens: int = 128
    hidden: int = 128


def _lora_linear(base: Any, rank: int, alpha: float, dropout: float, gen: Any) -> Any:
    import torch

    class LoRALinear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base = base
            self.scale = alpha / rank
            init = torch.randn(rank, base.in_features, generator=gen) / base.in_features**0.5
            self.lora_A = torch.nn.Parameter(init)
            self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
            self.drop = torch.nn.Dropout(dropout)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            update = self.drop(x) @ self.lora_A.T @ self.lora_B.T
            out: torch.Tensor = self.base(x) + update * self.scale
            return out

    return LoRALinear()


def attach_lora(model: Any, cfg: TuneConfig, gen: Any) -> dict[str, Any]:
    """Freeze `model` and wrap each `TARGETS` map of every layer in a LoRA module (B = 0,
    so the model is unchanged until trained); returns them by module name."""
    for p in model.parameters():
        p.requires_grad_(False)
    wrapped = {}
    for i, layer in enumerate(model.encoder.layer):
        for t in TARGETS:
            parent, _, leaf = t.rpartition(".")
            owner = layer.get_submodule(parent)
            lora = _lora_linear(getattr(owner, leaf), cfg.rank, cfg.alpha, cfg.dropout, gen)
            setattr(owner, leaf, lora)
            wrapped[f"encoder.layer.{i}.{t}"] = lora
    return wrapped


def source_groups(folds: np.ndarray, n: int = VALIDATION_GROUPS) -> np.ndarray:
    """Each validation fold (a public source, or a group of our template families) put whole
    into one of `n` groups of about equal rows: the largest first, into the smallest group."""
    names, counts = np.unique(folds, return_counts=True)
    sizes = [0] * n
    group: dict[str, int] = {}
    for name, count in sorted(zip(names.tolist(), counts.tolist()), key=lambda t: (-t[1], t[0])):
        g = int(np.argmin(sizes))
        group[name] = g
        sizes[g] += count
    return np.array([group[f] for f in folds.tolist()], dtype=np.int64)


def tune_adapter(
    ids: Sequence[Sequence[int]],
    y: np.ndarray,
    weight: np.ndarray,
    layers: tuple[int, ...],
    cfg: TuneConfig,
    seed: int,
) -> Adapter:
    """Train an adapter on rows of [CLS] ... [SEP] word-piece ids (already cut to
    `cfg.max_tokens`), with targets `y` in {1, 0, -1} and per-row weights."""
    import torch
    from transformers import AutoModel

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = AutoModel.from_pretrained(str(model_dir()))
    wrapped = attach_lora(model, cfg, gen)
    k = y.shape[1]
    dims = EMBED_DIM * len(layers)
    head = torch.nn.Sequential(
        torch.nn.Linear(dims, cfg.hidden), torch.nn.ReLU(), torch.nn.Linear(cfg.hidden, k)
    )
    lens = np.array([len(x) for x in ids])
    yt = torch.from_numpy(y.astype(np.float32))
    w, pos_weight = balanced_weights(yt, torch.from_numpy(weight.astype(np.float32)))
    lora_params = [p for m in wrapped.values() for p in (m.lora_A, m.lora_B)]
    opt = torch.optim.AdamW(
        [{"params": lora_params, "lr": cfg.lr}, {"params": head.parameters(), "lr": cfg.head_lr}],
        weight_decay=cfg.weight_decay,
    )
    total = int(np.ceil(len(ids) / cfg.batch_size)) * cfg.epochs
    warm = max(1.0, cfg.warmup * total)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, 1 - s / total)
    )
    model.train()
    started = time.monotonic()
    for epoch in range(cfg.epochs):
        running = 0.0
        batches = _batches(lens, cfg.batch_size, rng)
        for b in batches:
            input_ids, mask = pad_batch([ids[i] for i in b])
            with torch.autocast("cpu", dtype=torch.bfloat16):
                pooled = pool_layers(
                    model, torch.from_numpy(input_ids), torch.from_numpy(mask), layers
                ).float()
            # The heads' features (a unit vector per layer), scaled to unit-ish entries.
            unit = torch.nn.functional.normalize(
                pooled.view(len(b), len(layers), EMBED_DIM), dim=-1
            )
            logits = head(unit.view(len(b), dims) * EMBED_DIM**0.5)
            loss = balanced_bce(logits, yt[b], w[b], pos_weight)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            running += float(loss.item())
        elapsed = time.monotonic() - started
        print(
            f"tune: epoch {epoch + 1}/{cfg.epochs} loss {running / len(batches):.4f} ({elapsed:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    factors = {
        name: (m.lora_A.detach().numpy().copy(), m.lora_B.detach().numpy().copy())
        for name, m in wrapped.items()
    }
    return Adapter(factors, cfg.rank, cfg.alpha)


def _batches(lens: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar lengths: shuffle, sort within blocks of 1,024, cut, shuffle."""
    perm = rng.permutation(len(lens))
    out: list[np.ndarray] = []
    for block in np.array_split(perm, max(1, len(perm) // 1024)):
        block = block[np.argsort(lens[block], kind="stable")]
        out += [block[i : i + size] for i in range(0, len(block), size)]
    order = rng.permutation(len(out))
    return [out[i] for i in order]
