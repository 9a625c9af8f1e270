"""Writes the guard artefacts: head weights, thresholds/metadata json, and MODEL_CARD.md."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from primeguard.guards.adapter import ADAPTER
from primeguard.guards.heads import GuardHeads
from primeguard.guards.precedents import FILE as PRECEDENTS
from primeguard.guards.precedents import Precedents
from primeguard.guards.thresholds import Threshold, dump_thresholds

if TYPE_CHECKING:
    from primeguard.guards.adapter import Adapter
    from primeguard.guards.data import Example
    from primeguard.guards.fitting import TrainConfig

WEIGHTS = "heads.safetensors"
THRESHOLDS = "thresholds.json"
CARD = "MODEL_CARD.md"


def write_artifacts(
    out: Path,
    heads: GuardHeads,
    bank: Precedents | None,
    thresholds: Mapping[str, Threshold],
    examples: Sequence[Example],
    metrics: Mapping[str, object],
    encoder_id: str,
    cfg: TrainConfig,
    licences: Sequence[str],
    *,
    heads_only_thresholds: Mapping[str, Threshold] | None = None,
    adapter: Adapter | None = None,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    heads.save(out / WEIGHTS)
    if adapter is not None:
        adapter.save(out / ADAPTER)
    elif (out / ADAPTER).exists():
        (out / ADAPTER).unlink()
    if bank is not None:
        bank.save(out / PRECEDENTS)
    elif (out / PRECEDENTS).exists():
        (out / PRECEDENTS).unlink()
    counts = Counter((e.source, e.licence, "unsafe" if e.unsafe else "safe") for e in examples)
    commercial = all(lic in ("MIT", "Apache-2.0") for lic in licences)
    meta = {
        "encoder": encoder_id,
        "heads_sha256": heads.digest(),
        "precedents": len(bank) if bank is not None else 0,
        "precedents_k": bank.k if bank is not None else 0,
        "precedents_share": bank.share if bank is not None else 0,
        "precedents_temperature": bank.temperature if bank is not None else None,
        # Of the bank as saved (float16), so it can be checked against the file.
        "precedents_sha256": Precedents.load(out / PRECEDENTS).digest()
        if bank is not None
        else None,
        "adapter_sha256": adapter.digest if adapter is not None else None,
        "seed": cfg.seed,
        "config": asdict(cfg),
        "licences": list(licences),
        "commercial_use": commercial,
        "thresholds": dump_thresholds(thresholds),
    }
    if heads_only_thresholds is not None:
        meta["thresholds_heads_only"] = dump_thresholds(heads_only_thresholds)
    (out / THRESHOLDS).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (out / CARD).write_text(_card(meta, counts, metrics), encoding="utf-8")
    # safetensors writes its files 0600 whatever the umask: readable as the other artefacts
    # are, or a guard image that runs as another user (deploy/) cannot load them.
    for name in (WEIGHTS, PRECEDENTS, ADAPTER):
        if (out / name).exists():
            (out / name).chmod(0o644)


def _card(
    meta: Mapping[str, object], counts: Counter[tuple[str, str, str]], metrics: Mapping[str, object]
) -> str:
    rows = "\n".join(
        f"| `{s}` | {lic} | {label} | {n} |" for (s, lic, label), n in sorted(counts.items())
    )
    use = (
        "commercial use allowed (MIT / Apache-2.0 data only)"
        if meta["commercial_use"]
        else ("**NON-COMMERCIAL ONLY**: trained on CC-BY-NC-4.0 data")
    )
    cfg = meta["config"]
    assert isinstance(cfg, Mapping)
    tune = cfg.get("tune")
    encoder = (
        f"tuned (a rank-{tune['rank']} LoRA adapter on every layer, `{ADAPTER}`, sha256 "
        f"`{meta['adapter_sha256']}`, trained with the heads' loss, epochs: {tune['epochs']}, "
        f"folded into the weights at load; validation holds out whole groups of sources from the "
        f"adapter and the heads alike)"
        if isinstance(tune, Mapping)
        else "frozen"
    )
    return f"""# PrimeGuard in-process guard heads

Per-category MLP heads (9 harm categories + overall "unsafe") on {encoder}
`{meta["encoder"]}` features: per layer in {list(cfg["layers"])}, the
mean-pooled, L2-normalised hidden states (the first is the sentence
embedding). The heads {list(cfg["rich_heads"])} read every layer, the others
the sentence embedding alone.
Tri-class verdict from two thresholds per head (`{THRESHOLDS}`). Each head's
score is moved {meta["precedents_share"]} of the way towards a vote of the {meta["precedents_k"]} most similar of
{meta["precedents"]} labelled training texts (`{PRECEDENTS}`: float16 embeddings,
labels and source weights; sha256 `{meta["precedents_sha256"]}`; 0 texts: heads alone).

- Licence of this artefact: {use}.
- Training licences: {meta["licences"]}. Seed: {meta["seed"]}.
- Heads sha256: `{meta["heads_sha256"]}`.
- Rebuild: `primeguard train-guard --data ../shared/data --out primeguard/assets/guard --seed {meta["seed"]}`.
- Synthetic `primeguard/*` sets are the project's own templates (Apache-2.0), see
  `primeguard/guards/synthetic.py`.
- Thresholds are calibrated on leave-one-source-out scores: each source is scored
  by heads that never saw it, so they reflect unseen kinds of traffic.
- Never trained or tuned on the benchmarks used to measure the project
  (OpenAI Moderation, ToxicChat test, HarmBench, XSTest).
- Known limits: MiniLM is English-centric; one-sided public sets; texts are
  truncated to 256 word pieces (head + tail).

## Training data

| source | licence | label | rows |
|---|---|---|---:|
{rows}

## Metrics (out-of-source unless stated)

```json
{json.dumps(metrics, indent=2)}
```
"""
