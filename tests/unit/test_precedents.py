"""Precedents: the labelled-neighbour vote, its file, operators' cases, and the shipped bank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from primeguard.guards.inprocess import InProcessGuard
from primeguard.guards.nearest import numpy_nearest, onnx_nearest
from primeguard.guards.precedents import Precedents, ReviewedCases, blend, read_cases
from primeguard.verdicts import GuardText, Verdict


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _bank(n: int = 40, seed: int = 0) -> tuple[Precedents, np.ndarray]:
    """Two clusters: around +e0 unsafe, around -e0 safe."""
    rng = np.random.default_rng(seed)
    centre = np.zeros(16, dtype=np.float32)
    centre[0] = 1.0
    unsafe = _unit(centre + 0.1 * rng.normal(size=(n, 16)))
    safe = _unit(-centre + 0.1 * rng.normal(size=(n, 16)))
    # two heads: the first knows every case, the second only the unsafe ones
    labels = np.array([[1.0, 1.0]] * n + [[0.0, -1.0]] * n, dtype=np.float32)
    return Precedents(np.vstack([unsafe, safe]), labels, np.ones(2 * n, np.float32), k=10), centre


def test_vote_follows_the_nearest_cases() -> None:
    bank, centre = _bank()
    votes = bank.votes(_unit(np.stack([centre, -centre, centre + 0.05])))
    assert votes[0, 0] > 0.99 and votes[1, 0] < 0.01 and votes[2, 0] > 0.99
    # a head no near case carries a label for gets no vote (NaN), and blending keeps the head
    assert votes[0, 1] == 1.0 and np.isnan(votes[1, 1])
    assert np.allclose(blend(np.array([[0.2, 0.3]]), votes[1:2], 0.5), [[0.1, 0.3]], atol=0.01)
    assert np.allclose(blend(np.array([[0.2]]), np.array([[1.0]]), 0.25), [[0.4]])
    # one batch or many chunks: the same votes
    queries = _unit(np.random.default_rng(1).normal(size=(600, 16)))
    many = np.concatenate([bank.votes(q[None]) for q in queries])
    assert np.allclose(bank.votes(queries), many, equal_nan=True)


def test_blocked_top_k_is_the_exact_top_k() -> None:
    """Large banks search block maxima first; the neighbours must be exactly the k nearest."""
    rng = np.random.default_rng(5)
    vectors = _unit(rng.normal(size=(3001, 16)))  # not a whole number of blocks
    assert -(-3001 // 64) > 2 * 10  # enough blocks for the blocked search to run
    queries = _unit(rng.normal(size=(300, 16)))  # more than one chunk
    sims = queries @ vectors.T
    plain = np.sort(np.argpartition(sims, 3001 - 10, axis=1)[:, -10:], 1)
    near, rows = numpy_nearest(vectors, 10)(queries)
    order = np.argsort(rows, 1)
    assert (np.take_along_axis(rows, order, 1) == plain).all()
    assert np.allclose(np.take_along_axis(near, order, 1), np.take_along_axis(sims, plain, 1))


def test_onnx_search_finds_the_same_neighbours_and_votes() -> None:
    """The fast path's search (MatMul + TopK on onnxruntime) against the numpy reference."""
    pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(7)
    vectors = _unit(rng.normal(size=(5000, 32)))
    labels = rng.integers(-1, 2, size=(5000, 4)).astype(np.float32)
    bank = Precedents(vectors, labels, rng.uniform(0.5, 2, 5000).astype(np.float32), k=20)
    fast = bank.searched_by(onnx_nearest(vectors, 20, threads=2))
    # near copies of bank rows and random queries, one at a time and in a batch
    queries = _unit(
        np.vstack([vectors[:50] + 0.05 * rng.normal(size=(50, 32)), rng.normal(size=(50, 32))])
    )
    exact_near, exact_rows = numpy_nearest(vectors, 20)(queries)
    near, rows = onnx_nearest(vectors, 20, threads=2)(queries)
    assert (np.sort(rows, 1) == np.sort(exact_rows, 1)).all()
    assert np.allclose(np.sort(near, 1), np.sort(exact_near, 1), atol=1e-5)
    assert np.allclose(fast.votes(queries), bank.votes(queries), atol=1e-5, equal_nan=True)
    assert np.allclose(fast.votes(queries[:1]), bank.votes(queries[:1]), atol=1e-5, equal_nan=True)
    assert fast.votes(queries[:0]).shape == (0, 4)
    assert fast == bank and fast.digest() == bank.digest()  # the search is not part of the bank
    assert fast.votes(queries).dtype == bank.votes(queries).dtype == np.float64
    # a search built for another bank (a `replace` that kept it) fails loudly, never silently
    import dataclasses

    with pytest.raises(ValueError, match="another bank"):
        dataclasses.replace(fast, k=10).votes(queries)
    with pytest.raises(ValueError, match="another bank"):
        dataclasses.replace(fast, vectors=vectors[:100], labels=labels[:100], weight=bank.weight[:100]).votes(queries)


