"""`primeguard train-guard`: fit the per-category heads on MiniLM embeddings.

Steps: load rows (licence-filtered) and our synthetic sets -> with `--tune`, train
a low-rank adapter for the encoder first (`tuning`) -> embed once with
the torch fp32 encoder (cached on disk by text digest; the last layer's and a
lower layer's pooled vectors, see `fitting.RICH_HEADS`) -> leave-one-source-out
(LOSO): for each source, train on all others and score it -> calibrate each
head's two thresholds on those out-of-source scores -> k-fold figures for the
large mixed-label sources (ToxicChat's real traffic, when it is trained on) ->
train the final heads on everything -> write weights, thresholds and a model card.

Calibrating on out-of-source scores matters: in-sample, every source is easy
to tell apart, and thresholds chosen there flag most real benign traffic.  A
tuned encoder has seen every source, so with `--tune` the out-of-source scores
come from whole groups of sources held out from the adapter and the heads alike
(`validation.tuned_out_of_source_scores`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from primeguard.guards.data import NONCOMMERCIAL, PERMISSIVE, Example, load_examples
from primeguard.guards.fitting import Matrix, TrainConfig, bank_of, fit_heads, to_matrix
from primeguard.guards.heads import HEAD_NAMES
from primeguard.guards.precedents import full_scores
from primeguard.guards.thresholds import Threshold
from primeguard.guards.tuning import TuneConfig
from primeguard.guards.validation import (
    in_source_report,
    out_of_source_scores,
    tuned_out_of_source_scores,
)

if TYPE_CHECKING:
    from primeguard.guards.adapter import Adapter

# Target false-positive rates on out-of-source benign texts (source-balanced).
OVERALL_FPR = {"controversial": 0.10, "unsafe": 0.04}
CATEGORY_FPR = {"controversial": 0.03, "unsafe": 0.01}


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
    texts: Sequence[str], cache_dir: Path, layers: Sequence[int], adapter: Adapter | None = None
) -> tuple[np.ndarray, str]:
    """fp32 torch features, cached per encoder and text digest under `cache_dir`."""
    from primeguard.guards.encoder import MiniLMEncoder

    encoder = MiniLMEncoder(backend="torch", layers=layers, adapter=adapter)
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
    texts = [e.text for e in examples]
    labels = to_matrix(examples, np.zeros((len(examples), 0), dtype=np.float32))
    adapter, ids = None, []
    if cfg.tune is not None:
        from primeguard.guards.encoder import MiniLMEncoder
        from primeguard.guards.tuning import tune_adapter

        ids = MiniLMEncoder(backend="torch", max_tokens=cfg.tune.max_tokens).token_ids(texts)
        adapter = tune_adapter(ids, labels.y, labels.weight, cfg.layers, cfg.tune, cfg.seed)
    x, encoder_id = embed_cached(texts, cache, cfg.layers, adapter)
    m = replace(labels, x=x)
    metrics: dict[str, object] = {}
    heads_only_thresholds = None
    if validate:
        if cfg.tune is None:
            scores, heads_only = out_of_source_scores(m, cfg)
        else:
            scores, heads_only = tuned_out_of_source_scores(
                m, ids, cfg, lambda a: _embed(texts, cfg.layers, a)
            )
        thresholds = calibrate(m, scores)
        metrics["loso"] = loso_report(m, scores, thresholds)
        if cfg.precedents:
            # For a guard run without the vote (`vote: false`): its own calibration.
            heads_only_thresholds = calibrate(m, heads_only)
            alone = loso_report(m, heads_only, heads_only_thresholds)
            metrics["loso_heads_only"] = {k: alone[k] for k in ("pooled_default", "pooled_strict")}
        if limit is None:
            metrics["in_source"] = in_source_report(m, cfg, thresholds)
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
            hx, _ = embed_cached([e.text for e in held_out], cache, cfg.layers, adapter)
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
        adapter=adapter,
    )
    return metrics


def _embed(texts: Sequence[str], layers: Sequence[int], adapter: Adapter) -> np.ndarray:
    from primeguard.guards.encoder import MiniLMEncoder

    return MiniLMEncoder(backend="torch", layers=layers, adapter=adapter).embed(texts)


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
    parser.add_argument(
        "--tune",
        action="store_true",
        help="tune the encoder with a LoRA adapter first (4 fine-tunes of an epoch: ~17 min"
        " on 2 cores with AMX; see primeguard.guards.tuning)",
    )
    args = parser.parse_args(argv)
    metrics = train_guard(
        args.data,
        args.out,
        seed=args.seed,
        licences=tuple(args.licences or PERMISSIVE),
        include_noncommercial=args.include_noncommercial,
        cache_dir=args.cache_dir,
        validate=not args.no_validate,
        config=TrainConfig(seed=args.seed, tune=TuneConfig()) if args.tune else None,
    )
    print(json.dumps(metrics, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
