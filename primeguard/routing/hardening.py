"""Make client text safe to place inside a judge prompt.

Three defences against attacks on the judge (the reference pastes the query
raw, so a user can close its tags or plant the judge's JSON answer):

1. Chat-template control tokens (`<|im_start|>`, `<|eot_id|>`, `[INST]`,
   `<start_of_turn>`, ...) are neutralised: published attacks use them to make
   the judge believe a turn ended.
2. Every message is JSON-encoded, so quotes and braces in user text are
   escaped and a planted `{"route": ...}` is never a JSON object in the prompt.
3. The conversation is fenced by tags carrying a per-request random boundary
   that the user cannot guess, so it cannot be closed from inside; a user's
   own `</conversation...>`-like tags are JSON-escaped (`\u003c`) as well, for
   models that would take any closing tag as the end of the section.

The fenced parts go in the judge's user message; its system message (the
template with the tenant's guidelines) is the same for every request of a
tenant, so an upstream's prefix cache can reuse it.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Special tokens of common chat templates: ChatML/Qwen, Llama 2/3, Gemma, Mistral,
# Phi, DeepSeek and friends.  Matched case-insensitively, with optional spaces.
_TEMPLATE_TOKENS = re.compile(
    r"<\s*\|[^|<>\n]{1,40}\|\s*>"  # <|im_start|>, <|eot_id|>, <|start_header_id|>, <|endoftext|>
    r"|<｜[^｜<>\n]{1,40}｜>"  # DeepSeek's full-width bars
    r"|\[\s*/?\s*(?:INST|SYS|SYSTEM_PROMPT|TOOL_CALLS|AVAILABLE_TOOLS|TOOL_RESULTS)\s*\]"
    r"|<<\s*/?\s*SYS\s*>>"
    r"|<\s*/?\s*(?:start_of_turn|end_of_turn|s|bos|eos|pad|unk|im_start|im_end|think)\s*>",
    re.IGNORECASE,
)

# Our own fence names, written by a user to fake the end of a section.
_FENCE_TAGS = re.compile(r"<(?=\s*/?\s*(?:conversation|guidelines|first-check))", re.IGNORECASE)

#: Printed in place of a removed token, so a reviewer can see something was there.
NEUTRALISED = "[template-token]"


def neutralise(text: str) -> str:
    """Replace chat-template control tokens with an inert marker."""
    return _TEMPLATE_TOKENS.sub(NEUTRALISED, text)


def new_boundary() -> str:
    """A fresh, unguessable fence suffix for one judge prompt."""
    return secrets.token_hex(8)


def message_text(content: Any) -> str:
    """The text of an OpenAI message `content` (string, parts list, or None)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, Mapping):
                if part.get("type") == "text" and isinstance(part.get("text"), str):
                    parts.append(part["text"])
                elif part.get("type"):
                    parts.append(f"[{part['type']}]")
        return "\n".join(parts)
    return str(content)


def _tool_calls_text(calls: Iterable[Mapping[str, Any]]) -> str:
    out = []
    for call in calls:
        fn = call.get("function") or {}
        out.append(f"tool call {fn.get('name', '?')}({fn.get('arguments', '')})")
    return "\n".join(out)


def render_conversation(messages: Sequence[Mapping[str, Any]], boundary: str) -> str:
    """The conversation as fenced JSON lines, safe to embed in a judge prompt."""
    lines = []
    for message in messages:
        role = str(message.get("role", "user"))
        if role == "developer":
            role = "system"
        text = message_text(message.get("content"))
        if message.get("tool_calls"):
            text = (text + "\n" + _tool_calls_text(message["tool_calls"])).strip()
        if message.get("function_call"):  # the pre-tools spelling of one tool call
            text = (text + "\n" + _tool_calls_text([{"function": message["function_call"]}])).strip()
        entry = {"role": role, "content": neutralise(text)}
        # ensure_ascii keeps look-alike Unicode (e.g. full-width braces) visible as escapes.
        # A JSON escape of "<" keeps the text readable yet never a literal fence tag.
        lines.append(escape_fence_tags(json.dumps(entry, ensure_ascii=True)))
    return fence("conversation", "\n".join(lines), boundary)


def fence(name: str, body: str, boundary: str) -> str:
    """`body` between `<name-boundary>` and `</name-boundary>` (body already escaped)."""
    return f"<{name}-{boundary}>\n{body}\n</{name}-{boundary}>"


def escape_fence_tags(text: str) -> str:
    """Our fence tags in `text` JSON-escaped (`\\u003c`): text already JSON-encoded only."""
    return _FENCE_TAGS.sub(r"\\u003c", text)


#: A verdict's key, where a planted verdict would sit; the objects around it are decoded.
_ROUTE_KEY = re.compile(r'"route"\s*:')
_MAX_PLANTED = 16  # objects kept
_MAX_KEYS = 256  # "route" keys examined per message
_OBJECT_CHARS = 4096  # a verdict is short: longer objects are not decoded


def planted_objects(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """JSON objects with a "route" key found verbatim in client text: a judge that echoes
    one was manipulated.

    Only the objects around a `"route":` key are decoded, each from a bounded slice, so
    the work is linear in the text: decoding at every `{` cost quadratic time (each
    failure counts the lines before it), and a few hundred KB of braces held the
    event loop for seconds."""
    found: list[dict[str, Any]] = []
    decoder = json.JSONDecoder()
    for message in messages:
        text = message_text(message.get("content"))
        for n, key in enumerate(_ROUTE_KEY.finditer(text)):
            if n >= _MAX_KEYS or len(found) >= _MAX_PLANTED:
                break
            obj = _object_around(decoder, text, key.start())
            if obj is not None:
                found.append(obj)
    return found


def _object_around(decoder: json.JSONDecoder, text: str, at: int) -> dict[str, Any] | None:
    """The innermost of up to four objects opening before `at` that decodes and has "route"."""
    end = at
    floor = max(0, at - _OBJECT_CHARS)
    for _ in range(4):
        start = text.rfind("{", floor, end)
        if start == -1:
            return None
        try:
            obj, _ = decoder.raw_decode(text[start : start + _OBJECT_CHARS])
        except (ValueError, RecursionError):
            end = start
            continue
        if isinstance(obj, dict) and "route" in obj:
            return obj
        end = start
    return None


def latest_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text of the latest user turn, or "" if there is none."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message.get("content"))
    return ""
