"""Guard classifiers in the request path: input refusal, escalation, output cuts, tool calls."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.api.conftest import proxy_config, start_proxy
from tests.fakes.guard import FakeTEIGuard
from tests.fakes.upstream import DIRECT, FakeUpstream, ServerThread

REFUSAL = "I'm sorry, but I can't help with that request."


@pytest.fixture(scope="module")
def tei() -> Iterator[tuple[FakeTEIGuard, ServerThread]]:
    guard = FakeTEIGuard()
    with ServerThread(guard) as server:
        yield guard, server


def _guarded_config(fake: FakeUpstream, url: str, mode: str) -> dict:  # type: ignore[type-arg]
    tenants = [{"name": "open", "api_keys": ["sk-open"]},
               {"name": "strict", "api_keys": ["sk-strict"], "tolerance": "strict"},
               {"name": "loose", "api_keys": ["sk-loose"], "tolerance": "loose"},
               {"name": "unguarded", "api_keys": ["sk-unguarded"], "input_guards": [], "output_guards": []},
               {"name": "sensitive", "api_keys": ["sk-sensitive"],
                "thresholds": {"violence": {"controversial": 0.3, "unsafe": 0.5}}},
               {"name": "lenient", "api_keys": ["sk-lenient"],
                "thresholds": {"violence": {"controversial": 0.995, "unsafe": 0.999}}}]
    return proxy_config(fake, tenants=tenants, guards={
        "input": ["tei"], "output": ["tei"],
        "definitions": {"tei": {"kind": "tei", "url": url, "fail_mode": "closed", "timeout_s": 2,
                                "labels": {"MALICIOUS": "violence", "BENIGN": None}}},
        "stream": {"mode": mode, "window_tokens": 8, "stride_tokens": 4},
    })


@pytest.fixture(scope="module", params=["hold_back", "stream_first"])
def guarded(request: pytest.FixtureRequest, fake: FakeUpstream,
            tei: tuple[FakeTEIGuard, ServerThread]) -> Iterator[tuple[str, ServerThread]]:
    with start_proxy(_guarded_config(fake, tei[1].url, request.param)) as server:
        yield request.param, server


def _client(server: ServerThread, key: str = "sk-open") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)


def test_unsafe_input_is_refused_before_any_answer(guarded: tuple[str, ServerThread], fake: FakeUpstream) -> None:
    raw = _client(guarded[1]).chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": "how to make a BOMB"}])
    assert raw.headers["x-primeguard-route"] == "direct_violation"
    assert raw.headers["x-primeguard-route-source"] == "input_guard"
    assert raw.parse().choices[0].message.content == REFUSAL
    assert not fake.of_kind("answer")


@pytest.mark.parametrize("key,route", [("sk-open", "potential_violation"), ("sk-strict", "direct_violation"),
                                       ("sk-loose", "no_to_minimal_risk")])
def test_controversial_input_follows_tenant_tolerance(guarded: tuple[str, ServerThread], fake: FakeUpstream,
                                                      key: str, route: str) -> None:
    raw = _client(guarded[1], key).chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": "MAYBE this is fine"}])
    assert raw.headers["x-primeguard-route"] == route


def test_unsafe_stream_is_cut_with_content_filter(guarded: tuple[str, ServerThread], fake: FakeUpstream) -> None:
    mode, server = guarded
    words = [f"w{i}" for i in range(12)] + ["BOMB"] + [f"after{i}" for i in range(60)]
    fake.script.answer_text = " ".join(words)
    fake.script.chunk_delay = 0.01
    chunks = list(_client(server).chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "tell me a story"}], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    leaked = [w for w in text.split() if w == "BOMB" or w.startswith("after")]
    if mode == "hold_back":
        assert leaked == []  # nothing from the first unsafe token on
    else:
        assert len(leaked) <= 4  # at most one stride
    assert "w0" in text
    answer = fake.of_kind("answer")[0]
    assert not answer.completed  # the upstream was cancelled, not drained


def test_stream_ends_with_done_after_a_cut(guarded: tuple[str, ServerThread], fake: FakeUpstream) -> None:
    fake.script.answer_text = "fine fine fine fine BOMB more more more more more more more more"
    with httpx.stream("POST", f"{guarded[1].url}/v1/chat/completions", headers={"authorization": "Bearer sk-open"},
                      json={"model": "fake-gpt", "stream": True,
                            "messages": [{"role": "user", "content": "hi"}]}) as response:
        body = response.read().decode()
    assert '"finish_reason":"content_filter"' in body
    assert body.rstrip().endswith("data: [DONE]")


def test_safe_stream_passes_whole(guarded: tuple[str, ServerThread], fake: FakeUpstream) -> None:
    fake.script.answer_text = " ".join(f"word{i}" for i in range(30))
    chunks = list(_client(guarded[1]).chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "count"}], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == fake.script.answer_text
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_unsafe_whole_answer_is_replaced(guarded: tuple[str, ServerThread], fake: FakeUpstream) -> None:
    fake.script.answer_text = "Sure, here is how to build a BOMB: step one..."
    completion = _client(guarded[1]).chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "tell me a story"}])
    assert completion.choices[0].message.content == REFUSAL
    assert completion.choices[0].finish_reason == "content_filter"


def test_tool_call_arguments_are_checked(guarded: tuple[str, ServerThread], fake: FakeUpstream,
                                         tei: tuple[FakeTEIGuard, ServerThread]) -> None:
    fake.script.answer_tool_call = {"name": "send_email", "arguments": '{"body": "instructions for a BOMB"}'}
    completion = _client(guarded[1]).chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "email my friend"}])
    assert completion.choices[0].finish_reason == "content_filter"
    assert not completion.choices[0].message.tool_calls
    assert any("send_email" in t for t in tei[0].seen)


def test_reevaluated_answer_is_output_checked(guarded: tuple[str, ServerThread], fake: FakeUpstream) -> None:
    fake.script.judge_default = DIRECT.replace("direct_violation", "potential_violation")
    fake.script.reevaluation_default = '{"reevaluation": "ok", "final_response": "the BOMB recipe is..."}'
    completion = _client(guarded[1]).chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "hmm"}])
    assert completion.choices[0].message.content == REFUSAL
    assert completion.choices[0].finish_reason == "content_filter"


def test_moderations_endpoint_with_the_openai_client(guarded: tuple[str, ServerThread]) -> None:
    result = _client(guarded[1]).moderations.create(input=["a BOMB threat", "a kind word", "MAYBE"])
    flagged = [r.flagged for r in result.results]
    assert flagged == [True, False, False]
    assert result.results[0].categories.violence is True
    assert result.results[0].category_scores.violence > 0.9
    assert _client(guarded[1], "sk-strict").moderations.create(input="MAYBE").results[0].flagged is True


@pytest.mark.parametrize("body,param", [({}, "input"), ({"input": 5}, "input"), ({"input": []}, "input")])
def test_moderations_bad_input_is_400(guarded: tuple[str, ServerThread], body: dict, param: str) -> None:  # type: ignore[type-arg]
    response = httpx.post(f"{guarded[1].url}/v1/moderations", json=body, headers={"authorization": "Bearer sk-open"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_moderations_without_guards_is_503(proxy: ServerThread) -> None:
    response = httpx.post(f"{proxy.url}/v1/moderations", json={"input": "x"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_configured"


def test_tenant_may_choose_its_guards(guarded: tuple[str, ServerThread], fake: FakeUpstream) -> None:
    fake.script.answer_text = "an answer that mentions a BOMB"
    completion = _client(guarded[1], "sk-unguarded").chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "a BOMB question"}])
    assert completion.choices[0].message.content == "an answer that mentions a BOMB"  # no guard ran
    response = httpx.post(f"{guarded[1].url}/v1/moderations", json={"input": "x"},
                          headers={"authorization": "Bearer sk-unguarded"})
    assert response.status_code == 503


@pytest.mark.parametrize("key,text,route", [
    ("sk-open", "MAYBE so", "potential_violation"),  # 0.6: controversial under the global 0.5/0.8
    ("sk-sensitive", "MAYBE so", "direct_violation"),  # the tenant's violence cut-off is 0.5
    ("sk-open", "a BOMB", "direct_violation"),  # 0.99
    ("sk-lenient", "a BOMB", "no_to_minimal_risk"),  # the tenant's cut-offs are 0.995/0.999
])
def test_tenant_thresholds_decide_the_route(guarded: tuple[str, ServerThread], fake: FakeUpstream,
                                            key: str, text: str, route: str) -> None:
    fake.script.answer_text = "fine"
    raw = _client(guarded[1], key).chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": f"{text} ({key})"}])
    assert raw.headers["x-primeguard-route"] == route


def test_tenant_thresholds_apply_to_moderations_and_the_output(guarded: tuple[str, ServerThread],
                                                               fake: FakeUpstream) -> None:
    assert _client(guarded[1], "sk-sensitive").moderations.create(input="MAYBE").results[0].flagged is True
    assert _client(guarded[1], "sk-open").moderations.create(input="MAYBE").results[0].flagged is False
    assert _client(guarded[1], "sk-lenient").moderations.create(input="a BOMB").results[0].flagged is False
    fake.script.answer_text = "MAYBE it is"
    cut = _client(guarded[1], "sk-sensitive").chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "tell me (sensitive output)"}])
    assert cut.choices[0].finish_reason == "content_filter"
    kept = _client(guarded[1], "sk-open").chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "tell me (open output)"}])
    assert kept.choices[0].message.content == "MAYBE it is"


class SecondOpinion(FakeTEIGuard):
    """The strong second stage: only texts with `MAYBE-bad` are unsafe."""

    @staticmethod
    def score(text: str) -> float:
        return 0.99 if "MAYBE-bad" in text else 0.01


def test_a_cascade_sends_only_the_unsure_texts_to_its_second_stage(
        fake: FakeUpstream, tei: tuple[FakeTEIGuard, ServerThread]) -> None:
    labels = {"MALICIOUS": "violence", "BENIGN": None}
    second = SecondOpinion()
    with ServerThread(second) as big:
        config = proxy_config(fake, guards={"input": ["screened"], "output": ["screened"], "definitions": {
            "tei": {"kind": "tei", "url": tei[1].url, "labels": labels},
            "big": {"kind": "tei", "url": big.url, "labels": labels},
            "screened": {"kind": "cascade", "first": "tei", "then": "big"}}})
        with start_proxy(config) as server:
            # Start-up warmed each stage on its own (a probe each), not through the cascade.
            assert second.seen == ["warm-up"] and _cascade_counts(server) == {"first": 0, "then": 0}
            before = _cascade_counts(server)
            texts = ["a BOMB threat", "a kind word", "MAYBE-bad", "MAYBE-fine"]
            result = _client(server).moderations.create(input=texts)
            assert [r.flagged for r in result.results] == [True, False, True, False]
            assert second.seen[1:] == ["MAYBE-bad", "MAYBE-fine"]  # the sure texts never reached it
            after = _cascade_counts(server)
            assert (after["first"] - before["first"], after["then"] - before["then"]) == (4, 2)
            raw = _client(server).chat.completions.with_raw_response.create(
                model="fake-gpt", messages=[{"role": "user", "content": "MAYBE-bad (chat)"}])
            assert raw.headers["x-primeguard-route"] == "direct_violation"
            assert raw.headers["x-primeguard-route-source"] == "input_guard"
            # On the streamed output: the first stage is unsure of the window, the second cuts it.
            fake.script.answer_text = " ".join([f"w{i}" for i in range(12)] + ["MAYBE-bad"] + ["after"] * 40)
            chunks = list(_client(server).chat.completions.create(
                model="fake-gpt", messages=[{"role": "user", "content": "tell me a story"}], stream=True))
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            assert chunks[-1].choices[0].finish_reason == "content_filter"
            assert "MAYBE-bad" not in text and "after" not in text  # hold_back: nothing leaked


def _cascade_counts(server: ServerThread) -> dict[str, float]:
    """primeguard_guard_cascade_texts_total by stage, for the cascade named `screened`."""
    counts = {"first": 0.0, "then": 0.0}
    for line in httpx.get(f"{server.url}/metrics").text.splitlines():
        for stage in counts:
            if line.startswith(f'primeguard_guard_cascade_texts_total{{guard="screened",stage="{stage}"}}'):
                counts[stage] = float(line.rsplit(" ", 1)[1])
    return counts


def test_interleaved_tool_calls_and_hidden_fields_are_cut(guarded: tuple[str, ServerThread], fake: FakeUpstream) -> None:
    """'BO' in call 0, another call, 'MB"}' in call 0: the client rebuilds BOMB, so the guard must
    too; a refusal or reasoning field is read like content."""
    def line(delta: dict[str, object]) -> bytes:
        return json.dumps({"choices": [{"index": 0, "delta": delta}]}).encode()

    def call(index: int, args: str) -> dict[str, object]:
        return {"tool_calls": [{"index": index, "function": {"arguments": args}}]}

    streams = [
        [line(call(0, '{"x": "BO')), line(call(1, '{"y": "z')), line(call(0, 'MB"}'))],
        [line({"reasoning_content": "step one: build the BOMB"})],
    ]
    for lines in streams:
        fake.script.raw = {"answer": b"\n\ndata: ".join(lines)}
        chunks = list(_client(guarded[1]).chat.completions.create(
            model="fake-gpt", messages=[{"role": "user", "content": "hi"}], stream=True))
        assert chunks[-1].choices[0].finish_reason == "content_filter"
