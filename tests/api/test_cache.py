"""The decision cache and rate limits through the server, on a real Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import proxy_config, start_proxy
from tests.fakes.upstream import DIRECT, FakeUpstream, ServerThread

REDIS_URL = "redis://127.0.0.1:6379/0"
TENANTS = [
    {"name": "acme", "api_keys": ["sk-acme"], "guidelines": "default"},
    {"name": "globex", "api_keys": ["sk-globex"], "guidelines": "default"},
    {"name": "limited", "api_keys": ["sk-limited"], "rate_limit_rpm": 3},
]


@pytest.fixture(scope="module")
def cached_proxy(fake: FakeUpstream) -> Iterator[ServerThread]:
    prefix = f"pgtest:{uuid.uuid4().hex[:8]}:"
    config = proxy_config(fake, tenants=TENANTS, cache={"enabled": True, "url": REDIS_URL, "key_prefix": prefix})
    with start_proxy(config) as server:
        yield server
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def _ask(server: ServerThread, key: str, text: str) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                      json={"model": "fake-gpt", "messages": [{"role": "user", "content": text}]})


def test_second_identical_request_skips_the_judge(cached_proxy: ServerThread, fake: FakeUpstream) -> None:
    text = f"cache me {uuid.uuid4()}"
    first = _ask(cached_proxy, "sk-acme", text)
    assert first.headers["x-primeguard-cache"] == "miss"
    fake.script.judge_default = DIRECT  # a second judgement would refuse; the cached one answers
    second = _ask(cached_proxy, "sk-acme", "  " + text + "\n")  # whitespace is canonicalised
    assert second.headers["x-primeguard-cache"] == "hit"
    assert second.headers["x-primeguard-route"] == "no_to_minimal_risk"
    assert [r.kind for r in fake.requests] == ["judge", "answer", "answer"]


def test_tenants_never_share_decisions(cached_proxy: ServerThread, fake: FakeUpstream) -> None:
    text = f"shared text {uuid.uuid4()}"
    assert _ask(cached_proxy, "sk-acme", text).headers["x-primeguard-cache"] == "miss"
    other = _ask(cached_proxy, "sk-globex", text)
    assert other.headers["x-primeguard-cache"] == "miss"
    assert len(fake.of_kind("judge")) == 2


def test_rate_limit_gives_429_with_retry_after(cached_proxy: ServerThread, fake: FakeUpstream) -> None:
    statuses = [_ask(cached_proxy, "sk-limited", f"q{i}").status_code for i in range(4)]
    assert statuses[:3] == [200, 200, 200]
    over = _ask(cached_proxy, "sk-limited", "q5")
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) >= 1
    assert over.json()["error"]["type"] == "rate_limit_error"
