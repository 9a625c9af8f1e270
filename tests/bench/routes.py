"""Per-route cost against the scripted upstream: wall time, upstream calls, time to first token.

    python -m tests.bench.routes [--judge-ms 300] [--answer-ms 100] [--repeat 5]

Prints a table and writes JSON to stdout's last line.  The judge takes
`--judge-ms`; the answer's first token comes `--answer-ms` after its request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import openai

from primeguard.config import parse_config
from primeguard.server.app import create_app
from tests.fakes.upstream import DIRECT, NO_RISK, POTENTIAL, FakeUpstream, ServerThread

MESSAGES = [{"role": "user", "content": "Name three rivers in France."}]


def _config(url: str, speculative: bool) -> dict[str, Any]:
    return {
        "model_list": [{"model_name": "fake-gpt", "litellm_params": {
            "model": "openai/fake-model", "api_base": f"{url}/v1", "api_key": "sk-x", "timeout": 30}}],
        "routing": {"speculative": speculative},
        "guards": {"definitions": {}},
        "cache": {"enabled": False},  # every request is judged: this measures the routes themselves
    }


def _ttft(client: openai.OpenAI) -> float:
    started = time.perf_counter()
    for chunk in client.chat.completions.create(model="fake-gpt", messages=MESSAGES, stream=True):  # type: ignore[arg-type]
        if chunk.choices and chunk.choices[0].delta.content:
            return time.perf_counter() - started
    raise RuntimeError("no content")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--judge-ms", type=float, default=300)
    parser.add_argument("--answer-ms", type=float, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    fake = FakeUpstream()
    report: dict[str, Any] = {"judge_ms": args.judge_ms, "answer_ms": args.answer_ms, "routes": {}, "ttft": {}}
    with ServerThread(fake) as upstream:
        for speculative in (False, True):
            with ServerThread(create_app(parse_config(_config(upstream.url, speculative)))) as proxy:
                client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="x", max_retries=0)
                client.chat.completions.create(model="fake-gpt", messages=MESSAGES)  # type: ignore[arg-type]  # warm
                for name, judge in (("no_to_minimal_risk", NO_RISK), ("potential_violation", POTENTIAL),
                                    ("direct_violation", DIRECT)):
                    walls, calls = [], []
                    for _ in range(args.repeat):
                        fake.reset()
                        fake.script.judge_default, fake.script.judge_delay = judge, args.judge_ms / 1000
                        fake.script.answer_delay = args.answer_ms / 1000
                        started = time.perf_counter()
                        client.chat.completions.create(model="fake-gpt", messages=MESSAGES)  # type: ignore[arg-type]
                        walls.append(time.perf_counter() - started)
                        calls.append(len(fake.requests))
                    key = f"{name}{' (speculative)' if speculative else ''}"
                    report["routes"][key] = {"wall_ms_median": round(statistics.median(walls) * 1000, 1),
                                             "upstream_calls": max(calls)}
                fake.reset()
                fake.script.judge_delay, fake.script.answer_delay = args.judge_ms / 1000, args.answer_ms / 1000
                ttfts = [_ttft(client) for _ in range(args.repeat)]
                report["ttft"]["speculative" if speculative else "sequential"] = round(
                    statistics.median(ttfts) * 1000, 1)
                client.close()
    print(f"judge {args.judge_ms:.0f} ms, answer first byte {args.answer_ms:.0f} ms, median of {args.repeat}")
    print(f"{'route':42} {'wall ms':>9} {'upstream calls':>15}")
    for key, row in report["routes"].items():
        print(f"{key:42} {row['wall_ms_median']:>9} {row['upstream_calls']:>15}")
    for key, value in report["ttft"].items():
        print(f"time to first token, {key:11} {value:>9} ms")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
