"""Validation for `train-guard`: scores for every training row from heads that never saw
its kind of text.

Public sources are held out whole (leave-one-source-out); our template families
in a few groups of families.  A tuned encoder has itself seen every source it
trained on, so its validation holds out whole groups of sources from the adapter
and the heads alike (`tuned_out_of_source_scores`).  Mixed-label sources large
enough also get k-fold figures (`in_source_report`): how the guard does on more
traffic of a kind it was trained on.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from primeguard.guards.fitting import Matrix, TrainConfig, bank_of, fit_heads
from primeguard.guards.precedents import blend, full_scores
from primeguard.guards.thresholds import Threshold

if TYPE_CHECKING:
    from primeguard.guards.adapter import Adapter

# Mixed-label sources this large also get a k-fold figure (`in_source_report`).
IN_SOURCE_MIN_ROWS = 150


def validation_fold(source: str, synthetic_folds: int = 4) -> str:
    """Public sources are held out whole; our template families in a few groups of families."""
    if source.startswith("primeguard/"):
        return f"primeguard/fold{zlib.crc32(source.encode()) % synthetic_folds}"
    return source


def held_out_scores(
    m: Matrix, cfg: TrainConfig, held: np.ndarray, x: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Scores for the `held` rows from heads (and a bank) fit on the others, on features
    `x` where given (a tuned encoder's), else `m.x`: (blended with the vote, heads alone)."""
    mx = m if x is None else Matrix(x, m.y, m.weight, m.source)
    keep = mx.rows(~held)
    alone = fit_heads(keep, cfg).scores(mx.x[held])
    if not cfg.precedents:
        return alone, alone
    bank = bank_of(keep)
    return blend(alone, bank.votes(mx.x[held]), bank.share), alone


def out_of_source_scores(m: Matrix, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Scores for every row from heads (and a bank) that never saw the row's source:
    (blended with the precedents' vote, the heads alone)."""
    scores = np.zeros(m.y.shape, dtype=np.float64)
    heads_only = np.zeros(m.y.shape, dtype=np.float64)
    folds = np.array([validation_fold(s) for s in m.source])
    for src in np.unique(folds):
        held = folds == src
        print(f"leave-one-source-out: {src} ({int(held.sum())} rows)", file=sys.stderr, flush=True)
        scores[held], heads_only[held] = held_out_scores(m, cfg, held)
    return scores, heads_only


def tuned_out_of_source_scores(
    m: Matrix,
    ids: Sequence[Sequence[int]],
    cfg: TrainConfig,
    embed: Callable[[Adapter], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """As `out_of_source_scores`, for a tuned encoder: whole groups of sources held out
    from the adapter and the heads alike; `embed` gives every row's features under an adapter."""
    from primeguard.guards.tuning import VALIDATION_GROUPS, source_groups, tune_adapter

    assert cfg.tune is not None
    scores = np.zeros(m.y.shape, dtype=np.float64)
    heads_only = np.zeros(m.y.shape, dtype=np.float64)
    groups = source_groups(np.array([validation_fold(s) for s in m.source]))
    for g in range(VALIDATION_GROUPS):
        held = groups == g
        names = ", ".join(sorted({validation_fold(s) for s in m.source[held]}))
        print(f"held-out group {g}: {names} ({int(held.sum())} rows)", file=sys.stderr, flush=True)
        rows = np.flatnonzero(~held)
        adapter = tune_adapter(
            [ids[i] for i in rows.tolist()],
            m.y[rows],
            m.weight[rows],
            cfg.layers,
            cfg.tune,
            cfg.seed + 1 + g,
        )
        scores[held], heads_only[held] = held_out_scores(m, cfg, held, embed(adapter))
    return scores, heads_only


def in_source_scores(m: Matrix, cfg: TrainConfig, source: str, folds: int = 5) -> np.ndarray:
    """Scores for one source's rows, each from heads (and a bank) trained on every other
    source and the other folds of its own: how the guard does on more traffic of a kind
    it was trained on (leave-one-source-out says how it does on a kind it never saw)."""
    rows = np.flatnonzero(m.source == source)
    fold = np.random.default_rng(cfg.seed).permutation(len(rows)) % folds
    scores = np.zeros((len(rows), m.y.shape[1]), dtype=np.float64)
    for k in range(folds):
        held = np.zeros(len(m.source), dtype=bool)
        held[rows[fold == k]] = True
        keep = m.rows(~held)
        scores[fold == k] = full_scores(
            fit_heads(keep, cfg), bank_of(keep) if cfg.precedents else None, m.x[held]
        )
    return scores


def in_source_report(
    m: Matrix,
    cfg: TrainConfig,
    thresholds: dict[str, Threshold],
    min_rows: int = IN_SOURCE_MIN_ROWS,
) -> dict[str, object]:
    """K-fold figures for every trained source with both labels and at least `min_rows` rows."""
    from primeguard.guards.evaluation import f1, levels

    report: dict[str, object] = {}
    for src in np.unique(m.source):
        truth = m.y[m.source == src, -1] == 1
        if len(truth) < min_rows or truth.all() or not truth.any():
            continue
        lvl = levels(in_source_scores(m, cfg, str(src)), thresholds)
        report[str(src)] = {
            "n": len(truth),
            "default": f1(truth, lvl == 2),
            "strict": f1(truth, lvl >= 1),
        }
    return report
