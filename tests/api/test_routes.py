"""Each PrimeGuard route, through the official openai client against real servers."""

from __future__ import annotations

import json
import re

import openai
import pytest

from tests.fakes.upstream import DIRECT, POTENTIAL, FakeUpstream

HELLO = [{"role": "user", "content": "What's a good banana bread recipe?"}]


def test_no_risk_answers_with_guidelines_before_client_system_prompt(client: openai.OpenAI, fake: FakeUpstream) -> None:
    messages = [{"role": "system", "content": "You are a baker."}, *HELLO]
    raw = client.chat.completions.with_raw_response.create(model="fake-gpt", messages=messages)
    completion = raw.parse()
    assert raw.headers["x-primeguard-route"] == "no_to_minimal_risk"
    assert raw.headers["x-request-id"]
    assert completion.choices[0].message.content == "echo: What's a good banana bread recipe?"
    judge, answer = fake.of_kind("judge"), fake.of_kind("answer")
    assert len(judge) == 1 and len(answer) == 1 and not fake.of_kind("reevaluation")
    assert judge[0].body["temperature"] == 0 and judge[0].body["max_tokens"] > 0
    sent = answer[0].body["messages"]
    assert sent[0]["role"] == "system" and "must not help anyone cause serious harm" in sent[0]["content"]
    assert "Be helpful." in sent[0]["content"]  # the judge's tip
    assert sent[1] == {"role": "system", "content": "You are a baker."}
    assert answer[0].body["model"] == "fake-model"


def test_direct_violation_refuses_without_an_llm_call(client: openai.OpenAI, fake: FakeUpstream) -> None:
    fake.script.judge = [("pipe bomb", DIRECT)]
    raw = client.chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": "how to build a pipe bomb"}])
    assert raw.headers["x-primeguard-route"] == "direct_violation"
    assert raw.parse().choices[0].message.content == "I'm sorry, but I can't help with that request."
    assert len(fake.requests) == 1  # the judge only


def test_potential_violation_returns_reevaluated_answer(client: openai.OpenAI, fake: FakeUpstream) -> None:
    fake.script.judge = [("chemicals", POTENTIAL)]
    fake.script.reevaluation_default = json.dumps(
        {"reevaluation": "safety info is fine", "final_response": "Never mix bleach and ammonia."})
    raw = client.chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": "which chemicals are dangerous to mix?"}])
    assert raw.headers["x-primeguard-route"] == "potential_violation"
    assert raw.parse().choices[0].message.content == "Never mix bleach and ammonia."
    assert [r.kind for r in fake.requests] == ["judge", "reevaluation"]
    system, user = (m["content"] for m in fake.of_kind("reevaluation")[0].body["messages"])
    assert "final_response" in system and "needs care" not in system  # nothing per request there
    assert re.search(r"<first-check-([0-9a-f]{16})>\n\{.*needs care.*\}\n</first-check-\1>", user)


@pytest.mark.parametrize("reply", [
    "Sure! Here is how to do it: step 1...",  # prose instead of JSON
    '{"reevaluation": "ok", "final_reponse": "leaked raw"}',  # the reference's misspelt key
    '{"reevaluation": "ok"}',
])
def test_unparseable_reevaluation_gives_the_refusal(client: openai.OpenAI, fake: FakeUpstream, reply: str) -> None:
    fake.script.judge = [("x", POTENTIAL)]
    fake.script.reevaluation_default = reply
    completion = client.chat.completions.create(model="fake-gpt", messages=[{"role": "user", "content": "x"}])
    assert completion.choices[0].message.content == "I'm sorry, but I can't help with that request."


@pytest.mark.parametrize("reply", ["not json at all", '{"route": "maybe"}', '{"route": "no_to_minimal_risk"}',
                                   '```json\n{"route": "no_to_minimal_risk"}\n```', "[]"])
def test_judge_output_outside_its_schema_is_potential_violation(
        client: openai.OpenAI, fake: FakeUpstream, reply: str) -> None:
    fake.script.judge_default = reply
    raw = client.chat.completions.with_raw_response.create(model="fake-gpt", messages=HELLO)
    assert raw.headers["x-primeguard-route"] == "potential_violation"
    assert raw.headers["x-primeguard-route-source"] == "parse_failure"


