"""What the output guard reads: every field a client may show or run, each part in order."""

from __future__ import annotations

from typing import Any

import pytest

from primeguard.output_text import StreamTexts, answer_text


def _chunk(*choices: dict[str, Any]) -> dict[str, Any]:
    return {"choices": list(choices)}


def _read(chunks: list[dict[str, Any]]) -> str:
    texts = StreamTexts()
    return "".join(texts(c) for c in chunks)


def test_interleaved_tool_calls_are_read_in_order() -> None:
    def call(index: int, args: str) -> dict[str, Any]:
        return _chunk({"index": 0, "delta": {"tool_calls": [{"index": index, "function": {"arguments": args}}]}})

    read = _read([call(0, '{"x": "BO'), call(1, '{"y": "z'), call(0, 'MB"}')])
    assert 'BOMB"}' in read


def test_interleaved_choices_are_read_in_order() -> None:
    read = _read([_chunk({"index": 0, "delta": {"content": "BO"}}), _chunk({"index": 1, "delta": {"content": "zz"}}),
                  _chunk({"index": 0, "delta": {"content": "MB"}})])
    assert "BOMB" in read
    both = _read([_chunk({"index": 0, "delta": {"content": "fine"}}, {"index": 1, "delta": {"content": "BOMB"}})])
    assert "BOMB" in both  # a second choice in the same chunk is read too


def test_a_stream_of_one_part_is_read_once() -> None:
    chunks = [_chunk({"index": 0, "delta": {"content": w}}) for w in ("how ", "to ", "bake")]
    assert _read(chunks) == "how to bake"


@pytest.mark.parametrize("delta", [
    {"function_call": {"name": "run", "arguments": "BOMB"}},
    {"refusal": "BOMB"},
    {"reasoning_content": "BOMB"},
    {"reasoning": "BOMB"},
    {"audio": {"transcript": "BOMB"}},
    {"content": [{"type": "output_text", "text": "BOMB"}]},
    {"tool_calls": [{"index": 0, "type": "custom", "custom": {"name": "sh", "input": "BOMB"}}]},
])
def test_every_field_a_client_may_show_or_run_is_read(delta: dict[str, Any]) -> None:
    assert "BOMB" in _read([_chunk({"index": 0, "delta": delta})])
    assert "BOMB" in answer_text(delta)
