"""The encoder's low-rank adapter (LoRA): its file, its identity, and folding it in.

`tuning` trains rank-r updates ``scale * B @ A`` for the linear maps of every
MiniLM layer (``TARGETS``).  They ship beside the heads as one small
safetensors file (~1.3 MB at rank 8) and are folded into the base weights when
the encoder loads (``W += scale * B @ A``), so both backends run a plain BERT at
the base model's cost, and the ONNX export is keyed by the merged weights.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ADAPTER = "encoder_adapter.safetensors"
# The linear maps of each BERT layer that the adapter updates.
TARGETS: tuple[str, ...] = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


@dataclass(frozen=True)
class Adapter:
    """Per updated module (``encoder.layer.<i>.<target>``): the factors A [r, in] and B [out, r]."""

    factors: dict[str, tuple[np.ndarray, np.ndarray]]
    rank: int
    alpha: float

    @property
    def scale(self) -> float:
        return self.alpha / self.rank

    @property
    def digest(self) -> str:
        """sha256 over the factors and the scale: the adapter's identity."""
        h = hashlib.sha256(json.dumps([self.rank, self.alpha]).encode())
        for name in sorted(self.factors):
            a, b = self.factors[name]
            h.update(name.encode())
            h.update(np.ascontiguousarray(a, dtype=np.float32).tobytes())
            h.update(np.ascontiguousarray(b, dtype=np.float32).tobytes())
        return h.hexdigest()

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        tensors = {}
        for name, (a, b) in self.factors.items():
            tensors[f"{name}.lora_A"] = np.ascontiguousarray(a, dtype=np.float32)
            tensors[f"{name}.lora_B"] = np.ascontiguousarray(b, dtype=np.float32)
        meta = {"rank": str(self.rank), "alpha": str(self.alpha), "format": "primeguard-lora/1"}
        save_file(tensors, str(path), metadata=meta)

    @classmethod
    def load(cls, path: Path) -> Adapter:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
            if meta.get("format") != "primeguard-lora/1":
                raise ValueError(f"{path}: not a primeguard encoder adapter")
            names = {k.rsplit(".", 1)[0] for k in f.keys()}  # noqa: SIM118 - safe_open is not iterable
            factors = {n: (f.get_tensor(f"{n}.lora_A"), f.get_tensor(f"{n}.lora_B")) for n in names}
        adapter = cls(factors, int(meta["rank"]), float(meta["alpha"]))
        adapter.check()
        return adapter

    def check(self) -> None:
        for name, (a, b) in self.factors.items():
            if a.ndim != 2 or b.ndim != 2 or a.shape[0] != self.rank or b.shape[1] != self.rank:
                raise ValueError(f"adapter factor {name}: shapes {a.shape}, {b.shape}")

    def merge_into(self, model: Any) -> None:
        """Fold every update into `model`'s weights (a transformers BertModel), in place."""
        import torch

        with torch.no_grad():
            for name, (a, b) in self.factors.items():
                weight = model.get_submodule(name).weight
                delta = torch.from_numpy(b) @ torch.from_numpy(a)
                if delta.shape != weight.shape:
                    raise ValueError(
                        f"adapter {name}: {tuple(delta.shape)} for a {tuple(weight.shape)} weight"
                    )
                weight += (self.scale * delta).to(weight.dtype)
