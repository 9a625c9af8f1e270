"""The master-key admin endpoint."""

from __future__ import annotations

import httpx

from tests.api.conftest import proxy_config, start_proxy
from tests.fakes.upstream import FakeUpstream, ServerThread


def test_admin_status_needs_the_master_key(fake: FakeUpstream, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PG_TEST_MASTER", "sk-master-123")
    config = proxy_config(fake, general_settings={"master_key": "os.environ/PG_TEST_MASTER"},
                          tenants=[{"name": "acme", "api_keys": ["sk-acme"]}])
    with start_proxy(config) as server:
        url = f"{server.url}/admin/status"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"authorization": "Bearer sk-acme"}).status_code == 401
        response = httpx.get(url, headers={"authorization": "Bearer sk-master-123"})
        assert response.status_code == 200
        body = response.json()
        assert [t["name"] for t in body["tenants"]] == ["acme"]
        assert body["cache"]["backend"] == "memory"
        assert "sk-upstream-secret" not in response.text and "sk-master-123" not in response.text


def test_admin_is_closed_without_a_master_key(proxy: ServerThread) -> None:
    response = httpx.get(f"{proxy.url}/admin/status", headers={"authorization": "Bearer anything"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "admin_disabled"


def test_judge_failures_are_counted(proxy: ServerThread, fake: FakeUpstream) -> None:
    fake.script.judge_default = "not json"
    httpx.post(f"{proxy.url}/v1/chat/completions",
               json={"model": "fake-gpt", "messages": [{"role": "user", "content": "hi"}]})
    metrics = httpx.get(f"{proxy.url}/metrics").text
    line = next(x for x in metrics.splitlines() if x.startswith('primeguard_judge_failures_total{reason="parse_failure"}'))
    assert float(line.split()[-1]) >= 1


def _failures(url: str, guard: str, step: str) -> float:
    """Sum of `primeguard_guard_failures_total` for this guard and step (0 when absent)."""
    lines = httpx.get(f"{url}/metrics").text.splitlines()
    return sum(float(line.split()[-1]) for line in lines if line.startswith("primeguard_guard_failures_total{")
               and f'guard="{guard}"' in line and f'step="{step}"' in line)


def test_a_guard_that_fails_open_is_counted_and_shown(fake: FakeUpstream, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Failed open, it answers `safe`: without its own count it looks like a quiet guard."""
    monkeypatch.setenv("PG_TEST_MASTER", "sk-master-123")
    dead = "http://127.0.0.1:9"  # discard port: connection refused
    config = proxy_config(fake, general_settings={"master_key": "os.environ/PG_TEST_MASTER"}, guards={
        "definitions": {"down": {"kind": "tei", "url": dead, "fail_mode": "open", "timeout_s": 1,
                                 "labels": {"MALICIOUS": "violence", "BENIGN": None}}},
        "input": ["down"], "output": []})
    with start_proxy(config) as server:
        assert _failures(server.url, "down", "check") == 0
        response = httpx.post(f"{server.url}/v1/chat/completions",
                              json={"model": "fake-gpt", "messages": [{"role": "user", "content": "hi"}]})
        assert response.status_code == 200  # failed open: answered
        assert _failures(server.url, "down", "check") >= 1
        status = httpx.get(f"{server.url}/admin/status", headers={"authorization": "Bearer sk-master-123"})
        health = status.json()["guard_health"]["down"]
        assert health["fail_mode"] == "open" and health["fallbacks"] >= 1 and health["calls"] >= 1
        assert health["by_reason"] == {"error": health["fallbacks"]} and health["breaker"] == "closed"
