"""Two session replicas on halves of a pass, where that beats one session's threads.

On some 2-core machines onnxruntime's intra-op threads scale poorly on MiniLM's
small matrices: on an Intel Xeon with AVX-512 VNNI and no AMX, one session with
two threads ran 539-583 short texts/s at 16-64 a pass, and two one-thread
sessions, each on half the pass at once, 647-727 (+11-25%); on 256-token texts
+4-13%.  Elsewhere two threads in one session may be the faster way, so
`replicated_runner` times both once, in turns, on a synthetic pass when the
encoder loads (~0.5 s; three sessions held meanwhile), and keeps the faster
way's sessions only.  Passes under `SPLIT_MIN`
rows run on one replica alone (on that machine one thread ran a lone prompt as
fast as two: 306 against 300 texts/s).  Each session holds its own packed
weights and activation arena: where the replicas win, the encoder's process holds
~65 MB more (RSS 199 -> 266 MB; 345 MB at the peak of the timing); ``off`` saves it.

``PRIMEGUARD_ONNX_SPLIT=on|off`` skips the timing (benchmarks, tests).  The choice is
not part of the guard's version: like the mix of texts in a pass, which sets the
dynamic int8 scales too, it moves a text's vector by at most ~0.02 per component.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

log = logging.getLogger("primeguard.guards")

#: Passes with fewer rows than this always run on the single session.
SPLIT_MIN = 4
#: The synthetic pass the two ways are timed on: rows x tokens, and rounds each.
PROBE_SHAPE = (32, 32)
PROBE_ROUNDS = 7

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

    def close(self) -> None:
        """Let the helper thread go (a runner that lost the timing)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def __call__(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._halves is None or self._pool is None or len(input_ids) < SPLIT_MIN:
            return self._single(input_ids, mask)
        half = len(input_ids) // 2
        first, second = self._halves
        pending = self._pool.submit(first, input_ids[:half], mask[:half])
        tail = second(input_ids[half:], mask[half:])
        return np.concatenate([pending.result(), tail])


def replicated_runner(make: Callable[[int], Run], threads: int) -> ReplicatedRun:
    """One session of `threads` threads, or two of `threads // 2` where they are faster
    (`make(n)` builds a session's run function with n intra-op threads)."""
    mode = _mode()
    if threads < 2 or mode == "off":
        return ReplicatedRun(make(threads), None)
    halves = (make(threads // 2), make(threads // 2))
    split = ReplicatedRun(halves[0], halves)
    if mode == "on":
        return split
    single = make(threads)
    if _faster(split, single):
        del single
        _release_memory()
        return split
    split.close()
    del split, halves
    _release_memory()
    return ReplicatedRun(single, None)


_MODES = {
    **dict.fromkeys(("on", "1", "true", "yes"), "on"),
    **dict.fromkeys(("off", "0", "false", "no"), "off"),
    **dict.fromkeys(("auto", ""), "auto"),
}


def _mode() -> str:
    raw = os.environ.get("PRIMEGUARD_ONNX_SPLIT", "auto")
    mode = _MODES.get(raw.strip().lower())
    if mode is None:
        log.warning("PRIMEGUARD_ONNX_SPLIT=%r is not on, off or auto: timing both ways", raw)
        return "auto"
    return mode


def _faster(split: ReplicatedRun, single: Run) -> bool:
    """Whether the replicas ran the probe pass faster: the two ways in turns, so that a
    machine whose speed drifts (shared cores) drifts for both, and the medians compared."""
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


def _release_memory() -> None:
    """Hand a dropped session's memory back to the system (glibc keeps freed heap)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator keeps it for reuse
        pass


__all__ = ["SPLIT_MIN", "ReplicatedRun", "replicated_runner"]