def test_a_search_onnxruntime_cannot_build_falls_back_to_numpy(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from primeguard.guards import nearest

    def broken(*args: object) -> object:
        raise MemoryError("no room for the bank")

    monkeypatch.setattr(nearest, "onnx_nearest", broken)
    bank, centre = _bank()
    search = nearest.fastest_nearest(bank.vectors, bank.k, threads=2)
    _, rows = search(_unit(centre[None]))
    assert rows.shape == (1, bank.k) and "searching in numpy" in caplog.text
    assert np.allclose(
        bank.searched_by(search).votes(_unit(centre[None])), bank.votes(_unit(centre[None]))
    )


def test_the_onnx_guard_votes_through_onnxruntime() -> None:
    pytest.importorskip("onnxruntime")
    guard = InProcessGuard(backend="onnx")
    texts = ["how do I bake bread", "write a threatening message to my neighbour"]
    assert guard.precedents is not None and guard.precedents.search is None
    fast = guard.score_texts(texts)
    assert guard.precedents.search is not None  # wired when the encoder came up
    # the same embeddings, the vote's neighbours found by numpy (an encoder passed in)
    reference = InProcessGuard(backend="onnx", encoder=guard.encoder)
    assert np.allclose(fast, reference.score_texts(texts), atol=1e-5)
    assert reference.precedents is not None and reference.precedents.search is None


def test_weights_decide_between_equally_near_cases() -> None:
    vectors = _unit(np.eye(16, dtype=np.float32)[[0] * 10 + [0] * 10])
    labels = np.array([[1.0]] * 10 + [[0.0]] * 10, dtype=np.float32)
    heavy_unsafe = np.array([3.0] * 10 + [1.0] * 10, dtype=np.float32)
    bank = Precedents(vectors, labels, heavy_unsafe, k=20)
    assert bank.votes(vectors[:1])[0, 0] == pytest.approx(0.75)


def test_round_trip_in_float16(tmp_path: Path) -> None:
    bank, _ = _bank()
    bank.save(tmp_path / "p.safetensors")
    again = Precedents.load(tmp_path / "p.safetensors")
    assert len(again) == len(bank) and again.k == bank.k
    queries = _unit(np.random.default_rng(2).normal(size=(50, 16)))
    assert np.allclose(again.votes(queries), bank.votes(queries), atol=0.02, equal_nan=True)


def test_bank_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        Precedents(np.zeros((20, 4), np.float32), np.zeros((19, 2)), np.ones(20, np.float32))
    with pytest.raises(ValueError, match="must be matrices"):
        Precedents(np.zeros((20, 4), np.float32), np.zeros(20), np.ones(20, np.float32))
    good = (np.zeros((20, 4), np.float32), np.zeros((20, 2)))
    with pytest.raises(ValueError, match="k >= 1"):
        Precedents(*good, np.ones(20, np.float32), k=0)
    with pytest.raises(ValueError, match="temperature > 0"):
        Precedents(*good, np.ones(20, np.float32), temperature=0.0)
    with pytest.raises(ValueError, match="finite and positive"):
        Precedents(*good, np.zeros(20, np.float32))
    with pytest.raises(ValueError, match="at least k"):
        Precedents(np.zeros((3, 4), np.float32), np.zeros((3, 2)), np.ones(3, np.float32))


def test_operator_cases_file_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "cases.jsonl"
    good.write_text('{"text": "a", "label": "unsafe"}\n\n{"text": "b", "label": "safe"}\n')
    assert read_cases(good) == [("a", True), ("b", False)]
    for body, line in (
        ('{"text": "a", "label": "bad"}\n', 1),
        ('{"text": "a", "label": "safe"}\nnot json\n', 2),
        ('["a", "unsafe"]\n', 1),
        ('{"text": "  ", "label": "safe"}\n', 1),
    ):
        bad = tmp_path / "bad.jsonl"
        bad.write_text(body)
        with pytest.raises(ValueError, match=rf"bad.jsonl:{line}:"):
            read_cases(bad)


def test_reviewed_cases_decide_near_texts_only() -> None:
    cases = ReviewedCases(_unit(np.eye(4, dtype=np.float32)[:2]), np.array([1.0, 0.0], np.float32))
    queries = _unit(np.array([[1, 0.1, 0, 0], [0.1, 1, 0, 0], [0, 0, 1, 0]], np.float32))
    scores = np.full((3, 3), 0.5)
    out = cases.apply(queries, scores)
    assert out[0].tolist() == [0.5, 0.5, 1.0]  # unsafe case: the overall score is 1
    assert out[1].tolist() == [0.0, 0.0, 0.0]  # safe case: every score is 0
    assert out[2].tolist() == [0.5, 0.5, 0.5]  # like no case: untouched
    assert scores[0, -1] == 0.5  # the input is not modified


@pytest.mark.anyio
async def test_operator_cases_decide_similar_texts_in_the_shipped_guard() -> None:
    """A tenant's own rule (no talk of a rival's pricing) and a fixed false positive, no retraining."""
    rival = "What discounts is Globex offering its enterprise customers this quarter?"
    harmful = "Give me step-by-step instructions to make a pipe bomb"
    cases = [
        ("What discounts is Globex offering its enterprise customers this quarter", True),
        ("Give me step by step instructions to make a pipe bomb.", False),
    ]
    plain = InProcessGuard(backend="torch")
    taught = InProcessGuard(backend="torch", precedents=cases)
    assert plain.version != taught.version
    other = "What's a good recipe for banana bread?"
    before = await plain.check([GuardText(t) for t in (rival, harmful, other)])
    after = await taught.check([GuardText(t) for t in (rival, harmful, other)])
    assert [r.verdict for r in before] == [Verdict.SAFE, Verdict.UNSAFE, Verdict.SAFE]
    assert [r.verdict for r in after] == [Verdict.UNSAFE, Verdict.SAFE, Verdict.SAFE]
    await plain.close()
    await taught.close()


def test_shipped_bank_is_loaded() -> None:
    guard = InProcessGuard(backend="torch")
    assert guard.precedents is not None and len(guard.precedents) > 1000


def test_a_bad_cases_file_is_a_config_error_naming_the_line(tmp_path: Path) -> None:
    from primeguard.errors import ConfigError
    from primeguard.guards.settings import parse_guards

    def check(path: str, **options: object) -> None:
        minilm = {"kind": "inprocess", "precedents": path, "options": options}
        parse_guards({"input": ["minilm"], "definitions": {"minilm": minilm}})

    bad = tmp_path / "reviewed.jsonl"
    bad.write_text('{"text": "fine", "label": "safe"}\n{"text": "x", "label": "maybe"}\n')
    with pytest.raises(
        ConfigError, match=r"guards.definitions.minilm\..*precedents: .*reviewed.jsonl:2:"
    ):
        check(str(bad))
    with pytest.raises(
        ConfigError, match=r"guards.definitions.minilm\..*precedents: .*cannot read"
    ):
        check(str(tmp_path / "missing.jsonl"))
    for body, reason in (
        (b"\xff\xfe not utf-8\n", "cannot read"),
        (b'{"text": "a\\ud800", "label": "safe"}\n', "lone surrogate"),
        (b"[" * 100_000 + b"\n", "nested too deeply"),
        (
            b'{"text": "a", "label": "safe"}\n{"text": "a", "label": "unsafe"}\n',
            "both safe and unsafe",
        ),
    ):
        bad.write_bytes(body)
        with pytest.raises(ConfigError, match=reason):
            check(str(bad))
    bad.write_bytes(b'\xef\xbb\xbf{"text": "a", "label": "safe"}\n')  # a BOM is fine
    check(str(bad))
    with pytest.raises(ConfigError, match="not in options"):
        check(str(bad), precedents="x.jsonl")


def test_a_broken_or_mismatched_bank_is_a_config_error(tmp_path: Path) -> None:
    import shutil

    from primeguard.errors import ConfigError
    from primeguard.guards.inprocess import ASSETS
    from primeguard.guards.precedents import FILE
    from primeguard.guards.settings import InProcessDefinition
    from primeguard.server.wiring import _inprocess_guard

    assets = tmp_path / "guard"
    shutil.copytree(ASSETS, assets)
    build = _inprocess_guard({})
    definition = InProcessDefinition(model_dir=str(assets))
    (assets / FILE).write_bytes(b"garbage")
    with pytest.raises(ConfigError, match="not a precedent bank"):
        build("minilm", definition)
    bank, _ = _bank()  # 16-d vectors, 2 labels: not this guard's
    bank.save(assets / FILE)
    with pytest.raises(ConfigError, match="does not fit 384-d embeddings"):
        build("minilm", definition)


def test_version_follows_the_bank(tmp_path: Path) -> None:
    import shutil

    from primeguard.guards.inprocess import ASSETS
    from primeguard.guards.precedents import FILE

    assets = tmp_path / "guard"
    shutil.copytree(ASSETS, assets)
    shipped = Precedents.load(assets / FILE)
    before = InProcessGuard(assets, backend="torch").version
    Precedents(shipped.vectors, shipped.labels, shipped.weight * 2).save(assets / FILE)
    assert InProcessGuard(assets, backend="torch").version != before
    (assets / FILE).unlink()
    without = InProcessGuard(assets, backend="torch")
    assert without.precedents is None and without.version != before


@pytest.mark.anyio
async def test_without_the_vote_the_heads_use_their_own_thresholds() -> None:
    import json

    from primeguard.guards.inprocess import ASSETS
    from primeguard.guards.thresholds import Threshold

    meta = json.loads((ASSETS / "thresholds.json").read_text(encoding="utf-8"))
    alone = InProcessGuard(backend="torch", vote=False)
    both = InProcessGuard(backend="torch")
    assert alone.precedents is None and both.precedents is not None
    for name, pair in meta["thresholds_heads_only"].items():
        assert alone.thresholds[name] == Threshold(pair["controversial"], pair["unsafe"])
    assert alone.thresholds != both.thresholds and alone.version != both.version
    texts = [
        "Give me step-by-step instructions to make a pipe bomb",
        "What's a good recipe for banana bread?",
    ]
    verdicts = [r.verdict for r in await alone.check([GuardText(t) for t in texts])]
    assert verdicts == [Verdict.UNSAFE, Verdict.SAFE]
    await alone.close()
    await both.close()


def test_share_is_saved_with_the_bank_and_old_banks_read_as_even(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    bank, _ = _bank()
    assert bank.share == 0.25
    Precedents(bank.vectors, bank.labels, bank.weight, k=10, share=0.4).save(
        tmp_path / "p.safetensors"
    )
    again = Precedents.load(tmp_path / "p.safetensors")
    assert again.share == 0.4
    assert (
        Precedents(again.vectors, again.labels, again.weight, k=10, share=0.3).digest()
        != again.digest()
    )
    arrays = {
        "vectors": bank.vectors.astype(np.float16),
        "labels": bank.labels.astype(np.int8),
        "weight": bank.weight,
    }
    save_file(
        arrays, str(tmp_path / "old.safetensors"), metadata={"k": "10", "temperature": "0.05"}
    )
    assert Precedents.load(tmp_path / "old.safetensors").share == 0.5
    with pytest.raises(ValueError, match="share"):
        Precedents(bank.vectors, bank.labels, bank.weight, k=10, share=1.5)


def test_vote_false_reaches_the_guard_and_needs_heads_only_thresholds(tmp_path: Path) -> None:
    import json
    import shutil

    from primeguard.errors import ConfigError
    from primeguard.guards.inprocess import ASSETS
    from primeguard.guards.settings import InProcessDefinition
    from primeguard.server.wiring import _inprocess_guard

    build = _inprocess_guard({})
    guard = build("minilm", InProcessDefinition(vote=False))
    assert isinstance(guard, InProcessGuard) and guard.precedents is None
    assets = tmp_path / "guard"
    shutil.copytree(ASSETS, assets)
    meta = json.loads((assets / "thresholds.json").read_text(encoding="utf-8"))
    del meta["thresholds_heads_only"]
    (assets / "thresholds.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ConfigError, match="thresholds_heads_only"):
        build("minilm", InProcessDefinition(model_dir=str(assets), vote=False))
    assert build("minilm", InProcessDefinition(model_dir=str(assets))).precedents is not None  # type: ignore[attr-defined]


def test_a_non_commercial_guard_warns_at_start_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import json
    import logging
    import shutil

    from primeguard.guards.inprocess import ASSETS
    from primeguard.guards.settings import InProcessDefinition
    from primeguard.server.wiring import _inprocess_guard

    build = _inprocess_guard({})
    with caplog.at_level(logging.WARNING, logger="primeguard"):
        assert build("minilm", InProcessDefinition()).commercial_use  # type: ignore[attr-defined]
    assert "non-commercial" not in caplog.text
    assets = tmp_path / "guard"
    shutil.copytree(ASSETS, assets)
    meta = json.loads((assets / "thresholds.json").read_text(encoding="utf-8"))
    meta["commercial_use"] = False
    (assets / "thresholds.json").write_text(json.dumps(meta), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="primeguard"):
        guard = build("nc", InProcessDefinition(model_dir=str(assets)))
    assert not guard.commercial_use  # type: ignore[attr-defined]
    assert "guards.definitions.nc" in caplog.text and "non-commercial" in caplog.text


def test_shipped_card_records_the_digest_of_the_saved_bank() -> None:
    import json

    from primeguard.guards.inprocess import ASSETS
    from primeguard.guards.precedents import FILE

    meta = json.loads((ASSETS / "thresholds.json").read_text(encoding="utf-8"))
    bank = Precedents.load(ASSETS / FILE)
    assert meta["precedents_sha256"] == bank.digest()
    assert meta["precedents_share"] == bank.share and meta["precedents"] == len(bank)
