"""Every error row: OpenAI's error shape, the right status, never a 500 for a client mistake."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.api.conftest import ACME_KEY, proxy_config, start_proxy
from tests.fakes.upstream import FakeUpstream, ServerThread

HELLO = [{"role": "user", "content": "hi"}]


def _assert_error_shape(response: httpx.Response, status: int, code: str | None = None) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["message"]
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("content,param", [
    (b"{not json", None),
    (b"", None),
    (b"[1, 2]", None),
    (b'{"messages": [{"role": "user", "content": "hi"}]}', "model"),
    (b'{"model": "fake-gpt"}', "messages"),
    (b'{"model": "fake-gpt", "messages": []}', "messages"),
    (b'{"model": "fake-gpt", "messages": [{"role": "wizard", "content": "hi"}]}', "messages[0].role"),
    (b'{"model": "fake-gpt", "messages": [{"content": "hi"}]}', "messages[0].role"),
    (b'{"model": "fake-gpt", "messages": "hi"}', "messages"),
    (b'{"model": "fake-gpt", "messages": [{"role": "user", "content": "hi"}], "stream": "yes"}', "stream"),
    (b'\xff\xfe', None),
    # Not JSON the proxy can send on: Python's NaN extension, nesting past the decoder's limit.
    (b'{"model": "fake-gpt", "messages": [{"role": "user", "content": "hi"}], "temperature": NaN}', None),
    (b'{"model": "fake-gpt", "messages": [], "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", None),
    # A lone surrogate escape is valid JSON but no Unicode text: named wherever it is.
    (b'{"model": "fake-gpt", "messages": [{"role": "user", "content": "hi \\ud800"}]}', "messages[0].content"),
    (b'{"model": "fake-gpt", "messages": [{"role": "user", "content": "hi"}], "user": "\\udc00x"}', "user"),
    # Tool calls the judge and the cache key read: shaped as OpenAI's, or a 400 naming them.
    *[(b'{"model": "fake-gpt", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant",'
       b' "content": null, "tool_calls": ' + calls + b'}]}', param) for calls, param in [
        (b'"oops"', "messages[1].tool_calls"), (b"{}", "messages[1].tool_calls"),
        (b"[1]", "messages[1].tool_calls[0]"), (b"[null]", "messages[1].tool_calls[0]"),
        (b'[{"function": "f"}]', "messages[1].tool_calls[0].function"),
        (b'[{"function": {"arguments": "{}"}}]', "messages[1].tool_calls[0].function.name"),
        (b'[{"function": {"name": "f", "arguments": [1]}}]', "messages[1].tool_calls[0].function.arguments"),
        (b'[{"function": {"name": "f", "arguments": {"x": 1}}}]', "messages[1].tool_calls[0].function.arguments"),
        (b'[{"id": 7, "function": {"name": "f"}}]', "messages[1].tool_calls[0].id"),
    ]],
    (b'{"model": "fake-gpt", "messages": [{"role": "assistant", "function_call": "f"}]}',
     "messages[0].function_call"),
    (b'{"model": "fake-gpt", "messages": [{"role": "user", "content": [{"type": "text", "text": ["x"]}]}]}',
     "messages[0].content"),
])
def test_bad_request_is_400(proxy: ServerThread, content: bytes, param: str | None) -> None:
    response = httpx.post(f"{proxy.url}/v1/chat/completions", content=content,
                          headers={"content-type": "application/json"})
    error = _assert_error_shape(response, 400)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-9", messages=HELLO)  # type: ignore[arg-type]
    assert info.value.body["code"] == "model_not_found"  # type: ignore[index]
    assert info.value.body["param"] == "model"  # type: ignore[index]


def test_body_over_limit_is_413(fake: FakeUpstream) -> None:
    with start_proxy(proxy_config(fake, server={"max_body_bytes": 1000})) as server:
        big = {"model": "fake-gpt", "messages": [{"role": "user", "content": "x" * 2000}]}
        _assert_error_shape(httpx.post(f"{server.url}/v1/chat/completions", json=big), 413, "request_too_large")

        def chunked():  # type: ignore[no-untyped-def]
            yield b'{"model": "fake-gpt", "messages": [{"role": "user", "content": "'
            for _ in range(50):
                yield b"y" * 100
            yield b'"}]}'

        response = httpx.post(f"{server.url}/v1/chat/completions", content=chunked())
        _assert_error_shape(response, 413, "request_too_large")


def test_missing_and_wrong_key_are_401(tenant_proxy: ServerThread) -> None:
    url = f"{tenant_proxy.url}/v1/chat/completions"
    body = {"model": "fake-gpt", "messages": HELLO}
    _assert_error_shape(httpx.post(url, json=body), 401, "invalid_api_key")
    _assert_error_shape(httpx.post(url, json=body, headers={"authorization": "Bearer nope"}), 401)
    _assert_error_shape(httpx.get(f"{tenant_proxy.url}/v1/models"), 401)
    ok = httpx.post(url, json=body, headers={"authorization": f"Bearer {ACME_KEY}"})
    assert ok.status_code == 200


def test_judge_failure_follows_on_judge_error_refuse(client: openai.OpenAI, fake: FakeUpstream) -> None:
    fake.script.fail_status = [500, 502, 503]  # three failures exhaust the two retries
    raw = client.chat.completions.with_raw_response.create(model="fake-gpt", messages=HELLO)
    assert raw.headers["x-primeguard-route"] == "direct_violation"
    assert raw.headers["x-primeguard-route-source"] == "judge_error"
    assert len(fake.requests) == 3 and not fake.of_kind("answer")


def test_answer_upstream_5xx_is_502_and_timeout_504(fake: FakeUpstream) -> None:
    config = proxy_config(fake, routing={"on_judge_error": "allow"})
    config["model_list"][0]["litellm_params"].update(timeout=0.5, max_retries=0)
    with start_proxy(config) as server, openai.OpenAI(base_url=f"{server.url}/v1", api_key="x",
                                                      max_retries=0) as client:
        # the judge succeeds, the answer fails
        fake.script.judge_default = '{"system_check_result": "", "route": "no_to_minimal_risk", "system_tip": ""}'
        fake.script.fail_kinds = {"answer": 503}
        with pytest.raises(openai.APIStatusError) as info:
            client.chat.completions.create(model="fake-gpt", messages=HELLO)
        assert info.value.status_code == 502
        assert info.value.body["type"] == "upstream_error"  # type: ignore[index]

        fake.script.fail_kinds = {}
        fake.script.answer_delay = 3  # only answers wait; the judge still answers at once
        with pytest.raises(openai.APIStatusError) as info:
            client.chat.completions.create(model="fake-gpt", messages=HELLO)
        assert info.value.status_code == 504
        with pytest.raises(openai.APIStatusError) as info:
            client.chat.completions.create(model="fake-gpt", messages=HELLO, stream=True)
        assert info.value.status_code == 504

def test_retry_after_is_honoured(client: openai.OpenAI, fake: FakeUpstream) -> None:
    import time

    fake.script.fail_status = [429]
    fake.script.retry_after = "1"
    started = time.monotonic()
    completion = client.chat.completions.create(model="fake-gpt", messages=HELLO)
    assert time.monotonic() - started >= 1.0
    assert completion.choices[0].message.content == "echo: hi"


def test_unknown_path_and_method_are_openai_shaped(proxy: ServerThread) -> None:
    _assert_error_shape(httpx.get(f"{proxy.url}/v1/nothing"), 404)
    _assert_error_shape(httpx.get(f"{proxy.url}/v1/chat/completions"), 405)


def test_a_trailing_slash_is_served_not_redirected(proxy: ServerThread) -> None:
    """curl and httpx do not follow a 307 by default: they would take its empty body as the answer."""
    body = {"model": "fake-gpt", "messages": HELLO}
    answer = httpx.post(f"{proxy.url}/v1/chat/completions/", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"] == "echo: hi"
    assert httpx.get(f"{proxy.url}/v1/models/").json()["data"]
    _assert_error_shape(httpx.get(f"{proxy.url}/v1/nothing/"), 404)
    _assert_error_shape(httpx.get(f"{proxy.url}/v1/chat/completions/"), 405)


def test_upstream_key_never_in_response_and_client_key_never_forwarded(
        tenant_proxy: ServerThread, fake: FakeUpstream) -> None:
    response = httpx.post(f"{tenant_proxy.url}/v1/chat/completions",
                          json={"model": "fake-gpt", "messages": HELLO},
                          headers={"authorization": f"Bearer {ACME_KEY}"})
    assert "sk-upstream-secret" not in response.text
    assert all(r.headers.get("authorization") == "Bearer sk-upstream-secret" for r in fake.requests)
    assert all(ACME_KEY not in str(r.headers) for r in fake.requests)


def test_moderation_body_errors_are_400(proxy: ServerThread) -> None:
    url = f"{proxy.url}/v1/moderations"
    lone = httpx.post(url, content=b'{"input": "a", "model": "\\ud800"}', headers={"content-type": "application/json"})
    assert _assert_error_shape(lone, 400)["param"] == "model"
    image = httpx.post(url, json={"input": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]})
    assert "only text is supported" in _assert_error_shape(image, 400)["message"]


@pytest.mark.parametrize("extra", [{"stream": None}, {"n": None}, {"stream": None, "n": None}])
def test_null_means_not_set(proxy: ServerThread, extra: dict) -> None:  # type: ignore[type-arg]
    response = httpx.post(f"{proxy.url}/v1/chat/completions", json={"model": "fake-gpt", "messages": HELLO, **extra})
    assert response.status_code == 200, response.text
    assert len(response.json()["choices"]) == 1


def test_text_that_only_looks_hostile_is_answered(proxy: ServerThread, fake: FakeUpstream) -> None:
    """Escaped surrogate pairs (how json.dumps sends an emoji), a megabyte of braces, deep
    brackets inside a string, well-formed tool calls: all ordinary requests."""
    texts = ["smile \U0001f600", "{" * 1_000_000, '{"a": ' + "[" * 5000, '{"route": ' * 20_000]
    for text in texts:
        body = json.dumps({"model": "fake-gpt", "messages": [{"role": "user", "content": text}]})
        assert text != texts[0] or "\\ud83d\\ude00" in body  # ensure_ascii: a pair of escapes
        response = httpx.post(f"{proxy.url}/v1/chat/completions", content=body.encode(),
                              headers={"content-type": "application/json"}, timeout=30)
        assert response.status_code == 200, response.text[:300]
    assert fake.of_kind("answer")[0].body["messages"][-1]["content"] == "smile \U0001f600"  # after the policy
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}]
    messages = [*HELLO, {"role": "assistant", "content": None, "tool_calls": calls},
                {"role": "tool", "tool_call_id": "c1", "content": "42"}]
    ok = httpx.post(f"{proxy.url}/v1/chat/completions", json={"model": "fake-gpt", "messages": messages})
    assert ok.status_code == 200, ok.text


BROKEN_ANSWERS = [
    b"[" * 100_000 + b"]" * 100_000,  # deeper than the decoder goes
    b'{"choices": ["x"]}',
    b'{"choices": [null]}',
    b'{"choices": [{"message": "hi"}]}',
    b'{"choices": [{"message": [1]}]}',
    b'{"choices": [{"message": {"content": 7}}]}',
    b'{"choices": [{"message": {"content": "ok", "tool_calls": "x"}}]}',
    b'{"choices": [{"message": {"content": null, "tool_calls": [{"function": "f"}]}}]}',
]
BROKEN_CHUNKS = [b"[1, 2]", b'{"choices": ["x"]}', b'{"choices": [{"delta": "x"}]}',
                 b'{"choices": [{"delta": {"tool_calls": "x"}}]}', b"[" * 100_000 + b"]" * 100_000]


@pytest.fixture(scope="module")
def output_guarded(fake: FakeUpstream) -> Iterator[ServerThread]:
    from tests.fakes.guard import FakeTEIGuard

    with ServerThread(FakeTEIGuard()) as tei:
        guards = {"input": [], "output": ["tei"], "definitions": {
            "tei": {"kind": "tei", "url": tei.url, "labels": {"MALICIOUS": "violence", "BENIGN": None}}}}
        with start_proxy(proxy_config(fake, guards=guards)) as server:
            yield server


@pytest.mark.parametrize("raw", BROKEN_ANSWERS)
def test_a_broken_upstream_answer_is_a_502(output_guarded: ServerThread, fake: FakeUpstream, raw: bytes) -> None:
    url = f"{output_guarded.url}/v1/chat/completions"
    fake.script.raw = {"answer": raw}
    _assert_error_shape(httpx.post(url, json={"model": "fake-gpt", "messages": HELLO}, timeout=30), 502)
    fake.script.raw = {"judge": raw}  # the judge's reply: on_judge_error (refuse) decides, never a 500
    judged = httpx.post(url, json={"model": "fake-gpt", "messages": HELLO}, timeout=30)
    assert judged.status_code == 200 and judged.headers["x-primeguard-route-source"] == "judge_error"


@pytest.mark.parametrize("raw", BROKEN_CHUNKS)
def test_a_broken_stream_chunk_ends_the_stream_with_an_error_event(
        output_guarded: ServerThread, fake: FakeUpstream, raw: bytes) -> None:
    fake.script.raw = {"answer": raw}
    body = {"model": "fake-gpt", "messages": HELLO, "stream": True}
    with httpx.stream("POST", f"{output_guarded.url}/v1/chat/completions", json=body, timeout=30) as response:
        text = response.read().decode()
    assert response.status_code == 200
    assert "event: error" in text and "upstream" in text and "internal" not in text, text[-300:]
    assert text.rstrip().endswith("data: [DONE]")


def test_a_judge_answer_nested_past_the_decoders_limit_is_a_parse_failure(proxy: ServerThread, fake: FakeUpstream) -> None:
    fake.script.judge_default = "[" * 50_000
    response = httpx.post(f"{proxy.url}/v1/chat/completions", json={"model": "fake-gpt", "messages": HELLO}, timeout=30)
    assert response.status_code == 200 and response.headers["x-primeguard-route-source"] == "parse_failure"


def test_custom_tool_calls_are_accepted_and_judged(proxy: ServerThread, fake: FakeUpstream) -> None:
    """OpenAI's `type: custom` tool calls (free-form input) in the history are OpenAI-valid."""
    call = {"id": "c1", "type": "custom", "custom": {"name": "shell", "input": "cat /etc/passwd"}}
    messages = [*HELLO, {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "c1", "content": "root:x:0:0"}]
    ok = httpx.post(f"{proxy.url}/v1/chat/completions", json={"model": "fake-gpt", "messages": messages})
    assert ok.status_code == 200, ok.text
    assert "tool call shell(cat /etc/passwd)" in fake.of_kind("judge")[0].body["messages"][1]["content"]
