"""Speculative mode: the answer starts with the judge and is released only on no risk."""

from __future__ import annotations

import time

import openai
import pytest

from tests.fakes.upstream import DIRECT, POTENTIAL, FakeUpstream, ServerThread

HELLO = [{"role": "user", "content": "Name three rivers in France."}]


@pytest.fixture
def spec_client(speculative_proxy: ServerThread) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{speculative_proxy.url}/v1", api_key="x", max_retries=0)


@pytest.mark.parametrize("stream", [False, True])
def test_answer_starts_before_the_judge_finishes(spec_client: openai.OpenAI, fake: FakeUpstream,
                                                 stream: bool) -> None:
    fake.script.judge_delay = 0.3
    if stream:
        text = "".join(c.choices[0].delta.content or "" for c in
                       spec_client.chat.completions.create(model="fake-gpt", messages=HELLO, stream=True)
                       if c.choices)
    else:
        text = spec_client.chat.completions.create(model="fake-gpt", messages=HELLO).choices[0].message.content
    assert text == "echo: Name three rivers in France."
    judge, answer = fake.of_kind("judge")[0], fake.of_kind("answer")[0]
    assert judge.finished is not None and answer.arrived < judge.finished
    # the speculative answer carries the guidelines, though not the tip it could not know yet
    assert "must not help anyone cause serious harm" in answer.body["messages"][0]["content"]


@pytest.mark.parametrize("judge", [DIRECT, POTENTIAL])
@pytest.mark.parametrize("stream", [False, True])
def test_answer_is_cancelled_unless_no_risk(spec_client: openai.OpenAI, fake: FakeUpstream,
                                            judge: str, stream: bool) -> None:
    fake.script.judge_default = judge
    fake.script.judge_delay = 0.2
    fake.script.chunk_delay = 0.05
    fake.script.answer_delay = 0.1 if stream else 0.6
    fake.script.answer_words = 200
    response = spec_client.chat.completions.create(model="fake-gpt", messages=HELLO, stream=stream)
    if stream:
        text = "".join(c.choices[0].delta.content or "" for c in response if c.choices)  # type: ignore[union-attr]
    else:
        text = response.choices[0].message.content  # type: ignore[union-attr]
    assert "echo" not in text
    answer = fake.of_kind("answer")[0]
    deadline = time.monotonic() + 3
    while not answer.cancelled and time.monotonic() < deadline:
        time.sleep(0.02)
    assert answer.cancelled and not answer.completed
