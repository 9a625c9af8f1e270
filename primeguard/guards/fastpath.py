"""The fast path: MiniLM exported to ONNX, fused, quantised to int8, run by ONNX Runtime.

The export happens lazily, on first use, into a user cache directory keyed by
the encoder weights' digest and the onnxruntime version
(``$PRIMEGUARD_CACHE_DIR`` or ``~/.cache/primeguard``).  The int8 file is about
23 MB: too large to keep in git, and cheap to rebuild (a few seconds).  The
exported graph includes mean pooling (of each layer the guard reads, see
`encoder`), so one ``run`` gives the pooled vectors.
The torch fp32 encoder stays the reference; tests check the two agree.

Build: export with eager attention (the SDPA export hides the attention
pattern behind Where/IsNaN masking that costs ~30% on 256-token texts), fuse
with onnxruntime's BERT optimizer (one ``Attention`` per layer, ``Gelu``,
``EmbedLayerNormalization``), then int8 dynamic quantisation of the weight
MatMuls and the attention's QKV projection (``QAttention``), per channel.
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

from primeguard.guards.encoder import LAYERS, RunBatch, pool_layers

if TYPE_CHECKING:
    from primeguard.guards.adapter import Adapter

EXPORT_REVISION = "3"
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
            _quantise(fused, int8)
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


def _quantise(fp32: Path, int8: Path) -> None:
    """Per-channel int8 weights; activation x activation products (attention) stay fp32.

    Quantising the attention products or using per-tensor scales drops the
    cosine to the fp32 embedding below 0.9 on long texts; this keeps it > 0.98.
    The fused ``Attention`` becomes ``QAttention`` (int8 QKV projection, fp32
    scores); the embedding tables stay fp32 (quantising them costs accuracy
    and no time).  Unfused attention MatMuls, if a future export hides the
    pattern from the optimizer, are excluded by name.
    """
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32)).graph
    weights = {init.name for init in graph.initializer}
    attention = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and not any(name in weights for name in node.input)
    ]

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
                nodes_to_exclude=attention,
                # The fused contrib ops defeat shape inference; their outputs are float.
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
    finally:
        root.setLevel(level)
