"""`primeguard train-guard`: fit the per-category heads on frozen MiniLM embeddings.

Steps: load rows (licence-filtered) and our synthetic sets -> embed once with
the torch fp32 encoder (cached on disk by text digest; the last layer's and a
lower layer's pooled vectors, see `RICH_HEADS`) -> leave-one-source-out
(LOSO): for each source, train on all others and score it -> calibrate each
head's two thresholds on those out-of-source scores -> train the final heads
on everything -> write weights, thresholds and a model card.

Calibrating on out-of-source scores matters: in-sample, every source is easy
to tell apart, and thresholds chosen there flag most real benign traffic.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from primeguard.guards.data import NONCOMMERCIAL, PERMISSIVE, Example, load_examples
from primeguard.guards.encoder import EMBED_DIM
from primeguard.guards.heads import HEAD_NAMES, OVERALL, GuardHeads
from primeguard.guards.precedents import K, Precedents, blend, full_scores
from primeguard.guards.thresholds import Threshold

# Target false-positive rates on out-of-source benign texts (source-balanced).
OVERALL_FPR = {"controversial": 0.10, "unsafe": 0.04}
CATEGORY_FPR = {"controversial": 0.03, "unsafe": 0.01}
# Heads that also read the lower layer; the others read the sentence embedding alone.
# Measured with this command's figures (held-out pooled F1 / ToxicChat train F1 /
# held-out AdvBench recall): sentence embedding alone 0.603 / 0.704 / 0.64; layer 3 for
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


@dataclass(frozen=True)
class Matrix:
    """Examples as arrays: X [N, D], Y [N, K] in {1, 0, -1}, per-row weight and source."""

    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    source: np.ndarray


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


def fit_heads(m: Matrix, cfg: TrainConfig) -> GuardHeads:
    """Masked, class-balanced BCE per head; deterministic for a seed."""
    import torch

    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    x = torch.from_numpy(m.x)
    y = torch.from_numpy(m.y)
    known = (y >= 0).float()
    row_w = torch.from_numpy(m.weight)[:, None] * known
    pos = (row_w * (y == 1)).sum(0)
    neg = (row_w * (y == 0)).sum(0)
    pos_weight = (neg / pos.clamp(min=1e-6)).clamp(max=20.0)
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
            target = y[idx].clamp(min=0)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, target, weight=row_w[idx], pos_weight=pos_weight, reduction="sum"
            ) / row_w[idx].sum().clamp(min=1.0)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
    w1_, b1_, w2_, b2_ = (t.detach().numpy().copy() for t in (w1 * reads, b1, w2, b2))
    return GuardHeads(w1_, b1_, w2_, b2_, layers=cfg.layers)


def validation_fold(source: str, synthetic_folds: int = 4) -> str:
    """Public sources are held out whole; our template families in a few groups of families."""
    if source.startswith("primeguard/"):
        return f"primeguard/fold{zlib.crc32(source.encode()) % synthetic_folds}"
    return source


def out_of_source_scores(m: Matrix, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Scores for every row from heads (and a bank) that never saw the row's source:
    (blended with the precedents' vote, the heads alone)."""
    scores = np.zeros(m.y.shape, dtype=np.float64)
    heads_only = np.zeros(m.y.shape, dtype=np.float64)
    folds = np.array([validation_fold(s) for s in m.source])
    for src in np.unique(folds):
        held = folds == src
        print(f"leave-one-source-out: {src} ({int(held.sum())} rows)", file=sys.stderr, flush=True)
        keep = ~held
        heads = fit_heads(Matrix(m.x[keep], m.y[keep], m.weight[keep], m.source[keep]), cfg)
        scores[held] = heads_only[held] = heads.scores(m.x[held])
        if cfg.precedents:
            bank = bank_of(Matrix(m.x[keep], m.y[keep], m.weight[keep], m.source[keep]))
            scores[held] = blend(scores[held], bank.votes(m.x[held]), bank.share)
    return scores, heads_only


def bank_of(m: Matrix) -> Precedents:
    """The precedents: every row's sentence embedding (the features' first block)."""
    return Precedents(m.x[:, :EMBED_DIM].copy(), m.y, m.weight, k=min(K, len(m.x)))


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order]) / weights.sum()
    at = min(int(np.searchsorted(cum, q)), len(values) - 1)
    return float(values[order][at])


def calibrate(m: Matrix, scores: np.ndarray) -> dict[str, Threshold]:
    """Per head: thresholds at target FPRs on source-balanced out-of-source benign scores."""
    benign = m.y[:, -1] == 0
    thresholds = {}
    for j, name in enumerate(HEAD_NAMES):
        fpr = OVERALL_FPR if j == len(HEAD_NAMES) - 1 else CATEGORY_FPR
        s, w = scores[benign, j], m.weight[benign]
        unsafe = max(weighted_quantile(s, w, 1 - fpr["unsafe"]), 0.5)
        contro = min(max(weighted_quantile(s, w, 1 - fpr["controversial"]), 0.2), unsafe)
        thresholds[name] = Threshold(contro, unsafe)
    return thresholds


