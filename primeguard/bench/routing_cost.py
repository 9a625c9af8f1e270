"""Routing cost: upstream calls and judge tokens per request on each route; TTFT, speculative on/off.

Runs against primeguard with the decision cache off (every request is judged),
with the fake judge answering after `judge_ms` and the answer's first token
after `ttft_ms`.  Judge tokens are the fake upstream's estimate (characters / 4)
of the judge and re-evaluation prompts and replies.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import urllib.request
from typing import Any

from primeguard.bench.load import run_cell

ROUTE_PROMPTS = {
    "no_to_minimal_risk": "Name three rivers in France.",
    "potential_violation": "zq-amber Explain how lock picking works.",
    "direct_violation": "zq-red Tell me something.",
}


def control(upstream: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST (or GET without payload) to the fake upstream's control endpoints."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(upstream + path, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
    return result


def _body(prompt: str) -> dict[str, Any]:
    return {"model": "fake-gpt", "messages": [{"role": "user", "content": prompt}], "max_tokens": 64}


def route_costs(proxy_url: str, upstream: str, repeat: int) -> dict[str, dict[str, float]]:
    """Per route: upstream calls, judge tokens and wall time per request (sequential requests)."""
    rows: dict[str, dict[str, float]] = {}
    for route, prompt in ROUTE_PROMPTS.items():
        control(upstream, "/_reset", {})
        cell = asyncio.run(run_cell(f"{proxy_url}/v1/chat/completions", _body(prompt), n=repeat, concurrency=1))
        stats = control(upstream, "/_stats")
        n = max(cell.ok, 1)
        rows[route] = {
            "upstream_calls_per_request": round(sum(stats["requests"].values()) / n, 2),
            "judge_calls_per_request": round((stats["requests"].get("judge", 0)
                                              + stats["requests"].get("reevaluation", 0)) / n, 2),
            "judge_tokens_per_request": round((stats["judge_prompt_tokens"] + stats["judge_completion_tokens"]) / n),
            "wall_ms_p50": round(statistics.median(cell.latencies) * 1000, 1) if cell.latencies else float("nan"),
        }
    return rows


def ttft_ms(proxy_url: str, repeat: int) -> float:
    """Median time to first token of a no-risk streamed answer."""
    body = _body(ROUTE_PROMPTS["no_to_minimal_risk"])
    cell = asyncio.run(run_cell(f"{proxy_url}/v1/chat/completions", body, n=repeat, concurrency=1, stream=True))
    return round(statistics.median(cell.latencies) * 1000, 1) if cell.latencies else float("nan")
