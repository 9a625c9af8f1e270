"""Decision-cache and tracing costs, against the scripted upstream.

    python -m tests.bench.production [--judge-ms 300] [--n 20] [--redis redis://127.0.0.1:6379/0]

1. median latency of a request whose decision is a cache miss (judge at --judge-ms) vs a hit,
   with the in-process cache and with Redis;
2. the overhead of tracing on (BatchSpanProcessor to an exporter that drops spans) vs off,
   per request, with a judge that answers at once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from primeguard.config import parse_config
from primeguard.server.app import create_app
from primeguard.telemetry.bundle import Telemetry
from primeguard.telemetry.metrics import Metrics
from primeguard.telemetry.settings import TelemetrySettings
from primeguard.telemetry.tracing import Tracing, setup_tracing
from tests.fakes.upstream import FakeUpstream, ServerThread


class DropExporter(SpanExporter):
    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def _config(url: str, cache: dict[str, Any]) -> dict[str, Any]:
    return {"model_list": [{"model_name": "m", "litellm_params": {
        "model": "openai/fake", "api_base": f"{url}/v1", "api_key": "k"}}],
        "guards": {"definitions": {}}, "cache": cache}


def _post(client: httpx.Client, text: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = client.post("/v1/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": text}]})
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000, response.headers["x-primeguard-cache"]


def cache_latency(fake: FakeUpstream, url: str, cache: dict[str, Any], n: int, judge_ms: float) -> dict[str, float]:
    fake.script.judge_delay = judge_ms / 1000
    with ServerThread(create_app(parse_config(_config(url, cache)))) as proxy, \
            httpx.Client(base_url=proxy.url, timeout=30) as client:
        _post(client, "warm up")
        misses, hits = [], []
        for _ in range(n):
            text = f"question {uuid.uuid4()}"
            ms, state = _post(client, text)
            assert state == "miss"
            misses.append(ms)
            ms, state = _post(client, text)
            assert state == "hit"
            hits.append(ms)
    fake.script.judge_delay = 0
    return {"miss_p50_ms": round(statistics.median(misses), 2), "hit_p50_ms": round(statistics.median(hits), 2)}


def tracing_overhead(fake: FakeUpstream, url: str, n: int) -> dict[str, float]:
    out = {}
    for name in ("off", "on", "off2", "on2"):  # A B A B: the machine is noisy
        tracing = setup_tracing(TelemetrySettings(), span_exporter=DropExporter()) if name.startswith("on") \
            else Tracing(None)
        telemetry = Telemetry(tracing, Metrics())
        app = create_app(parse_config(_config(url, {"enabled": False})), telemetry=telemetry)
        with ServerThread(app) as proxy, httpx.Client(base_url=proxy.url, timeout=30) as client:
            for _ in range(20):
                _post(client, "warm")
            samples = [_post(client, f"q{i}")[0] for i in range(n)]
        out[name] = statistics.median(samples)
    on, off = (out["on"] + out["on2"]) / 2, (out["off"] + out["off2"]) / 2
    return {"tracing_off_p50_ms": round(off, 3), "tracing_on_p50_ms": round(on, 3),
            "overhead_ms": round(on - off, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--judge-ms", type=float, default=300)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    fake = FakeUpstream()
    report: dict[str, Any] = {}
    with ServerThread(fake) as upstream:
        report["memory_cache"] = cache_latency(fake, upstream.url, {}, args.n, args.judge_ms)
        report["redis_cache"] = cache_latency(
            fake, upstream.url, {"url": args.redis, "key_prefix": f"pgbench:{uuid.uuid4().hex[:6]}:"},
            args.n, args.judge_ms)
        report["tracing"] = tracing_overhead(fake, upstream.url, args.n * 10)
    for section, values in report.items():
        print(section, values)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
