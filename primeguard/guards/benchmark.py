"""`benchmark_guard()`: texts/s of the in-process guard, per backend, batch size and length.

Each (backend, length, batch size) cell is timed in ``rounds`` rounds of
``seconds`` each, interleaved with the other cells, and reported as the best
and the median round: on shared cores the best round is the capacity, the
median says how noisy the machine was.

    python -m primeguard.guards.benchmark --backends onnx --rounds 5 --seconds 1
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

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
    rounds: int = 1,
    kinds: Sequence[str] = ("short", "long"),
    device: str | None = None,
    precedents: bool = True,
    assets: Path | None = None,
) -> dict[tuple[str, str, int], float]:
    """Print and return the best texts/s for each (backend, short|long, batch size).

    Times the whole guard: tokenisation, encoder, pooling, the heads, the
    precedents' vote and the input rules (readability, reproduction, deception, threats).
    """
    from primeguard.guards.encoder import MiniLMEncoder
    from primeguard.guards.heads import GuardHeads
    from primeguard.guards.inprocess import ASSETS
    from primeguard.guards.input_rules import InputRules
    from primeguard.guards.modelcard import WEIGHTS
    from primeguard.guards.precedents import FILE, Precedents, full_scores
    from primeguard.verdicts import Verdict

    rules = InputRules(True, Verdict.UNSAFE, Verdict.UNSAFE, Verdict.UNSAFE)  # the defaults

    def guard(batch: list[str], bs: int) -> None:
        full_scores(heads, vote, encoder.embed(batch, batch_size=bs))
        for text in batch:
            rules.check(text)

    where = assets or ASSETS
    heads = GuardHeads.load(where / WEIGHTS)
    bank = Precedents.load(where / FILE) if precedents and (where / FILE).exists() else None
    results: dict[tuple[str, str, int], float] = {}
    for backend in backends:
        encoder = MiniLMEncoder(
            backend=backend,  # type: ignore[arg-type]
            device=device,
            layers=heads.layers,
        )
        vote = bank
        if bank is not None and backend == "onnx":  # the vote's search as the guard runs it
            from primeguard.guards.nearest import fastest_nearest

            vote = bank.searched_by(fastest_nearest(bank.vectors, bank.k, encoder.threads))
        cells = [(kind, bs) for kind in kinds for bs in batch_sizes]
        rates: dict[tuple[str, int], list[float]] = {cell: [] for cell in cells}
        tokens = {kind: len(encoder.token_ids(_texts(kind, 1))[0]) for kind in kinds}
        for _ in range(rounds):
            for kind, bs in cells:
                batch = _texts(kind, bs)
                guard(batch, bs)  # warm-up
                n, start = 0, time.perf_counter()
                while time.perf_counter() - start < seconds:
                    guard(batch, bs)
                    n += bs
                rates[(kind, bs)].append(n / (time.perf_counter() - start))
        for kind, bs in cells:
            best, median = max(rates[(kind, bs)]), statistics.median(rates[(kind, bs)])
            results[(backend, kind, bs)] = best
            tok = tokens[kind]
            print(
                f"{backend:5s} {encoder.device:6s} {kind:5s} ({tok:3d} tok) batch {bs:3d}: "
                f"{best:8.1f} texts/s {best * tok:9.0f} tokens/s "
                f"(median of {rounds}: {median:8.1f} texts/s {median * tok:9.0f} tokens/s)",
                flush=True,
            )
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="torch,onnx")
    parser.add_argument("--batch-sizes", default="1,16,64")
    parser.add_argument("--kinds", default="short,long")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--device", default=None, help="cuda: the torch encoder on a GPU")
    parser.add_argument(
        "--no-precedents", action="store_true", help="heads only, without the precedents' vote"
    )
    parser.add_argument(
        "--assets", type=Path, default=None, help="a train-guard output folder (default: shipped)"
    )
    args = parser.parse_args(argv)
    benchmark_guard(
        backends=args.backends.split(","),
        batch_sizes=[int(b) for b in args.batch_sizes.split(",")],
        seconds=args.seconds,
        rounds=args.rounds,
        kinds=args.kinds.split(","),
        device=args.device,
        precedents=not args.no_precedents,
        assets=args.assets,
    )


if __name__ == "__main__":
    main()
