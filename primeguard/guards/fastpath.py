"""The fast path: MiniLM exported to ONNX, fused, quantised to int8, run by ONNX Runtime.

The export happens lazily, on first use, into a user cache directory keyed by
the encoder weights' digest, the onnxruntime version, the export revision, the
pooled layers and the fp32 count (``$PRIMEGUARD_CACHE_DIR`` or
``~/.cache/primeguard``).  The int8 file is about
23 MB: too large to keep in git, and cheap to rebuild (a few seconds).  The
exported graph includes mean pooling (of each layer the guard reads, see
`encoder`), so one ``run`` gives the pooled vectors.
The torch fp32 encoder stays the reference; tests check the two agree.

Build: export with eager attention (the SDPA export hides the attention
pattern behind Where/IsNaN masking that costs ~30% on 256-token texts), fuse
with onnxruntime's BERT optimizer (one ``Attention`` per layer, ``Gelu``,
``EmbedLayerNormalization``), then int8 dynamic quantisation of the weight
MatMuls and the attention's QKV projection (``QAttention``), per channel,
except, where the CPU lacks int8 dot products, the first three layers' feed-forward
down-projections (`fp32_down_projections`).
``SkipLayerNormalization`` and ``BiasGelu`` are left unfused, in the build
and in the session: on onnxruntime 1.32's CPU kernels ``SkipLayerNormalization``
is ~5x slower than ``Add`` + ``LayerNormalization`` and ``BiasGelu`` ~1.7x
slower than ``Add`` + ``Gelu``.  The session runs ``threads`` intra-op threads
without spinning: on shared cores (the proxy's event loop, other processes)
spin-waiting workers halve throughput.  Where two sessions of half the threads,
each on half of a pass, are faster here, the runner uses them (`replicas`).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from primeguard.guards.backends import CPUINFO, INT8_DOT_PRODUCTS, read_features
from primeguard.guards.encoder import LAYERS, RunBatch, pool_layers

if TYPE_CHECKING:
    from primeguard.guards.adapter import Adapter

EXPORT_REVISION = "4"
# The feed-forward down-projections (1536 -> 384) of the first layers stay fp32; see `_quantise`.
_FP32_DOWN_PROJECTIONS = 3
FP32_ENV = "PRIMEGUARD_ONNX_FP32_LAYERS"
# onnxruntime graph fusions that make this model slower on CPU (see the module doc).
SLOW_FUSIONS = ["SkipLayerNormFusion", "BiasGeluFusion", "BiasSkipLayerNormFusion"]


def default_cache_dir() -> Path:
    root = os.environ.get("PRIMEGUARD_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "primeguard"


def onnx_int8_path(
    model_path: Path,
    digest: str,
    cache_dir: Path | None = None,
    layers: Sequence[int] = LAYERS,
    adapter: Adapter | None = None,
) -> Path:
    """The quantised model for these weights and pooled layers, exported now if not cached yet.

    With an adapter, `digest` must name the merged weights (`MiniLMEncoder.merged_digest`)."""
    import onnxruntime

    key = f"minilm-{digest[:16]}-ort{onnxruntime.__version__}-r{EXPORT_REVISION}"
    fp32_layers = fp32_down_projections()
    if fp32_layers != _FP32_DOWN_PROJECTIONS:
        key += f"-fp32x{fp32_layers}"
    if tuple(layers) != LAYERS:
        key += f"-layers{'_'.join(map(str, layers))}"
    target = (cache_dir or default_cache_dir()) / key / "encoder.int8.onnx"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            fp32 = Path(tmp) / "encoder.onnx"
            fused = Path(tmp) / "encoder.fused.onnx"
            int8 = Path(tmp) / "encoder.int8.onnx"
            _export(model_path, fp32, tuple(layers), adapter)
            try:
                _optimise(fp32, fused)
            except Exception as exc:  # noqa: BLE001 - any optimizer failure: unfused is slower, still right
                warnings.warn(f"ONNX fusion skipped ({type(exc).__name__}: {exc})", stacklevel=2)
                fused = fp32
            _quantise(fused, int8, fp32_layers)
            os.replace(int8, target)  # atomic: concurrent first uses never see half a file
    return target


def onnx_runner(
    model_path: Path,
    digest: str,
    threads: int,
    cache_dir: Path | None = None,
    layers: Sequence[int] = LAYERS,
    adapter: Adapter | None = None,
) -> RunBatch:
    import onnxruntime as ort

    from primeguard.guards.replicas import replicated_runner

    path = str(onnx_int8_path(model_path, digest, cache_dir, layers, adapter))

    def make(threads: int) -> RunBatch:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(
            path, options, providers=["CPUExecutionProvider"], disabled_optimizers=SLOW_FUSIONS
        )

        def run(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            feeds = {"input_ids": input_ids, "attention_mask": mask}
            return np.asarray(session.run(None, feeds)[0], dtype=np.float32)

        return run

    # One session, or two on halves of each pass where that is faster here (`replicas`).
    return replicated_runner(make, threads)


def _export(
    model_path: Path, out: Path, layers: tuple[int, ...], adapter: Adapter | None = None
) -> None:
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            pooled: torch.Tensor = pool_layers(self.model, input_ids, attention_mask, layers)
            return pooled

    # Eager attention exports the plain MatMul/Softmax pattern the optimizer fuses.
    base = AutoModel.from_pretrained(str(model_path), attn_implementation="eager")
    if adapter is not None:
        adapter.merge_into(base)
    model = Pooled(base.eval())
    example = torch.ones((2, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.inference_mode():
        # The TorchScript exporter warns about tracing and its own deprecation;
        # its output is what we test against the torch reference.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example, example),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["pooled"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "pooled": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def _optimise(fp32: Path, out: Path) -> None:
    """BERT fusions (attention, Gelu, embedding LayerNorm), minus the slow ones."""
    import logging

    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    fusion = FusionOptions("bert")
    fusion.enable_skip_layer_norm = False
    fusion.enable_bias_skip_layer_norm = False
    fusion.enable_bias_gelu = False
    quiet = logging.getLogger("onnxruntime.transformers")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = optimize_model(
                str(fp32),
                model_type="bert",
                num_heads=12,
                hidden_size=384,
                opt_level=0,  # python fusions only; the session applies its own
                optimization_options=fusion,
            )
            model.save_model_to_file(str(out))
    finally:
        quiet.setLevel(level)


def fp32_down_projections() -> int:
    """How many layers keep their down-projection in fp32: ``$PRIMEGUARD_ONNX_FP32_LAYERS``
    (0-6, or ``auto``, the default: 3, or 0 where the CPU has int8 dot products).

    On AVX2 alone int8 products run about twice as fast as fp32, so the three cost
    5-10% (measured).  With VNNI or AMX they run several times as fast (the all-int8
    build met the throughput targets on such machines), so the three would cost
    more (estimated, not measured) and ``auto`` quantises them: there the verdicts
    stay as far from the torch reference as before.  Without a Linux cpuinfo
    (macOS, Windows) ``auto`` means 3."""
    raw = os.environ.get(FP32_ENV, "auto").strip().lower()
    if raw.isdigit() and int(raw) <= 6:
        return int(raw)
    if raw not in ("", "auto"):
        warnings.warn(f"{FP32_ENV}={raw!r} is not 0-6 or auto: using auto", stacklevel=2)
    return 0 if _int8_dot_products() else _FP32_DOWN_PROJECTIONS


def _int8_dot_products(cpuinfo: str = CPUINFO) -> bool:
    """Whether the CPU has int8 dot-product instructions, from Linux's cpuinfo: VNNI or AMX
    (x86 ``flags``), SDOT or I8MM (Arm ``Features``).  Elsewhere (no cpuinfo): False."""
    return bool(INT8_DOT_PRODUCTS & read_features(cpuinfo))


def _quantise(fp32: Path, int8: Path, fp32_layers: int = _FP32_DOWN_PROJECTIONS) -> None:
    """Per-channel int8 weights; activation x activation products (attention) stay fp32.

    Quantising the attention products or using per-tensor scales drops the
    cosine to the fp32 embedding below 0.9 on long texts; this keeps it > 0.98.
    The fused ``Attention`` becomes ``QAttention`` (int8 QKV projection, fp32
    scores); the embedding tables stay fp32 (quantising them costs accuracy
    and no time).  Unfused attention MatMuls, if a future export hides the
    pattern from the optimizer, are excluded by name.

    The down-projections of the first `fp32_layers` layers (3 by default,
    `fp32_down_projections`) stay fp32 too.  Their input is a GELU output whose
    largest channels reach 17-25 against a typical value under 1, so one dynamic
    uint8 scale per pass crushes the rest.  On ToxicChat's 2,801 train prompts,
    int8 throughout moved 58 verdicts against the torch reference the thresholds
    were calibrated on (heads and vote: F1 0.666 vs 0.683); with these three in
    fp32, 36 (F1 0.678; the whole guard, rules included: 0.659 -> 0.677), for 5-10% of throughput on 2 AVX2 cores (paired runs).  All six in
    fp32: 34 moved, 12-18% slower.  Where int8 runs several times faster than
    fp32 (VNNI, AMX) the three would cost more, so there they are int8 too.
    """
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    excluded = _fp32_matmuls(onnx.load(str(fp32)).graph, fp32_layers)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint on the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(
                str(fp32),
                str(int8),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul", "Attention"],
                nodes_to_exclude=excluded,
                # The fused contrib ops defeat shape inference; their outputs are float.
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
    finally:
        root.setLevel(level)


def _fp32_matmuls(graph: Any, down_projections: int = _FP32_DOWN_PROJECTIONS) -> list[str]:
    """The MatMuls left in fp32: activation x activation products (unfused attention) and
    the first layers' feed-forward down-projections (weight taller than wide), in graph order."""
    weights = {init.name: tuple(init.dims) for init in graph.initializer}
    keep, down = [], 0
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        shapes = [weights[name] for name in node.input if name in weights]
        if not shapes:
            keep.append(node.name)
        elif len(shapes[0]) == 2 and shapes[0][0] > shapes[0][1] and down < down_projections:
            keep.append(node.name)
            down += 1
    return keep
