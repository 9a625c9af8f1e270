"""`primeguard bench`: primeguard and LiteLLM's proxy side by side against one fake upstream.

Every server is its own process (fake upstream, primeguard pure and guarded,
LiteLLM plain and with a classifier guardrail, the loopback classifier).  Cells
(target x streaming x concurrency) run A B A B: each cell is split into rounds
and every round visits every target in turn, so drift on a noisy machine hits
all targets alike.  CPU per request is read from /proc around each cell.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from primeguard.bench import configs, guard_micro, litellm_peer, routing_cost
from primeguard.bench.load import Cell, run_cell
from primeguard.bench.procs import Managed, free_port, python_module

PROMPT = [{"role": "user", "content": "Name three rivers in France and one fact about each."}]


@dataclass(frozen=True)
class BenchOptions:
    """What to measure and how much of it."""

    concurrency: tuple[int, ...] = (1, 16, 64)
    requests: tuple[int, ...] = (150, 400, 640)  # per target and cell, one per concurrency
    rounds: int = 2
    modes: tuple[bool, ...] = (False, True)  # stream off, on
    latency_ms: float = 0.0
    ttft_ms: float = 0.0
    tps: float = 0.0
    tokens: int = 20
    litellm: bool = True
    routing_repeat: int = 10
    judge_ms: float = 50.0
    micro_seconds: float = 1.0
    workdir: Path | None = None


@dataclass
class Target:
    name: str
    url: str
    proc: Managed | None = None
    helper: Managed | None = None  # a process whose CPU this target also spends (the peer's classifier)
    headers: dict[str, str] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    cpu_s: float = 0.0
    helper_cpu_s: float = 0.0
    requests: int = 0


def _start_all(stack: ExitStack, opts: BenchOptions, work: Path) -> tuple[str, list[Target], Managed]:
    up_port, guard_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{up_port}"
    knobs = ["--latency-ms", str(opts.latency_ms), "--ttft-ms", str(opts.ttft_ms), "--tps", str(opts.tps),
             "--tokens", str(opts.tokens)]
    fake = Managed("fake-upstream", python_module("primeguard.bench.fake_upstream", "--port", str(up_port), *knobs),
                   f"{upstream}/v1/models", log_path=work / "fake.log")
    procs = [fake]
    targets = [Target("direct", upstream, proc=None)]
    pure = configs.primeguard_proxy("primeguard", configs.write(work, "pure", configs.proxy_config(upstream, "pure")),
                                    free_port(), work / "pg-pure.log")
    full = configs.primeguard_proxy("primeguard+guard", configs.write(work, "full", configs.proxy_config(
        upstream, "full")), free_port(), work / "pg-full.log")
    procs += [pure, full]
    targets += [Target("primeguard", _url(pure), pure), Target("primeguard+guard", _url(full), full)]
    classifier = None
    if opts.litellm:
        classifier = Managed("classifier", python_module("primeguard.bench.guard_http", "--port", str(guard_port)),
                             f"http://127.0.0.1:{guard_port}/health", log_path=work / "classifier.log")
        auth = {"authorization": f"Bearer {litellm_peer.MASTER_KEY}"}
        plain = litellm_peer.peer("litellm", litellm_peer.write_config(work, upstream, False), free_port(), None,
                                  work / "litellm.log")
        guarded = litellm_peer.peer("litellm+guard", litellm_peer.write_config(work, upstream, True), free_port(),
                                    f"http://127.0.0.1:{guard_port}/classify", work / "litellm-guard.log")
        procs += [classifier, plain, guarded]
        targets.insert(2, Target("litellm", _url(plain), plain, headers=auth))
        targets.append(Target("litellm+guard", _url(guarded), guarded, helper=classifier, headers=auth))
    for proc in procs:
        stack.enter_context(proc)
    for proc in tqdm(procs, desc="starting servers", leave=False):
        proc.wait_ready(timeout_s=180)
    return upstream, targets, fake


def _url(proc: Managed) -> str:
    assert proc.ready_url is not None
    return "/".join(proc.ready_url.split("/", 3)[:3])  # scheme://host:port


def _cell_key(stream: bool, concurrency: int) -> str:
    return f"{'stream' if stream else 'nonstream'}/c{concurrency}"


async def _measure(target: Target, stream: bool, concurrency: int, n: int) -> None:
    before = target.proc.cpu_seconds() if target.proc else 0.0
    helper_before = target.helper.cpu_seconds() if target.helper else 0.0
    cell = await run_cell(f"{target.url}/v1/chat/completions", {"model": configs.MODEL, "messages": PROMPT},
                          n=n, concurrency=concurrency, stream=stream, headers=target.headers)
    if target.proc:
        target.cpu_s += target.proc.cpu_seconds() - before
    if target.helper:
        target.helper_cpu_s += target.helper.cpu_seconds() - helper_before
    target.requests += n
    target.cells.setdefault(_cell_key(stream, concurrency), Cell()).extend(cell)


def _load_guards(target: Target, timeout_s: float = 90.0) -> None:
    """Load a proxy's lazy in-process guard with throwaway prompts before the measured prompt is seen.

    The first check loads the encoder and can outlast the guard's timeout; that
    request fails closed, and its refusal would be cached for the measured prompt.
    """
    deadline, i = time.monotonic() + timeout_s, 0
    while time.monotonic() < deadline:
        i += 1
        body = {"model": configs.MODEL, "messages": [{"role": "user", "content": f"Say hello number {i}."}]}
        cell = asyncio.run(run_cell(f"{target.url}/v1/chat/completions", body, n=1, concurrency=1))
        if cell.routes and not any(r.endswith("/input_guard") for r in cell.routes):
            return
        time.sleep(1.0)
    raise RuntimeError(f"{target.name}: the input guard still refuses after {timeout_s:.0f} s")


def _warm(targets: list[Target]) -> None:
    for target in targets:
        if target.name.startswith("primeguard"):
            _load_guards(target)
    for target in targets:
        for stream in (False, True):
            asyncio.run(run_cell(f"{target.url}/v1/chat/completions", {"model": configs.MODEL, "messages": PROMPT},
                                 n=20, concurrency=4, stream=stream, headers=target.headers))


def _interleaved(targets: list[Target], opts: BenchOptions) -> None:
    plan = [(stream, c, n) for stream in opts.modes for c, n in zip(opts.concurrency, opts.requests, strict=True)]
    total = sum(n for _, _, n in plan) * len(targets)
    with tqdm(total=total, desc="A B A B cells", unit="req") as bar:
        for stream, c, n in plan:
            per_round = max(1, n // opts.rounds)
            for _ in range(opts.rounds):
                for target in targets:
                    asyncio.run(_measure(target, stream, c, per_round))
                    bar.update(per_round)


def _routing(upstream: str, opts: BenchOptions, work: Path) -> dict[str, Any]:
    """Routing cost with the cache off, sequential and speculative, judge after `judge_ms`."""
    out: dict[str, Any] = {"judge_ms": opts.judge_ms, "answer_ttft_ms": max(opts.ttft_ms, 50.0)}
    routing_cost.control(upstream, "/_control", {"judge_ms": opts.judge_ms, "ttft_ms": out["answer_ttft_ms"]})
    try:
        for speculative in (False, True):
            name = "speculative" if speculative else "sequential"
            config = configs.proxy_config(upstream, "routing", speculative=speculative)
            with configs.primeguard_proxy(f"primeguard-{name}", configs.write(work, f"routing-{name}", config),
                                          free_port(), work / f"pg-routing-{name}.log") as proc:
                proc.wait_ready(120)
                base = _url(proc)
                if not speculative:
                    out["routes"] = routing_cost.route_costs(base, upstream, opts.routing_repeat)
                out[f"ttft_ms_{name}"] = routing_cost.ttft_ms(base, opts.routing_repeat)
    finally:
        routing_cost.control(upstream, "/_control", {"judge_ms": 0.0, "ttft_ms": opts.ttft_ms})
    return out


def run_bench(opts: BenchOptions) -> dict[str, Any]:
    """Start everything, measure, stop everything; the raw results for `report`."""
    with ExitStack() as stack:
        work = opts.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="primeguard-bench-")))
        work.mkdir(parents=True, exist_ok=True)
        upstream, targets, _ = _start_all(stack, opts, work)
        _warm(targets)
        _interleaved(targets, opts)
        procs = {t.name: t.proc for t in targets if t.proc}
        memory = {name: {"rss_mb": round(p.rss_mb(), 1), "peak_rss_mb": round(p.peak_rss_mb(), 1)}
                  for name, p in procs.items()}
        for target in targets:
            if target.helper:
                memory[target.name]["helper_peak_rss_mb"] = round(target.helper.peak_rss_mb(), 1)
        for target in targets:  # the comparison proxies are idle from here on: stop them
            if target.proc:
                target.proc.stop()
        routing = _routing(upstream, opts, work)
    micro = {"guard_throughput": guard_micro.guard_throughput(seconds=opts.micro_seconds),
             "output_guard_per_chunk": guard_micro.output_guard_per_chunk(),
             "output_guard_overhead": guard_micro.output_guard_overhead_per_chunk(),
             "output_guard_overhead_pattern": guard_micro.output_guard_overhead_per_chunk(pattern_guard=True)}
    return {"targets": targets, "memory": memory, "routing": routing, "micro": micro,
            "upstream_knobs": {"latency_ms": opts.latency_ms, "ttft_ms": opts.ttft_ms, "tps": opts.tps,
                               "tokens": opts.tokens}}
