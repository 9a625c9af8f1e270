"""`primeguard loadtest`: bounded mixed traffic against primeguard while faults are injected.

Bounded twice: it stops at `--duration` seconds or `--max-requests`, whichever
comes first (the default profile is 2 minutes).  Everything runs on loopback in
child processes: the fake upstream, a private Redis (decision cache and rate
limits), the MiniLM guard served over TEI's protocol (the guard that will
hang), and `primeguard serve` with several tenants.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from tqdm import tqdm

from primeguard.bench import configs, faults
from primeguard.bench.procs import Managed, free_port, python_module
from primeguard.bench.traffic import Outcome, Planned, plan, send


@dataclass(frozen=True)
class LoadOptions:
    duration_s: float = 120.0
    max_requests: int = 20000
    concurrency: int = 16
    tenants: int = 8
    faults: bool = True
    out: Path = Path(".bench/loadtest-report.json")
    seed: int = 0


@dataclass
class Tally:
    """Counts by request label (kind/stream), plus the samples worth keeping."""

    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    schema_examples: list[str] = field(default_factory=list)
    memory: list[tuple[float, float]] = field(default_factory=list)  # (t, rss MB)
    fault_log: list[tuple[float, str]] = field(default_factory=list)

    def add(self, p: Planned, out: Outcome) -> None:
        row = self.rows.setdefault(p.label, {})
        status = "ok" if out.status == 200 and not out.schema_errors else f"status_{out.status}"
        for key in ("sent", status, *(k for k in ("answered", "refused", "cut", "disconnected", "leaked_after_cut",
                                                  "unsafe_uncut") if getattr(out, k))):
            row[key] = row.get(key, 0) + 1
        if out.schema_errors:
            row["schema_violations"] = row.get("schema_violations", 0) + 1
            if len(self.schema_examples) < 10:
                self.schema_examples.append(f"{p.label} {out.status}: {out.schema_errors[0]}")


def _config(upstream: str, guard: str, redis_port: int, tenants: int) -> dict[str, Any]:
    keys: list[dict[str, Any]] = [{"name": f"t{i}", "api_keys": [f"sk-tenant-{i}"], "tolerance": ("strict", "default", "loose")[i % 3]}
            for i in range(tenants)]
    keys[0]["rate_limit_rpm"] = 120  # one tenant runs into its rate limit
    extra = {
        "tenants": keys,
        "cache": {"url": f"redis://127.0.0.1:{redis_port}/0", "op_timeout_ms": 50},
        "guards": {"input": ["minilm", "served"], "output": ["minilm"], "definitions": {
            "minilm": {"kind": "inprocess"},
            "served": {"kind": "tei", "url": guard, "timeout_s": 0.5, "fail_mode": "open",
                       "labels": {"flagged": "illicit"}}}},
        "routing": {"judge_timeout_s": 2, "speculative": False},
    }
    config = configs.proxy_config(upstream, "full", extra=extra)
    config["model_list"][0]["litellm_params"].update({"timeout": 2, "max_retries": 1})
    return config


async def _warm(url: str, keys: list[str]) -> None:
    """Load the lazy models (encoder, judge paths) before the clock and the memory baseline start."""
    rng = random.Random(1)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for _ in range(12):
            await send(session, url, configs.MODEL, plan(rng, keys[1:] or keys, disconnect_share=0.0))


async def _traffic(url: str, opts: LoadOptions, keys: list[str], tally: Tally, deadline: float) -> None:
    rng, sent = random.Random(opts.seed), 0
    timeout = aiohttp.ClientTimeout(total=30)
    bar = tqdm(total=opts.max_requests, desc="loadtest", unit="req", leave=False, mininterval=2.0)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal sent
        while sent < opts.max_requests and time.monotonic() < deadline:
            sent += 1
            p = plan(rng, keys)
            tally.add(p, await send(session, url, configs.MODEL, p))
            bar.update(1)

    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=opts.concurrency)) as s:
        await asyncio.gather(*(worker(s) for _ in range(opts.concurrency)))
    bar.close()


def _drill(drills: list[faults.Fault], started: float, duration: float, stop: threading.Event, tally: Tally,
           proxy: Managed) -> None:
    """Switch faults on and off on schedule; sample the proxy's RSS every second."""
    pending = [(f.start, f.name, f.on) for f in drills] + [(f.end, f.name + " over", f.off) for f in drills]
    pending.sort(key=lambda item: item[0])
    next_sample = 0.0
    while not stop.wait(0.1):
        elapsed = time.monotonic() - started
        while pending and elapsed >= pending[0][0] * duration:
            _, name, action = pending.pop(0)
            action()
            tally.fault_log.append((round(elapsed, 1), name))
        if elapsed >= next_sample:
            tally.memory.append((round(elapsed, 1), round(proxy.rss_mb(), 1)))
            next_sample += 1.0
    for _, name, action in pending:  # a run cut short still restores everything
        if name.endswith(" over"):
            action()


