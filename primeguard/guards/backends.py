"""Which encoder backend runs, and what this CPU runs fast (Linux's ``/proc/cpuinfo``;
elsewhere nothing is known).

``auto`` is the int8 ONNX path where onnxruntime is installed, else torch fp32.
The int8 build quantises more where the CPU has int8 dot products (`fastpath`).
``bf16`` is chosen, never automatic: on 2 Sapphire Rapids cores (AMX) it moved 11
of ToxicChat's 2,801 train verdicts against the fp32 reference (int8: 107), but
ran short texts slower than int8 (b1: 57 vs 162 texts/s, b64: 400 vs 480) and
long ones faster (50 vs 42).  Without bf16 instructions torch emulates it, slowly.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Literal

log = logging.getLogger(__name__)
CPUINFO = "/proc/cpuinfo"
Backend = Literal["torch", "onnx", "bf16"]
BackendChoice = Literal["auto", "torch", "onnx", "bf16"]
RUNNABLE: tuple[Backend, ...] = ("torch", "onnx", "bf16")
BACKENDS: tuple[BackendChoice, ...] = ("auto", *RUNNABLE)
# Int8 products that outrun fp32 several times (x86 VNNI/AMX, Arm SDOT/I8MM).
INT8_DOT_PRODUCTS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8", "asimddp", "i8mm"})
# bf16 instructions (x86 AMX or AVX-512 BF16, Arm BF16).
BF16_UNITS = frozenset({"amx_bf16", "avx512_bf16", "bf16"})


def resolve_backend(backend: str, device: str = "cpu") -> Backend:
    """The backend to run for a choice on a device; ValueError for an unknown one.

    A GPU runs a torch encoder, fp32 (``auto``) or bf16; the ONNX fast path is for CPUs."""
    if device != "cpu":
        if backend not in ("auto", "torch", "bf16"):
            raise ValueError(
                f"device {device!r} needs backend torch, bf16 or auto, not {backend!r}"
            )
        return "bf16" if backend == "bf16" else "torch"
    if backend == "auto":
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            return "torch"
        return "onnx"
    if backend not in RUNNABLE:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    known = read_features()  # empty where there is no cpuinfo: nothing known, nothing said
    if backend == "bf16" and known and not BF16_UNITS & known:
        log.warning("backend bf16 on a CPU without bf16 instructions: emulated, slow")
    return backend


def features(cpuinfo: str) -> frozenset[str]:
    """The first processor's feature line (x86 ``flags``, Arm ``Features``), as a set."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


@lru_cache(maxsize=4)
def read_features(path: str = CPUINFO) -> frozenset[str]:
    try:
        with open(path, encoding="ascii", errors="replace") as info:
            return features(info.read())
    except OSError:
        return frozenset()


def has_int8_dot_products(cpuinfo: str) -> bool:
    return bool(INT8_DOT_PRODUCTS & features(cpuinfo))
