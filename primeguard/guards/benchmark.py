"""`benchmark_guard()`: texts/s of the in-process guard, per backend, batch size and length."""

from __future__ import annotations

import time
from collections.abc import Sequence

SHORT = "Can you explain how photosynthesis works in simple terms for a ten year old student please"
WORD = "analysis "


def _texts(kind: str, n: int) -> list[str]:
    if kind == "short":  # ~30 tokens with [CLS]/[SEP]
        return [f"{SHORT} ({i}) and thanks a lot" for i in range(n)]
    return [f"{i} " + WORD * 300 for i in range(n)]  # truncated to 256 tokens


def benchmark_guard(
    backends: Sequence[str] = ("torch", "onnx"),
    batch_sizes: Sequence[int] = (1, 16, 64),
    seconds: float = 3.0,
) -> dict[tuple[str, str, int], float]:
    """Print and return texts/s for each (backend, short|long, batch size)."""
    from primeguard.guards.encoder import MiniLMEncoder
    from primeguard.guards.heads import GuardHeads
    from primeguard.guards.inprocess import ASSETS
    from primeguard.guards.modelcard import WEIGHTS

    heads = GuardHeads.load(ASSETS / WEIGHTS)
    results: dict[tuple[str, str, int], float] = {}
    for backend in backends:
        encoder = MiniLMEncoder(backend=backend)  # type: ignore[arg-type]
        for kind in ("short", "long"):
            tokens = len(encoder.token_ids(_texts(kind, 1))[0])
            for bs in batch_sizes:
                batch = _texts(kind, bs)
                heads.scores(encoder.embed(batch, batch_size=bs))  # warm-up
                n, start = 0, time.perf_counter()
                while time.perf_counter() - start < seconds:
                    heads.scores(encoder.embed(batch, batch_size=bs))
                    n += bs
                rate = n / (time.perf_counter() - start)
                results[(backend, kind, bs)] = rate
                print(
                    f"{backend:5s} {kind:5s} ({tokens:3d} tok) batch {bs:3d}: "
                    f"{rate:8.1f} texts/s {rate * tokens:9.0f} tokens/s",
                    flush=True,
                )
    return results


if __name__ == "__main__":
    benchmark_guard()
