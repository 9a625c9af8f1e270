"""The encoder backends: bf16 stays at the fp32 reference's verdicts; a bad choice is an error."""

from __future__ import annotations

import numpy as np
import pytest

from primeguard.guards.backends import features, resolve_backend
from primeguard.guards.inprocess import InProcessGuard
from primeguard.guards.precedents import full_scores
from tests.unit.test_inprocess_guard import DATA, _sample_texts


def test_an_unknown_backend_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="bf16"):
        resolve_backend("bf32")
    with pytest.raises(ValueError, match="backend must be one of"):
        InProcessGuard(backend="int4")  # type: ignore[arg-type]
    assert resolve_backend("torch") == "torch"
    for wrong in ("onnx", "bf32"):  # checked before any model loads, GPU or not
        with pytest.raises(ValueError, match=f"not '{wrong}'"):
            InProcessGuard(device="cuda", backend=wrong)  # type: ignore[arg-type]


def test_a_configured_backend_is_checked_when_the_guard_is_built() -> None:
    from primeguard.errors import ConfigError
    from primeguard.guards.settings import InProcessDefinition
    from primeguard.server.wiring import _inprocess_guard

    build = _inprocess_guard({})
    with pytest.raises(ConfigError, match="guards.definitions.m: .*backend must be one of"):
        build("m", InProcessDefinition(options={"backend": "bf32"}))
    guard = build("m", InProcessDefinition(options={"backend": "torch"}))
    assert isinstance(guard, InProcessGuard) and guard.backend == "torch"


def test_bf16_without_bf16_instructions_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from primeguard.guards import backends

    monkeypatch.setattr(backends, "read_features", lambda: frozenset({"avx2"}))
    assert resolve_backend("bf16") == "bf16"
    assert "emulated, slow" in caplog.text
    caplog.clear()
    monkeypatch.setattr(backends, "read_features", lambda: frozenset())  # no cpuinfo: unknown
    assert resolve_backend("bf16") == "bf16" and not caplog.text
    monkeypatch.setattr(backends, "read_features", lambda: frozenset({"amx_bf16"}))
    assert resolve_backend("bf16") == "bf16" and not caplog.text


def test_features_are_the_first_processors_own() -> None:
    info = "processor\t: 0\nvmx flags\t: amx_bf16\nflags\t\t: fpu avx2 amx_bf16\n\n"
    assert features(info) == {"fpu", "avx2", "amx_bf16"}
    assert features("vmx flags\t: amx_bf16\n") == frozenset()


@pytest.mark.skipif(not DATA.exists(), reason="needs shared/data")
def test_bf16_keeps_the_reference_verdicts() -> None:
    sample = _sample_texts(60)
    assert len(sample) >= 50
    ref = InProcessGuard(backend="torch")
    half = InProcessGuard(backend="bf16")  # emulated, and slow, on a CPU without bf16 units
    assert half.backend == "bf16" and half.version != ref.version
    a, b = ref.encoder.embed(sample), half.encoder.embed(sample)
    blocks = (len(sample), len(ref.heads.layers), -1)
    cosine = (a.reshape(blocks) * b.reshape(blocks)).sum(2)
    # bf16 is far nearer fp32 than the int8 build (whose floor is 0.98)
    assert float(cosine.min()) > 0.998
    assert float(np.abs(a - b).max()) > 1e-4  # and it did run in bf16
    verdicts = [
        [g._result(r, None).verdict for r in full_scores(g.heads, g.precedents, e)]
        for g, e in ((ref, a), (half, b))
    ]
    same = np.mean([x == y for x, y in zip(*verdicts)])
    assert same >= 0.97
