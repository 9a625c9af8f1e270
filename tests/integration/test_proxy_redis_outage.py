"""Kill Redis while requests flow through the proxy: no request fails, and the cache comes back.

Prints the counts the closing note reports.
"""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import proxy_config, start_proxy
from tests.fakes.upstream import FakeUpstream, ServerThread
from tests.integration.test_redis_cache import RedisProcess

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


def test_redis_killed_and_restarted_under_load(tmp_path: Path) -> None:
    redis_server = RedisProcess(tmp_path)
    redis_server.start()
    fake = FakeUpstream()
    with ServerThread(fake) as upstream:
        fake.url = upstream.url  # type: ignore[attr-defined]
        config = proxy_config(fake, cache={"enabled": True, "url": redis_server.url, "op_timeout_ms": 50,
                                           "breaker_failures": 3, "breaker_reset_s": 0.5})
        with start_proxy(config) as proxy:
            statuses: dict[str, list[int]] = {"before": [], "down": [], "after": []}
            hits_after: list[bool] = []
            phase = ["before"]
            stop = threading.Event()

            def client_loop(worker: int) -> None:
                with httpx.Client(base_url=proxy.url, timeout=10) as client:
                    i = 0
                    while not stop.is_set():
                        text = f"question {worker}-{i % 5}"  # repeats, so the cache has work to do
                        response = client.post("/v1/chat/completions", json={
                            "model": "fake-gpt", "messages": [{"role": "user", "content": text}]})
                        statuses[phase[0]].append(response.status_code)
                        if phase[0] == "after":
                            hits_after.append(response.headers.get("x-primeguard-cache") == "hit")
                        i += 1

            with ThreadPoolExecutor(4) as pool:
                for worker in range(4):
                    pool.submit(client_loop, worker)
                time.sleep(1.0)
                phase[0] = "down"
                redis_server.kill()
                time.sleep(1.5)
                redis_server.start()
                phase[0] = "after"
                time.sleep(2.0)
                stop.set()
    redis_server.kill()
    counts = {k: (len(v), sum(s == 200 for s in v)) for k, v in statuses.items()}
    print(f"\nrequests (sent, ok) by phase: {counts}; cache hits after restart: {sum(hits_after)}")
    for phase_name, codes in statuses.items():
        assert codes, phase_name
        assert all(code == 200 for code in codes), (phase_name, sorted(set(codes)))
    assert any(hits_after[len(hits_after) // 2:])  # the cache serves hits again by itself
