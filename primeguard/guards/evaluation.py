"""Quality figures for the guard heads: per held-out source, per category, external sets."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from primeguard.guards.heads import HEAD_NAMES
from primeguard.guards.thresholds import Threshold

if TYPE_CHECKING:
    from primeguard.guards.data import Example
    from primeguard.guards.fitting import Matrix


def levels(
    scores: np.ndarray,
    thresholds: Mapping[str, Threshold],
    gate: float | None = None,
    gated: Collection[str] = (),
) -> np.ndarray:
    """Per row: 0 safe, 1 controversial, 2 unsafe (worst over heads); with a `gate`, a
    `gated` category head's unsafe counts only where the overall head scores at least
    `gate` (`thresholds.gate_category`)."""
    contro = np.array([thresholds[n].controversial for n in HEAD_NAMES])
    unsafe = scores >= np.array([thresholds[n].unsafe for n in HEAD_NAMES])
    if gate is not None:
        columns = [j for j, name in enumerate(HEAD_NAMES[:-1]) if name in gated]
        unsafe[:, columns] &= scores[:, -1:] >= gate  # the overall head is the last
    out = np.where((scores >= contro).any(1), 1, 0)
    return np.where(unsafe.any(1), 2, out)


def f1(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    tp = float((truth & pred).sum())
    precision = tp / max(float(pred.sum()), 1.0)
    recall = tp / max(float(truth.sum()), 1.0)
    score = 2 * precision * recall / max(precision + recall, 1e-9)
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(score, 3)}


def _rates(truth: np.ndarray, lvl: np.ndarray) -> dict[str, object]:
    row: dict[str, object] = {"n": len(truth), "unsafe_rows": int(truth.sum())}
    if truth.all() or not truth.any():
        key = "recall" if truth.all() else "flag_rate"
        row[f"{key}_unsafe"] = round(float((lvl == 2).mean()), 3)
        row[f"{key}_controversial_or_worse"] = round(float((lvl >= 1).mean()), 3)
    else:
        row["default"] = f1(truth, lvl == 2)
        row["strict"] = f1(truth, lvl >= 1)
    return row


def source_groups(sources: Iterable[str]) -> np.ndarray:
    """Each row's reporting group: its source, our synthetic sets by family (no fold suffix)."""
    return np.array([s.rsplit("/", 1)[0] if s.startswith("primeguard/") else s for s in sources])


def loso_report(
    m: Matrix, scores: np.ndarray, thresholds: Mapping[str, Threshold]
) -> dict[str, object]:
    """Out-of-source figures: each source scored by heads trained without it."""
    truth = m.y[:, -1] == 1
    lvl = levels(scores, thresholds)
    groups = source_groups(m.source)
    per_source = {str(s): _rates(truth[groups == s], lvl[groups == s]) for s in np.unique(groups)}
    benign = ~truth
    per_category = {}
    for j, name in enumerate(HEAD_NAMES[:-1]):
        known = m.y[:, j] >= 0
        pos = m.y[:, j] == 1
        if pos.sum() < 10:
            continue
        hit = scores[:, j] >= thresholds[name].unsafe
        per_category[name] = {
            "positives": int(pos.sum()),
            **f1(pos[known], hit[known]),
            "benign_flag_rate": round(float(hit[benign].mean()), 4),
        }
    return {
        "pooled_default": f1(truth, lvl == 2),
        "pooled_strict": f1(truth, lvl >= 1),
        "benign_flag_rate_unsafe": round(float((lvl[benign] == 2).mean()), 4),
        "benign_flag_rate_controversial_or_worse": round(float((lvl[benign] >= 1).mean()), 4),
        "per_source": per_source,
        "per_category": per_category,
    }


def external_report(
    examples: Sequence[Example], scores: np.ndarray, thresholds: Mapping[str, Threshold]
) -> dict[str, object]:
    """Sets never trained on (licence-excluded): per source rates or F1."""
    truth = np.array([e.unsafe for e in examples])
    source = np.array([e.source for e in examples])
    lvl = levels(scores, thresholds)
    return {str(s): _rates(truth[source == s], lvl[source == s]) for s in np.unique(source)}
