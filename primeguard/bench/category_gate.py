"""What the category gate trades, with whole sources held out.

    python -m primeguard.bench.category_gate --data ../shared/data [--gates none,0.3,0.5,0.7]
        [--categories default|all|violence,privacy,...]

The shipped guard's training pipeline (`train-guard`'s leave-one-source-out:
each source scored by heads that never saw it, thresholds calibrated on those
scores) is rerun, and its held-out scores are read under each gate
(`thresholds.gate_category`: a category head's `unsafe` counts only where the
overall head scores at least the gate; under it the text is `controversial`).
Printed per gate: the pooled F1 at the default and strict tolerance, the share
of benign texts called `unsafe`, the recall of each held-out harmful source,
the benign flag rate of our hard negatives, and ToxicChat's train split
(never trained on) scored by the heads trained on everything.  About 15
minutes on 2 cores, most of it the embedding of every text (cached after).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

HARMFUL = ("advbench", "strongreject", "jbb_behaviors", "jbb_artifacts_jailbreaks",
           "inthewild_jailbreaks", "do_not_answer", "primeguard/unsafe-toxic")  # fmt: skip
BENIGN = ("primeguard/benign-sensitive", "primeguard/benign-discourse", "self_instruct_benign",
          "jbb_behaviors")  # fmt: skip


def _gate(raw: str) -> float | None:
    return None if raw.lower() in ("none", "off", "null") else float(raw)


def main(argv: Sequence[str] | None = None) -> None:
    from primeguard.guards.data import NONCOMMERCIAL, PERMISSIVE, load_examples
    from primeguard.guards.evaluation import f1, levels, source_groups
    from primeguard.guards.fastpath import default_cache_dir
    from primeguard.guards.fitting import TrainConfig, bank_of, fit_heads, to_matrix
    from primeguard.guards.heads import HEAD_NAMES
    from primeguard.guards.precedents import full_scores
    from primeguard.guards.thresholds import GATED_CATEGORIES
    from primeguard.guards.training import _dedupe, calibrate, embed_cached
    from primeguard.guards.validation import out_of_source_scores

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--gates", default="none,0.3,0.5,0.7")
    parser.add_argument("--categories", default="default", help="default, all, or a list")
    args = parser.parse_args(argv)
    gates = [_gate(g) for g in args.gates.split(",")]
    gated = {
        "default": [c.value for c in GATED_CATEGORIES],
        "all": list(HEAD_NAMES[:-1]),
    }.get(args.categories, args.categories.split(","))

    cfg = TrainConfig(seed=0)
    examples = _dedupe(load_examples(args.data, PERMISSIVE, max_per_source=cfg.max_per_source))
    cache = default_cache_dir() / "training"
    x, _ = embed_cached([e.text for e in examples], cache, cfg.layers)
    m = replace(to_matrix(examples, np.zeros((len(examples), 0), dtype=np.float32)), x=x)
    held_out, _ = out_of_source_scores(m, cfg)
    thresholds = calibrate(m, held_out)
    truth = m.y[:, -1] == 1
    group = source_groups(m.source)

    toxic = [
        e
        for e in load_examples(args.data, NONCOMMERCIAL, synthetic=False)
        if e.source == "toxic_chat_train"
    ]
    tc_scores = None
    if toxic:
        heads, bank = fit_heads(m, cfg), bank_of(m)
        tx, _ = embed_cached([e.text for e in toxic], cache, cfg.layers)
        tc_scores, tc_truth = full_scores(heads, bank, tx), np.array([e.unsafe for e in toxic])

    ungated = levels(held_out, thresholds) == 2
    for name in HEAD_NAMES[:-1]:
        lost = ungated & (levels(held_out, thresholds, 0.5, [name]) < 2)
        print(f"gating {name} alone at 0.5 removes {int((lost & ~truth).sum())} benign flags,"
              f" {int((lost & truth).sum())} harmful hits")  # fmt: skip
    print("gated:", ", ".join(gated))
    for gate in gates:
        lvl = levels(held_out, thresholds, gate, gated)
        print(
            f"gate {gate}: pooled F1 {f1(truth, lvl == 2)['f1']:.3f} (strict {f1(truth, lvl >= 1)['f1']:.3f}),"
            f" benign unsafe {(lvl[~truth] == 2).mean():.1%}"
        )
        recall = [f"{s} {(lvl[(group == s) & truth] == 2).mean():.2f}" for s in HARMFUL]
        print("  held-out recall:", ", ".join(recall))
        per_head = [
            f"{name} {(lvl[m.y[:, j] == 1] == 2).mean():.2f}"
            for j, name in enumerate(HEAD_NAMES[:-1])
            if (m.y[:, j] == 1).sum() >= 10
        ]
        print("  held-out recall per labelled category:", ", ".join(per_head))
        flags = [f"{s} {(lvl[(group == s) & ~truth] == 2).mean():.1%}" for s in BENIGN]
        print("  benign unsafe:", ", ".join(flags))
        if tc_scores is not None:
            tc = levels(tc_scores, thresholds, gate, gated)
            print(f"  ToxicChat train F1 {f1(tc_truth, tc == 2)['f1']:.3f}")


if __name__ == "__main__":
    main()
