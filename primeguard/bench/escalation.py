"""How much traffic a cascade sends to its second stage, with the shipped guard first.

    python -m primeguard.bench.escalation --data ../shared/data

Per source: the share of texts the in-process guard calls `controversial`
(what `{kind: cascade}` escalates by default) and `unsafe`; on sets with both
labels, its F1 alone and the ceiling with a perfect second stage, for
`escalate: [controversial]` and `[controversial, unsafe]`.  The ceiling is not
a served guard's score: it says how much the first stage's own mistakes on the
texts it keeps cost.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from primeguard.verdicts import GuardResult, GuardText, severity

if TYPE_CHECKING:
    from primeguard.guards.inprocess import InProcessGuard

SOURCES = (
    "toxic_chat_train",
    "alpaca_harmless",
    "self_instruct_benign",
    "jbb_behaviors",
    "advbench",
    "strongreject",
    "inthewild_jailbreaks",
)


def report(data: Path, sources: Sequence[str] = SOURCES, per_source: int = 3000) -> list[str]:
    from primeguard.guards.data import NONCOMMERCIAL, PERMISSIVE, load_examples
    from primeguard.guards.evaluation import f1
    from primeguard.guards.inprocess import InProcessGuard

    rows = load_examples(
        data, NONCOMMERCIAL + PERMISSIVE, synthetic=False, max_per_source=per_source
    )
    sets = {src: [e for e in rows if e.source == src] for src in sources}
    sets = {src: examples for src, examples in sets.items() if examples}
    verdicts = asyncio.run(_check(InProcessGuard(), [[e.text for e in v] for v in sets.values()]))
    lines = []
    for (src, examples), results in zip(sets.items(), verdicts):
        lvl = np.array([severity(r.verdict) for r in results])
        truth = np.array([e.unsafe for e in examples])
        line = (
            f"{src}: n={len(examples)} escalated {np.mean(lvl == 1):.1%}"
            f" (with unsafe {np.mean(lvl >= 1):.1%}), unsafe {np.mean(lvl == 2):.1%}"
        )
        if truth.any() and not truth.all():
            contro = np.where(lvl == 1, truth, lvl == 2)
            both = np.where(lvl >= 1, truth, False)
            line += (
                f" | F1 alone {f1(truth, lvl == 2)['f1']}"
                f", ceiling [controversial] {f1(truth, contro)['f1']}"
                f", [controversial, unsafe] {f1(truth, both)['f1']}"
            )
        lines.append(line)
    return lines


async def _check(guard: InProcessGuard, sets: list[list[str]]) -> list[list[GuardResult]]:
    """The guard's input verdicts, as a cascade gets them (unreadable input included)."""
    try:
        out: list[list[GuardResult]] = []
        for texts in sets:
            results: list[GuardResult] = []
            for start in range(0, len(texts), 256):
                chunk = texts[start : start + 256]
                results += await guard.check([GuardText(t) for t in chunk])
            out.append(results)
        return out
    finally:
        await guard.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of labelled JSONL sets")
    args = parser.parse_args(argv)
    for line in report(args.data):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
