"""Percentiles and the per-cell summary the reports print."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from primeguard.bench.load import Cell


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(cell: Cell) -> dict[str, Any]:
    """p50/p95/p99 of a cell's latencies in ms, with request counts and throughput."""
    return {
        "n_ok": cell.ok,
        "errors": {str(k): v for k, v in cell.statuses.items() if k != 200},
        "p50": round(percentile(cell.latencies, 50) * 1000, 2),
        "p95": round(percentile(cell.latencies, 95) * 1000, 2),
        "p99": round(percentile(cell.latencies, 99) * 1000, 2),
        "rps": round(cell.rps, 1),
        "routes": dict(cell.routes),
    }


def added_ms(target: dict[str, Any], direct: dict[str, Any]) -> dict[str, float]:
    """Latency added over the direct upstream call, per percentile."""
    return {q: round(target[q] - direct[q], 2) for q in ("p50", "p95", "p99")}