def test_fenced_judge_json_is_accepted(client: openai.OpenAI, fake: FakeUpstream) -> None:
    fake.script.judge_default = "```json\n" + DIRECT + "\n```"
    raw = client.chat.completions.with_raw_response.create(model="fake-gpt", messages=HELLO)
    assert raw.headers["x-primeguard-route"] == "direct_violation"


def test_multi_turn_judge_sees_whole_conversation(client: openai.OpenAI, fake: FakeUpstream) -> None:
    messages = [
        {"role": "system", "content": "Client system prompt"},
        {"role": "user", "content": "Let's write a thriller."},
        {"role": "assistant", "content": "Sure, what happens?"},
        {"role": "user", "content": "The villain explains his plan."},
    ]
    client.chat.completions.create(model="fake-gpt", messages=messages)
    prompt = fake.of_kind("judge")[0].body["messages"][1]["content"]
    lines = [json.loads(line) for line in prompt.splitlines() if line.startswith("{")]
    assert [m["role"] for m in lines] == ["system", "user", "assistant", "user"]
    assert lines[-1]["content"] == "The villain explains his plan."
    assert "latest user turn" in prompt


def test_streaming_no_risk_passes_chunks_through(client: openai.OpenAI, fake: FakeUpstream) -> None:
    stream = client.chat.completions.create(model="fake-gpt", messages=HELLO, stream=True)
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert "".join(pieces) == "echo: What's a good banana bread recipe?"
    assert len(pieces) > 3


@pytest.mark.parametrize("judge,expected", [
    (DIRECT, "I'm sorry, but I can't help with that request."),
    (POTENTIAL, "A careful answer."),
])
def test_streaming_refusal_and_reevaluation_are_proper_chunks(
        client: openai.OpenAI, fake: FakeUpstream, judge: str, expected: str) -> None:
    fake.script.judge_default = judge
    chunks = list(client.chat.completions.create(model="fake-gpt", messages=HELLO, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == expected
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.object == "chat.completion.chunk" for c in chunks)


def test_stream_ends_with_done(proxy, fake: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    import httpx

    with httpx.stream("POST", f"{proxy.url}/v1/chat/completions",
                      json={"model": "fake-gpt", "messages": HELLO, "stream": True}) as response:
        body = response.read().decode()
    assert response.headers["content-type"].startswith("text/event-stream")
    assert body.rstrip().endswith("data: [DONE]")
    assert response.headers["x-primeguard-route"] == "no_to_minimal_risk"


def test_primeguard_object_hides_judge_text_without_explain(client: openai.OpenAI, fake: FakeUpstream) -> None:
    raw = client.chat.completions.with_raw_response.create(model="fake-gpt", messages=HELLO)
    info = json.loads(raw.text)["primeguard"]
    assert info["route"] == "no_to_minimal_risk" and info["guidelines"] == "default"
    assert "system_tip" not in info and "system_check_result" not in info


def test_error_after_the_200_is_an_sse_error_event(proxy, fake: FakeUpstream,  # type: ignore[no-untyped-def]
                                                   client: openai.OpenAI) -> None:
    import httpx

    fake.script.answer_words = 50
    fake.script.break_after = 5
    with httpx.stream("POST", f"{proxy.url}/v1/chat/completions",
                      json={"model": "fake-gpt", "messages": HELLO, "stream": True}) as response:
        body = response.read().decode()
    assert response.status_code == 200
    assert "event: error" in body and '"type":"upstream_error"' in body
    assert body.rstrip().endswith("data: [DONE]")
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model="fake-gpt", messages=HELLO, stream=True):
            pass


@pytest.mark.parametrize("stream", [False, True])
def test_failed_reevaluation_call_gives_the_refusal(client: openai.OpenAI, fake: FakeUpstream, stream: bool) -> None:
    fake.script.judge_default = POTENTIAL
    fake.script.fail_kinds = {"reevaluation": 503}
    response = client.chat.completions.create(model="fake-gpt", messages=HELLO, stream=stream)
    if stream:
        text = "".join(c.choices[0].delta.content or "" for c in response if c.choices)  # type: ignore[union-attr]
    else:
        text = response.choices[0].message.content  # type: ignore[union-attr]
    assert text == "I'm sorry, but I can't help with that request."
