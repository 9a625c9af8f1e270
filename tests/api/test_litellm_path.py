"""The litellm adapter: the same contract when a provider goes through litellm instead of httpx."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.api.conftest import proxy_config, start_proxy
from tests.fakes.upstream import DIRECT, FakeUpstream, ServerThread

# litellm emits warnings of its own (an un-awaited coroutine on its logging path, pydantic's
# ReadOnly TypedDict notice); under `filterwarnings = error` they would surface inside
# litellm's stream iterator as exceptions.  They are litellm's, not ours.
pytestmark = [pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:.*ReadOnly.*:UserWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

HELLO = [{"role": "user", "content": "What is the capital of Peru?"}]


@pytest.fixture(scope="module")
def litellm_proxy(fake: FakeUpstream) -> Iterator[ServerThread]:
    config = proxy_config(fake)
    config["model_list"][0]["litellm_params"].update(direct_http=False, max_retries=0)
    with start_proxy(config) as server:
        yield server


@pytest.fixture
def lclient(litellm_proxy: ServerThread) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{litellm_proxy.url}/v1", api_key="x", max_retries=0) as client:
        yield client


def test_routes_work_through_litellm(lclient: openai.OpenAI, fake: FakeUpstream) -> None:
    completion = lclient.chat.completions.create(model="fake-gpt", messages=HELLO, extra_body={"top_k": 3})
    assert completion.choices[0].message.content == "echo: What is the capital of Peru?"
    answer = fake.of_kind("answer")[0]
    assert answer.body["model"] == "fake-model"
    assert answer.headers["authorization"] == "Bearer sk-upstream-secret"
    assert "must not help anyone cause serious harm" in answer.body["messages"][0]["content"]
    fake.reset()
    fake.script.judge_default = DIRECT
    refused = lclient.chat.completions.create(model="fake-gpt", messages=HELLO)
    assert refused.choices[0].message.content == "I'm sorry, but I can't help with that request."


def test_streaming_through_litellm(lclient: openai.OpenAI, fake: FakeUpstream) -> None:
    text = "".join(c.choices[0].delta.content or "" for c in
                   lclient.chat.completions.create(model="fake-gpt", messages=HELLO, stream=True) if c.choices)
    assert text == "echo: What is the capital of Peru?"


def test_litellm_errors_are_mapped(lclient: openai.OpenAI, fake: FakeUpstream) -> None:
    fake.script.judge_default = '{"system_check_result": "", "route": "no_to_minimal_risk", "system_tip": ""}'
    fake.script.fail_kinds = {"answer": 500}
    with pytest.raises(openai.APIStatusError) as info:
        lclient.chat.completions.create(model="fake-gpt", messages=HELLO)
    assert info.value.status_code == 502
    assert "Traceback" not in str(info.value.body)
