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