def embed_cached(
    texts: Sequence[str], cache_dir: Path, layers: Sequence[int]
) -> tuple[np.ndarray, str]:
    """fp32 torch features, cached per text digest under `cache_dir`."""
    from primeguard.guards.encoder import MiniLMEncoder

    encoder = MiniLMEncoder(backend="torch", layers=layers)
    cache = (
        cache_dir / f"embeddings-{hashlib.sha256(encoder.encoder_id.encode()).hexdigest()[:16]}.npz"
    )
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    known: dict[str, np.ndarray] = {}
    if cache.exists():
        with np.load(cache) as z:
            known = dict(zip(z["keys"].tolist(), z["vectors"]))
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in known}.items())
    if missing:
        vectors = encoder.embed([t for _, t in missing])
        known.update({k: v for (k, _), v in zip(missing, vectors)})
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.savez(cache, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys]).astype(np.float32), encoder.encoder_id


def train_guard(
    data_dir: Path | str,
    out_dir: Path | str,
    *,
    seed: int = 0,
    licences: Sequence[str] = PERMISSIVE,
    include_noncommercial: bool = False,
    config: TrainConfig | None = None,
    cache_dir: Path | str | None = None,
    limit: int | None = None,
    validate: bool = True,
    eval_licences: Sequence[str] = NONCOMMERCIAL,
) -> dict[str, object]:
    """Train the heads, calibrate thresholds, write the artefacts; returns the metrics."""
    from primeguard.guards.evaluation import external_report, loso_report
    from primeguard.guards.fastpath import default_cache_dir
    from primeguard.guards.modelcard import write_artifacts

    started = time.monotonic()
    cfg = config or TrainConfig(seed=seed)
    lic = tuple(licences) + (NONCOMMERCIAL if include_noncommercial else ())
    examples = _dedupe(
        load_examples(Path(data_dir), lic, seed=seed, max_per_source=cfg.max_per_source)
    )
    if limit is not None:
        examples = examples[:: max(1, len(examples) // limit)][:limit]
    cache = Path(cache_dir) if cache_dir else default_cache_dir() / "training"
    x, encoder_id = embed_cached([e.text for e in examples], cache, cfg.layers)
    m = to_matrix(examples, x)
    metrics: dict[str, object] = {}
    heads_only_thresholds = None
    if validate:
        scores, heads_only = out_of_source_scores(m, cfg)
        thresholds = calibrate(m, scores)
        metrics["loso"] = loso_report(m, scores, thresholds)
        if cfg.precedents:
            # For a guard run without the vote (`vote: false`): its own calibration.
            heads_only_thresholds = calibrate(m, heads_only)
            alone = loso_report(m, heads_only, heads_only_thresholds)
            metrics["loso_heads_only"] = {k: alone[k] for k in ("pooled_default", "pooled_strict")}
    else:
        thresholds = {n: Threshold(0.5, 0.8) for n in HEAD_NAMES}
    heads = fit_heads(m, cfg)
    bank = bank_of(m) if cfg.precedents else None
    if validate and limit is None and not include_noncommercial:
        held_out = [
            e
            for e in load_examples(
                Path(data_dir), eval_licences, synthetic=False, max_per_source=3000
            )
            if e.licence not in lic
        ]
        if held_out:
            hx, _ = embed_cached([e.text for e in held_out], cache, cfg.layers)
            metrics["external"] = external_report(
                held_out, full_scores(heads, bank, hx), thresholds
            )
    metrics["train_seconds"] = round(time.monotonic() - started, 1)
    write_artifacts(
        Path(out_dir),
        heads,
        bank,
        thresholds,
        examples,
        metrics,
        encoder_id,
        cfg,
        lic,
        heads_only_thresholds=heads_only_thresholds,
    )
    return metrics


def _dedupe(examples: list[Example]) -> list[Example]:
    seen: set[str] = set()
    out = []
    for e in examples:
        key = " ".join(e.text.lower().split())
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="primeguard train-guard", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", type=Path, required=True, help="folder of labelled JSONL sets")
    parser.add_argument(
        "--out", type=Path, required=True, help="where to write the guard artefacts"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--licence",
        action="append",
        dest="licences",
        help=f"licence to train on (repeatable; default {', '.join(PERMISSIVE)})",
    )
    parser.add_argument(
        "--include-noncommercial",
        action="store_true",
        help="also train on CC-BY-NC-4.0 sets: the result is NOT for commercial use",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="embedding cache")
    parser.add_argument("--no-validate", action="store_true", help="skip leave-one-source-out")
    args = parser.parse_args(argv)
    metrics = train_guard(
        args.data,
        args.out,
        seed=args.seed,
        licences=tuple(args.licences or PERMISSIVE),
        include_noncommercial=args.include_noncommercial,
        cache_dir=args.cache_dir,
        validate=not args.no_validate,
    )
    print(json.dumps(metrics, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
