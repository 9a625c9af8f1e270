"""A tenant's per-category thresholds re-decide guard results, and only their own categories."""

from __future__ import annotations

import numpy as np
import pytest

from primeguard.errors import ConfigError
from primeguard.guards.policy import FallbackResult
from primeguard.guards.settings import FailMode, ThresholdPair
from primeguard.guards.tenant import TenantThresholds, overrides_digest, parse_overrides, retune
from primeguard.verdicts import Category, GuardResult, GuardText, Verdict

V, H, P = Category.VIOLENCE, Category.HATE, Category.PRIVACY


def result(verdict: Verdict, scores: dict[Category, float], by: dict[Category, Verdict] | None = None) -> GuardResult:
    return GuardResult(verdict=verdict, guard="g", version="1", scores=scores, by_category=by or {})


def test_a_lower_cut_off_raises_the_verdict() -> None:
    r = result(Verdict.SAFE, {V: 0.4, H: 0.1}, {V: Verdict.SAFE, H: Verdict.SAFE})
    assert retune(r, {V: ThresholdPair(controversial=0.2, unsafe=0.35)}).verdict is Verdict.UNSAFE
    assert retune(r, {V: ThresholdPair(controversial=0.3, unsafe=0.9)}).verdict is Verdict.CONTROVERSIAL


def test_a_higher_cut_off_lowers_only_its_own_category() -> None:
    r = result(Verdict.UNSAFE, {V: 0.9, H: 0.6}, {V: Verdict.UNSAFE, H: Verdict.CONTROVERSIAL})
    out = retune(r, {V: ThresholdPair(controversial=0.95, unsafe=0.99)})
    assert out.verdict is Verdict.CONTROVERSIAL  # hate keeps the guard's own verdict
    assert out.by_category[V] is Verdict.SAFE and out.by_category[H] is Verdict.CONTROVERSIAL


def test_a_verdict_without_a_category_stands() -> None:
    # MiniLM's overall head (or a bare "unsafe" from a generative guard): no category explains it.
    r = result(Verdict.UNSAFE, {V: 0.9}, {V: Verdict.SAFE})
    assert retune(r, {V: ThresholdPair(controversial=0.95, unsafe=0.99)}).verdict is Verdict.UNSAFE
    unknown = result(Verdict.UNSAFE, {V: 0.9})  # a guard that gives no per-category verdicts
    assert retune(unknown, {V: ThresholdPair(controversial=0.95, unsafe=0.99)}).verdict is Verdict.UNSAFE


def test_fallbacks_and_no_overrides_pass_unchanged() -> None:
    fb = FallbackResult(verdict=Verdict.UNSAFE, guard="g", version="1", fail_mode=FailMode.CLOSED)
    assert retune(fb, {V: ThresholdPair(controversial=0.99, unsafe=1.0)}) is fb
    r = result(Verdict.SAFE, {V: 0.4})
    assert retune(r, {}) is r


def test_parse_names_the_bad_key() -> None:
    assert parse_overrides({"violence": {"controversial": 0.2, "unsafe": 0.4}}, "tenants[0].thresholds") == {
        V: ThresholdPair(controversial=0.2, unsafe=0.4)}
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.thresholds\.gore"):
        parse_overrides({"gore": {"unsafe": 0.5}}, "tenants[0].thresholds")
    with pytest.raises(ConfigError, match=r"tenants\[1\]\.thresholds\.violence.*controversial must not exceed"):
        parse_overrides({"violence": {"controversial": 0.9, "unsafe": 0.5}}, "tenants[1].thresholds")
    with pytest.raises(ConfigError, match=r"privacy\.unsafe"):
        parse_overrides({"privacy": {"unsafe": 2}}, "tenants[1].thresholds")


class _Guard:
    name, version = "g", "v1"

    async def check(self, texts: list[GuardText]) -> list[GuardResult]:
        return [result(Verdict.CONTROVERSIAL, {P: 0.6}, {P: Verdict.CONTROVERSIAL}) for _ in texts]

    async def close(self) -> None: ...


@pytest.mark.anyio
async def test_the_wrapper_versions_by_its_overrides() -> None:
    a = TenantThresholds(_Guard(), {P: ThresholdPair(controversial=0.1, unsafe=0.5)})
    b = TenantThresholds(_Guard(), {P: ThresholdPair(controversial=0.1, unsafe=0.7)})
    assert a.version != b.version and a.version.startswith("v1+t") and a.name == "g"
    assert [r.verdict for r in await a.check([GuardText("x")])] == [Verdict.UNSAFE]
    assert [r.verdict for r in await b.check([GuardText("x")])] == [Verdict.CONTROVERSIAL]
    assert overrides_digest({}) == ""


def test_a_reported_uncategorised_verdict_is_kept_even_when_a_category_also_fired() -> None:
    # MiniLM: violence unsafe AND its overall head unsafe; silencing violence leaves the overall head.
    both = GuardResult(verdict=Verdict.UNSAFE, guard="g", version="1", scores={V: 0.9},
                       by_category={V: Verdict.UNSAFE}, uncategorised=Verdict.UNSAFE)
    assert retune(both, {V: ThresholdPair(controversial=0.95, unsafe=0.99)}).verdict is Verdict.UNSAFE
    only_violence = GuardResult(verdict=Verdict.UNSAFE, guard="g", version="1", scores={V: 0.9},
                                by_category={V: Verdict.UNSAFE}, uncategorised=Verdict.SAFE)
    assert retune(only_violence, {V: ThresholdPair(controversial=0.95, unsafe=0.99)}).verdict is Verdict.SAFE


class _Embedder:
    encoder_id = "fake"

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        from primeguard.guards.heads import GuardHeads
        from primeguard.guards.inprocess import ASSETS
        from primeguard.guards.modelcard import WEIGHTS

        dims = GuardHeads.load(ASSETS / WEIGHTS).w1.shape[1]  # 384 per pooled layer
        x = np.ones((len(texts), dims // 384, 384), dtype=np.float32)
        # a unit vector per pooled layer, as the real encoder gives
        return (x / np.linalg.norm(x, axis=2, keepdims=True)).reshape(len(texts), dims)


@pytest.mark.anyio
async def test_a_guard_level_tolerance_survives_tenant_thresholds() -> None:
    from primeguard.guards.heads import HEAD_NAMES
    from primeguard.guards.inprocess import InProcessGuard
    from primeguard.guards.thresholds import Threshold

    every_head_controversial = {name: Threshold(0.0, 1.0) for name in HEAD_NAMES}
    guard = InProcessGuard(encoder=_Embedder(), backend="torch", tolerance="loose",
                           thresholds=every_head_controversial)
    plain = (await guard.check([GuardText("x")]))[0]
    tuned = (await TenantThresholds(guard, {H: ThresholdPair(controversial=0.99, unsafe=1.0)}).check(
        [GuardText("x")]))[0]
    await guard.close()
    assert plain.verdict is Verdict.SAFE  # loose folds controversial to safe
    assert tuned.verdict is Verdict.SAFE  # and the tenant's unrelated override keeps that
