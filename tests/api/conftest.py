"""Real servers for the contract tests: the scripted upstream and proxies in front of it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from primeguard.config import parse_config
from primeguard.server.app import create_app
from tests.fakes.upstream import FakeUpstream, ServerThread

ACME_KEY = "sk-acme-test-key"
GLOBEX_KEY = "sk-globex-test-key"


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeUpstream]:
    app = FakeUpstream()
    with ServerThread(app) as server:
        app.url = server.url  # type: ignore[attr-defined]
        yield app


@pytest.fixture(autouse=True)
def _reset_fake(request: pytest.FixtureRequest) -> None:
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()


def proxy_config(fake: FakeUpstream, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "model_list": [
            {"model_name": "fake-gpt", "litellm_params": {
                "model": "openai/fake-model", "api_base": f"{fake.url}/v1",  # type: ignore[attr-defined]
                "api_key": "sk-upstream-secret", "timeout": 5, "max_retries": 2}},
        ],
        "routing": {"judge_timeout_s": 2},
        # Contract tests script a different judge answer per test for the same
        # conversation, so they judge every request; tests/api/test_cache.py covers the cache.
        "cache": {"enabled": False},
        # No guard classifiers: these tests pin the routing logic; tests/api/test_guards.py adds them.
        "guards": {"definitions": {}},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def start_proxy(config: dict[str, Any]) -> ServerThread:
    return ServerThread(create_app(parse_config(config)))


@pytest.fixture(scope="session")
def proxy(fake: FakeUpstream) -> Iterator[ServerThread]:
    with start_proxy(proxy_config(fake)) as server:
        yield server


@pytest.fixture(scope="session")
def tenant_proxy(fake: FakeUpstream) -> Iterator[ServerThread]:
    tenants = [
        {"name": "acme", "api_keys": [ACME_KEY], "guidelines": "default", "explain": True},
        {"name": "globex", "api_keys": ["sha256:" + hashlib.sha256(GLOBEX_KEY.encode()).hexdigest()],
         "guidelines": "strict", "refusal": "Globex cannot help with that."},
        {"name": "shadowco", "api_keys": ["sk-shadow"], "shadow": True},
    ]
    with start_proxy(proxy_config(fake, tenants=tenants)) as server:
        yield server


@pytest.fixture(scope="session")
def speculative_proxy(fake: FakeUpstream) -> Iterator[ServerThread]:
    with start_proxy(proxy_config(fake, routing={"speculative": True})) as server:
        yield server


@pytest.fixture
def client(proxy: ServerThread) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="unused", max_retries=0) as c:
        yield c
