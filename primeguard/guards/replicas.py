"""Two session replicas on halves of a pass, where that beats one session's threads.

On some 2-core machines onnxruntime's intra-op threads scale poorly on MiniLM's
small matrices: on an Intel Xeon with AVX-512 VNNI and no AMX, one session with
two threads ran 539-583 short texts/s at 16-64 a pass, and two one-thread
sessions, each on half the pass at once, 647-727 (+11-25%); on 256-token texts
+4-13%.  Elsewhere two threads in one session may be the faster way, so
`replicated_runner` times both once, on a synthetic pass when the encoder loads
(~0.3 s), and keeps the faster.  Passes under `SPLIT_MIN` rows always take the
single session: a lone prompt's latency is never traded.  The replicas hold
their own weights (~25 MB each), and are dropped when they lose.

``PRIMEGUARD_ONNX_SPLIT=on|off`` skips the timing (benchmarks, tests).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: Passes with fewer rows than this always run on the single session.
SPLIT_MIN = 4
#: The synthetic pass the two ways are timed on: rows x tokens, and rounds each.
PROBE_SHAPE = (32, 32)
PROBE_ROUNDS = 5

Run = Callable[[np.ndarray, np.ndarray], np.ndarray]


class ReplicatedRun:
    """`run(input_ids, mask)` on one session, or on two replicas' halves at once."""

    def __init__(self, single: Run, halves: tuple[Run, Run] | None) -> None:
        self._single = single
        self._halves = halves
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="primeguard-onnx") if halves else None

    @property
    def split(self) -> bool:
        return self._halves is not None

    def __call__(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._halves is None or self._pool is None or len(input_ids) < SPLIT_MIN:
            return self._single(input_ids, mask)
        half = len(input_ids) // 2
        first, second = self._halves
        pending = self._pool.submit(first, input_ids[:half], mask[:half])
        tail = second(input_ids[half:], mask[half:])
        return np.concatenate([pending.result(), tail])


def replicated_runner(make: Callable[[int], Run], threads: int) -> ReplicatedRun:
    """One session of `threads` threads, plus two of `threads // 2` where they are faster
    (`make(n)` builds a session's run function with n intra-op threads)."""
    single = make(threads)
    mode = os.environ.get("PRIMEGUARD_ONNX_SPLIT", "auto").lower()
    if threads < 2 or mode == "off":
        return ReplicatedRun(single, None)
    halves = (make(threads // 2), make(threads // 2))
    split = ReplicatedRun(single, halves)
    if mode == "on" or _faster(split, single):
        return split
    return ReplicatedRun(single, None)


def _faster(split: ReplicatedRun, single: Run) -> bool:
    """Whether the replicas ran the probe pass faster (median of interleaved rounds)."""
    rows, tokens = PROBE_SHAPE
    ids = np.full((rows, tokens), 1000, dtype=np.int64)
    ids[:, 0], ids[:, -1] = 101, 102  # [CLS] ... [SEP]
    mask = np.ones_like(ids)
    timings: dict[bool, list[float]] = {True: [], False: []}
    split(ids, mask), single(ids, mask)  # warm-up: first runs allocate
    for _ in range(PROBE_ROUNDS):
        for way, run in ((True, split), (False, single)):
            start = time.perf_counter()
            run(ids, mask)
            timings[way].append(time.perf_counter() - start)
    return statistics.median(timings[True]) < statistics.median(timings[False])


__all__ = ["SPLIT_MIN", "ReplicatedRun", "replicated_runner"]
