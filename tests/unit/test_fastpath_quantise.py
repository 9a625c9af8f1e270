"""Which MatMuls the int8 fast path leaves in fp32 (`fastpath._fp32_matmuls`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper

from primeguard.guards.fastpath import _FP32_DOWN_PROJECTIONS, _fp32_matmuls


def _graph(layers: int) -> object:
    """A toy encoder: per layer an activation x activation product, an up- and a down-projection."""
    nodes, inits = [], []
    x = "x"
    for i in range(layers):
        up = numpy_helper.from_array(np.zeros((4, 16), np.float32), f"w_up{i}")
        down = numpy_helper.from_array(np.zeros((16, 4), np.float32), f"w_down{i}")
        inits += [up, down]
        nodes += [
            helper.make_node("MatMul", [x, x], [f"scores{i}"], name=f"layer.{i}/scores"),
            helper.make_node("MatMul", [x, up.name], [f"h{i}"], name=f"layer.{i}/up"),
            helper.make_node("MatMul", [f"h{i}", down.name], [f"y{i}"], name=f"layer.{i}/down"),
        ]
        x = f"y{i}"
    io = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("x", x)]
    return helper.make_graph(nodes, "toy", [io[0]], [io[1]], inits)


def test_attention_products_and_the_first_down_projections_stay_fp32() -> None:
    kept = _fp32_matmuls(_graph(6))
    assert [n for n in kept if n.endswith("/scores")] == [f"layer.{i}/scores" for i in range(6)]
    downs = [n for n in kept if n.endswith("/down")]
    assert downs == [f"layer.{i}/down" for i in range(_FP32_DOWN_PROJECTIONS)]
    assert not [n for n in kept if n.endswith("/up")]


def test_a_shallower_graph_keeps_what_it_has() -> None:
    kept = _fp32_matmuls(_graph(2))
    assert [n for n in kept if n.endswith("/down")] == ["layer.0/down", "layer.1/down"]


def test_the_exported_int8_model_keeps_exactly_those_in_fp32(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from primeguard.guards.encoder import MiniLMEncoder, model_dir
    from primeguard.guards.fastpath import FP32_ENV, onnx_int8_path
    from primeguard.guards.heads import GuardHeads
    from primeguard.guards.inprocess import ASSETS, WEIGHTS

    monkeypatch.setenv(FP32_ENV, str(_FP32_DOWN_PROJECTIONS))
    digest = MiniLMEncoder(backend="torch").weights_digest
    shipped = GuardHeads.load(ASSETS / WEIGHTS).layers  # the pooled layers the guard reads
    graph = onnx.load(str(onnx_int8_path(model_dir(), digest, tmp_path, shipped))).graph
    weights = {init.name: (tuple(init.dims), init.data_type) for init in graph.initializer}

    def weight(node: object) -> tuple[tuple[int, ...], int]:
        return next(weights[name] for name in node.input if name in weights)  # type: ignore[attr-defined]

    fp32 = [n for n in graph.node if n.op_type == "MatMul"]
    int8 = [weight(n) for n in graph.node if n.op_type == "MatMulInteger"]
    assert [n.name for n in fp32] == [
        f"/model/encoder/layer.{i}/output/dense/MatMul" for i in range(_FP32_DOWN_PROJECTIONS)
    ]
    assert [weight(n) for n in fp32] == [((1536, 384), TensorProto.FLOAT)] * _FP32_DOWN_PROJECTIONS
    assert sum(shape == (1536, 384) for shape, _ in int8) == 6 - _FP32_DOWN_PROJECTIONS
    assert {kind for _, kind in int8} == {TensorProto.INT8}
    assert sum(n.op_type == "QAttention" for n in graph.node) == 6


def test_the_count_is_an_operator_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from primeguard.guards import fastpath
    from primeguard.guards.fastpath import FP32_ENV, fp32_down_projections

    for dot_products, auto in ((False, _FP32_DOWN_PROJECTIONS), (True, 0)):
        monkeypatch.setattr(fastpath, "_int8_dot_products", lambda d=dot_products: d)
        monkeypatch.delenv(FP32_ENV, raising=False)
        assert fp32_down_projections() == auto
        monkeypatch.setenv(FP32_ENV, "Auto")
        assert fp32_down_projections() == auto
        monkeypatch.setenv(FP32_ENV, "0")
        assert fp32_down_projections() == 0
        monkeypatch.setenv(FP32_ENV, "6")
        assert fp32_down_projections() == 6
        for bad in ("7", "-1", "three"):
            monkeypatch.setenv(FP32_ENV, bad)
            with pytest.warns(UserWarning, match="not 0-6 or auto"):
                assert fp32_down_projections() == auto
    assert [n for n in _fp32_matmuls(_graph(6), 0) if n.endswith("/down")] == []


def test_the_cpu_features_decide_auto(tmp_path: Path) -> None:
    from primeguard.guards.backends import has_int8_dot_products
    from primeguard.guards.fastpath import _int8_dot_products

    def cpu(*flags: str, key: str = "flags") -> str:
        return "".join(
            f"processor\t: {i}\nvmx flags\t: ept vpid\n{key}\t\t: fpu {' '.join(flags)}\n\n"
            for i in range(2)
        )

    assert not has_int8_dot_products(cpu("avx2", "fma"))
    assert has_int8_dot_products(cpu("avx2", "avx512_vnni"))
    assert has_int8_dot_products(cpu("amx_int8"))
    assert has_int8_dot_products(cpu("avx_vnni"))
    assert not has_int8_dot_products(cpu("asimd", key="Features"))
    assert has_int8_dot_products(cpu("asimd", "asimddp", key="Features"))
    assert not has_int8_dot_products("vmx flags\t: avx512_vnni\n")  # not the CPU's own features
    assert not has_int8_dot_products("")
    info = tmp_path / "cpuinfo"
    info.write_text(cpu("avx512_vnni"), encoding="ascii")
    assert _int8_dot_products(str(info))
    assert not _int8_dot_products(str(tmp_path / "missing"))


def test_another_count_is_another_cached_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from primeguard.guards import fastpath

    built: list[int] = []
    monkeypatch.setattr(fastpath, "_export", lambda model, out, *a: out.write_bytes(b"x"))
    monkeypatch.setattr(fastpath, "_optimise", lambda src, out: out.write_bytes(src.read_bytes()))
    monkeypatch.setattr(
        fastpath, "_quantise", lambda src, out, n: (built.append(n), out.write_bytes(b"q"))
    )
    monkeypatch.setenv(fastpath.FP32_ENV, "3")
    default = fastpath.onnx_int8_path(tmp_path, "d" * 64, tmp_path)
    monkeypatch.setenv(fastpath.FP32_ENV, "0")
    none = fastpath.onnx_int8_path(tmp_path, "d" * 64, tmp_path)
    assert default != none and "-fp32x0" in str(none) and "fp32x" not in str(default)
    assert built == [_FP32_DOWN_PROJECTIONS, 0]
    assert fastpath.onnx_int8_path(tmp_path, "d" * 64, tmp_path) == none and built == [3, 0]