def _report(tally: Tally, opts: LoadOptions, wall_s: float) -> dict[str, Any]:
    totals: dict[str, int] = {}
    for row in tally.rows.values():
        for key, value in row.items():
            totals[key] = totals.get(key, 0) + value
    rss = [m for _, m in tally.memory]
    half = rss[len(rss) // 2:] or rss
    return {"options": {k: str(v) for k, v in vars(opts).items()}, "wall_s": round(wall_s, 1),
            "totals": totals, "by_type": tally.rows, "schema_examples": tally.schema_examples,
            "faults": tally.fault_log,
            "memory_mb": {"start": rss[0] if rss else None, "end": rss[-1] if rss else None,
                          "max": max(rss, default=None),
                          "growth": round(rss[-1] - rss[0], 1) if rss else None,
                          "growth_second_half": round(half[-1] - half[0], 1) if half else None,
                          "samples": tally.memory}}


def _print(report: dict[str, Any]) -> None:
    print(f"loadtest: {report['wall_s']} s, totals {json.dumps(report['totals'])}")
    for label, row in sorted(report["by_type"].items()):
        print(f"  {label:20} {json.dumps(row)}")
    memory = report["memory_mb"]
    print(f"  proxy RSS MB: start {memory['start']}, end {memory['end']}, max {memory['max']}, "
          f"growth {memory['growth']} (second half {memory['growth_second_half']})")
    print(f"  faults: {report['faults']}")
    for example in report["schema_examples"]:
        print(f"  schema: {example}")


def run_loadtest(opts: LoadOptions) -> int:
    """Start the stack, run the traffic and the drill, stop everything; 1 if anything broke the contract."""
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="primeguard-load-")))
        up_port, guard_port, redis_port, proxy_port = free_port(), free_port(), free_port(), free_port()
        upstream, guard = f"http://127.0.0.1:{up_port}", f"http://127.0.0.1:{guard_port}"
        fake = Managed("fake-upstream", python_module(
            "primeguard.bench.fake_upstream", "--port", str(up_port), "--tokens", "40", "--tps", "400",
            "--ttft-ms", "10", "--latency-ms", "20", "--judge-ms", "10", "--hang-s", "5"),
            f"{upstream}/v1/models", log_path=work / "fake.log")
        served = Managed("guard", python_module("primeguard.bench.guard_http", "--port", str(guard_port)),
                         f"{guard}/health", log_path=work / "guard.log")
        redis = faults.redis_server(redis_port, work)
        config = configs.write(work, "load", _config(upstream, guard, redis_port, opts.tenants))
        proxy = configs.primeguard_proxy("primeguard", config, proxy_port, work / "proxy.log")
        for proc in (fake, served, redis):
            stack.enter_context(proc)
        faults.wait_port(redis_port)
        stack.enter_context(proxy)
        for proc in (fake, served, proxy):
            proc.wait_ready(180)
        keys = [f"sk-tenant-{i}" for i in range(opts.tenants)]
        url = f"http://127.0.0.1:{proxy_port}/v1/chat/completions"
        asyncio.run(_warm(url, keys))
        tally, stop = Tally(), threading.Event()
        drills = faults.schedule(upstream, guard, redis, redis_port) if opts.faults else []
        started = time.monotonic()
        driller = threading.Thread(target=_drill, args=(drills, started, opts.duration_s, stop, tally, proxy))
        driller.start()
        try:
            asyncio.run(_traffic(url, opts, keys, tally, started + opts.duration_s))
        finally:
            stop.set()
            driller.join(30)
        report = _report(tally, opts, time.monotonic() - started)
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(report, indent=2))
    _print(report)
    print(f"report: {opts.out}")
    broken = report["totals"].get("schema_violations", 0) + report["totals"].get("leaked_after_cut", 0)
    return 1 if broken else 0
