"""What the output guard reads of an answer: everything a client may show or run.

Content (a string, or parts with text: `text`, `output_text`), refusals, reasoning
(`reasoning_content`, `reasoning`), audio transcripts, and tool calls in every
spelling (`tool_calls` with functions or custom tools, the older
`function_call`): names and arguments.

A stream may interleave its parts: `n` choices, parallel tool calls by index.
Fed to the window in arrival order, "BO" (call 0), "zz" (call 1), "MB" (call 0)
never reads "BOMB".  `StreamTexts` keeps each part's recent text and, when the
stream switches part, feeds that part's tail again after a break, so every
window reads each part in order.  A stream of one part pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from primeguard.protocol.chat import tool_call_parts
from primeguard.streaming.tokens import PART_MARK, PATTERN_OVERLAP_CHARS, compact

#: Characters of a part's text fed again when the stream switches back to it.
TAIL_CHARS = PATTERN_OVERLAP_CHARS  # a part's recent text, fed again after a switch
#: Between the text of one part (a choice, a tool call) and another's: a line break, and a
#: mark that ends a run of digits, so that pattern guards do not read the numbers of two
#: parts as one (two parts' "808012" and "2024" read as a UK NHS number).
PART_BREAK = f"\n{PART_MARK}\n"

_TEXT_FIELDS = ("refusal", "reasoning_content", "reasoning")


def answer_text(message: Mapping[str, Any]) -> str:
    """A whole message's guardable text, part after part."""
    return "\n".join(text for _, text in _parts(message) if text).strip()


class StreamTexts:
    """`text_of` for one stream's chunks (stateful: one instance per stream)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Any, ...], str] = {}
        self._last: tuple[Any, ...] | None = None

    def __call__(self, chunk: Mapping[str, Any]) -> str:
        out: list[str] = []
        for choice in chunk.get("choices") or []:
            index = choice.get("index", 0)
            for part, text in _parts(choice.get("delta") or {}):
                if not text:
                    continue
                key = (index, *part)
                so_far = self._seen.get(key, "")
                if self._last is not None and key != self._last:
                    out.append(PART_BREAK + so_far)  # this part's text so far, then the new piece
                out.append(text)
                # Compacted: padding must not push a number out of what is fed again.
                self._seen[key] = (so_far[:-1] + compact(so_far[-1:] + text))[-TAIL_CHARS:]
                self._last = key
        return "".join(out)


def _parts(message: Mapping[str, Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    yield ("content",), _content_text(message.get("content"))
    for field in _TEXT_FIELDS:
        value = message.get(field)
        if isinstance(value, str):
            yield (field,), value
    audio = message.get("audio")
    if isinstance(audio, Mapping) and isinstance(audio.get("transcript"), str):
        yield ("audio",), audio["transcript"]
    calls = message.get("tool_calls")
    for position, call in enumerate(calls if isinstance(calls, list) else []):
        if isinstance(call, Mapping):
            yield ("tool", call.get("index", position)), "".join(tool_call_parts(call))
    function_call = message.get("function_call")
    if isinstance(function_call, Mapping):
        yield ("function_call",), "".join(tool_call_parts({"function": function_call}))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "\n".join(
        p["text"] for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)
    )
