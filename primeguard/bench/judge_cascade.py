"""The shipped guard alone against the shipped guard with a judge behind it, on labelled sets.

    python -m primeguard.bench.judge_cascade --data ../shared/data --source jbb_behaviors
    python -m primeguard.bench.judge_cascade --data ../shared/data --config proxy.yaml --limit 500

The guards are built by the proxy's own wiring from a config (default: the
embedded one, whose judge is the local SmolLM2), so the judge is whatever model
that config's `routing.judge_model` (or first model) names.  Per source:
precision, recall and F1 of `unsafe`, and of "not safe" (a strict tenant), for
`minilm` alone and for `{kind: cascade, first: minilm, then: judge}`, with the
share escalated and the judge's seconds per escalated text.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from primeguard.config import Settings, embedded_settings, load_config
from primeguard.verdicts import GuardResult, GuardText, Verdict

GUARDS: dict[str, dict[str, object]] = {
    "minilm": {"kind": "inprocess"},
    "judge": {"kind": "judge", "timeout_s": 3600},
    "cascade": {"kind": "cascade", "first": "minilm", "then": "judge", "timeout_s": 36000},
}


def scores(flagged: Sequence[bool], gold: Sequence[bool]) -> str:
    tp = sum(f and g for f, g in zip(flagged, gold))
    fp = sum(f and not g for f, g in zip(flagged, gold))
    fn = sum(g and not f for f, g in zip(flagged, gold))
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return f"P {p:.3f}  R {r:.3f}  F1 {2 * p * r / max(p + r, 1e-9):.3f}  flagged {sum(flagged)}"


def with_cascade(settings: Settings) -> Settings:
    model = settings.routing.judge_model or settings.model_list[0].model_name
    judge = {**GUARDS["judge"], "model": model}
    guards = {
        "input": ["minilm", "cascade"],
        "output": [],
        "definitions": {**GUARDS, "judge": judge},
    }
    return settings.model_copy(update={"guards": guards})


async def run(settings: Settings, texts: list[str], gold: list[bool]) -> list[str]:
    from primeguard.server.wiring import build_proxy

    proxy = await build_proxy(with_cascade(settings))
    try:
        await proxy.ready.wait()
        items = [GuardText(t) for t in texts]
        alone: list[GuardResult] = await proxy.guards["minilm"].check(items)
        started = time.perf_counter()
        both: list[GuardResult] = await proxy.guards["cascade"].check(items)
        seconds = time.perf_counter() - started
    finally:
        await proxy.aclose()
    escalated = [b.verdict for a, b in zip(alone, both) if a.verdict is Verdict.CONTROVERSIAL]
    per_text = seconds / max(len(escalated), 1)
    verdicts = dict(Counter(v.value for v in escalated))
    lines = [
        f"  escalated {len(escalated)} of {len(texts)}, judge {per_text:.2f} s/text; its verdicts {verdicts}"
    ]
    for name, results in (("minilm alone", alone), ("minilm -> judge", both)):
        lines.append(
            f"  {name:16} unsafe: {scores([r.verdict is Verdict.UNSAFE for r in results], gold)}"
        )
        lines.append(
            f"  {name:16} strict: {scores([r.verdict is not Verdict.SAFE for r in results], gold)}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of labelled JSONL sets")
    parser.add_argument(
        "--source", action="append", help="set name (repeatable); default jbb_behaviors"
    )
    parser.add_argument("--config", type=Path, help="proxy config; default: the embedded one")
    parser.add_argument("--limit", type=int, default=200, help="texts per set (a seeded sample)")
    args = parser.parse_args(argv)
    settings = load_config(args.config) if args.config else embedded_settings()
    for source in args.source or ["jbb_behaviors"]:
        rows = [
            json.loads(line)
            for line in (args.data / f"{source}.jsonl").read_text().splitlines()
            if line
        ]
        random.Random(0).shuffle(rows)
        rows = rows[: args.limit]
        print(source)
        for line in asyncio.run(
            run(settings, [r["text"] for r in rows], [r["label"] == "unsafe" for r in rows])
        ):
            print(line)


if __name__ == "__main__":
    main()
