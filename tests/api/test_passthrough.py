"""Fields pass through untouched; tenants, shadow mode and explain; the async client."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests.api.conftest import ACME_KEY, GLOBEX_KEY
from tests.fakes.upstream import DIRECT, FakeUpstream, ServerThread

HELLO = [{"role": "user", "content": "What's the weather like in Paris?"}]
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def test_openai_fields_and_unknown_extras_reach_the_upstream(client: openai.OpenAI, fake: FakeUpstream) -> None:
    client.chat.completions.create(
        model="fake-gpt", messages=HELLO, tools=TOOLS, tool_choice="auto", temperature=0.3, max_tokens=77,
        stop=["\n\n"], user="u-42", response_format={"type": "text"}, seed=7,
        extra_body={"top_k": 5, "vendor_flag": {"nested": [1, 2]}},
    )
    sent = fake.of_kind("answer")[0].body
    assert sent["tools"] == TOOLS and sent["tool_choice"] == "auto"
    assert sent["temperature"] == 0.3 and sent["max_tokens"] == 77 and sent["stop"] == ["\n\n"]
    assert sent["user"] == "u-42" and sent["response_format"] == {"type": "text"} and sent["seed"] == 7
    assert sent["top_k"] == 5 and sent["vendor_flag"] == {"nested": [1, 2]}


def test_tool_call_conversation_is_judged_and_forwarded(client: openai.OpenAI, fake: FakeUpstream) -> None:
    messages = [
        *HELLO,
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"},
    ]
    client.chat.completions.create(model="fake-gpt", messages=messages, tools=TOOLS)  # type: ignore[arg-type]
    judge_prompt = fake.of_kind("judge")[0].body["messages"][1]["content"]
    assert "get_weather" in judge_prompt and "18C and sunny" in judge_prompt
    assert fake.of_kind("answer")[0].body["messages"][1:] == messages


@pytest.mark.anyio
async def test_async_client_streaming_and_not(proxy: ServerThread, fake: FakeUpstream) -> None:
    async with openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key="x", max_retries=0) as client:
        completion = await client.chat.completions.create(model="fake-gpt", messages=HELLO)
        assert completion.choices[0].message.content == "echo: What's the weather like in Paris?"
        stream = await client.chat.completions.create(model="fake-gpt", messages=HELLO, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert text == completion.choices[0].message.content
        models = await client.models.list()
        assert [m.id for m in models.data] == ["fake-gpt"]


def test_tenants_get_their_own_guidelines_refusal_and_explain(
        tenant_proxy: ServerThread, fake: FakeUpstream) -> None:
    with openai.OpenAI(base_url=f"{tenant_proxy.url}/v1", api_key=GLOBEX_KEY, max_retries=0) as globex:
        fake.script.judge_default = DIRECT
        raw = globex.chat.completions.with_raw_response.create(model="fake-gpt", messages=HELLO)
        assert raw.parse().choices[0].message.content == "Globex cannot help with that."
        assert "general audience that may include minors" in fake.of_kind("judge")[0].body["messages"][0]["content"]
        assert "system_tip" not in json.loads(raw.text)["primeguard"]
    with openai.OpenAI(base_url=f"{tenant_proxy.url}/v1", api_key=ACME_KEY, max_retries=0) as acme:
        raw = acme.chat.completions.with_raw_response.create(model="fake-gpt", messages=HELLO)
        info = json.loads(raw.text)["primeguard"]
        assert info["system_tip"] == "Politely refuse." and info["system_check_result"] == "harmful"
        assert raw.parse().choices[0].message.content == "I'm sorry, but I can't help with that request."


def test_shadow_tenant_is_judged_but_not_enforced(tenant_proxy: ServerThread, fake: FakeUpstream) -> None:
    fake.script.judge_default = DIRECT
    response = httpx.post(f"{tenant_proxy.url}/v1/chat/completions",
                          json={"model": "fake-gpt", "messages": HELLO},
                          headers={"authorization": "Bearer sk-shadow"})
    assert response.headers["x-primeguard-route"] == "direct_violation"
    assert response.headers["x-primeguard-shadow"] == "true"
    assert response.json()["choices"][0]["message"]["content"].startswith("echo:")
    assert fake.of_kind("answer")[0].body["messages"] == HELLO  # forwarded as the client sent it


def test_client_request_id_is_kept(proxy: ServerThread, fake: FakeUpstream) -> None:
    response = httpx.post(f"{proxy.url}/v1/chat/completions", json={"model": "fake-gpt", "messages": HELLO},
                          headers={"x-request-id": "trace-abc-123"})
    assert response.headers["x-request-id"] == "trace-abc-123"
    bad = httpx.post(f"{proxy.url}/v1/chat/completions", json={"model": "fake-gpt", "messages": HELLO},
                     headers={"x-request-id": "evil\tvalue"})
    assert bad.headers["x-request-id"].startswith("req_")


def test_health_and_readiness(proxy: ServerThread) -> None:
    assert httpx.get(f"{proxy.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{proxy.url}/readyz").status_code == 200
