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
from collections.abc import Mapping, Sequence
from typing import Any

from primeguard.protocol.chat import tool_call_parts

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


def judged_text(message: Mapping[str, Any]) -> str:
    """What the judge reads of one message: its content, then each tool call in both
    spellings (`tool_calls`, the older `function_call`) as `tool call name(arguments)`."""
    calls = message.get("tool_calls") or []
    if message.get("function_call"):
        calls = [*calls, {"function": message["function_call"]}]
    text = message_text(message.get("content"))
    lines = [f"tool call {n or '?'}({b})" for n, b in map(tool_call_parts, calls if isinstance(calls, list) else [])]
    return (text + "\n" + "\n".join(lines)).strip() if lines else text


def render_conversation(messages: Sequence[Mapping[str, Any]], boundary: str, offered: str = "") -> str:
    """The conversation as fenced JSON lines, safe to embed in a judge prompt; what the
    request offers the model (`offered.offered_text`) first, as a message of role "tools"."""
    entries = [("tools", offered)] if offered else []
    for message in messages:
        role = str(message.get("role", "user"))
        entries.append(("system" if role == "developer" else role, judged_text(message)))
    # ensure_ascii keeps look-alike Unicode (e.g. full-width braces) visible as escapes.
    # A JSON escape of "<" keeps the text readable yet never a literal fence tag.
    lines = [
        escape_fence_tags(json.dumps({"role": role, "content": neutralise(text)}, ensure_ascii=True))
        for role, text in entries
    ]
    return fence("conversation", "\n".join(lines), boundary)


def fence(name: str, body: str, boundary: str) -> str:
    """`body` between `<name-boundary>` and `</name-boundary>` (body already escaped)."""
    return f"<{name}-{boundary}>\n{body}\n</{name}-{boundary}>"


def escape_fence_tags(text: str) -> str:
    """Our fence tags in `text` JSON-escaped (`\\u003c`): text already JSON-encoded only."""
    return _FENCE_TAGS.sub(r"\\u003c", text)


_JSON_ESCAPE = re.compile(r'\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))')
_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescape(match: re.Match[str]) -> str:
    if match.group(1):
        return chr(int(match.group(1), 16))
    char = match.group(2)
    return _SIMPLE_ESCAPES.get(char, char)


def planted_text(messages: Sequence[Mapping[str, Any]], offered: str = "") -> str:
    """Everything the client wrote that the judge reads (`judged_text`), with JSON escapes
    decoded: where a planted verdict would be.  `\\u0072oute` and `route` read the same
    here, as they do to a JSON parser, and a linear pass finds them wherever they sit
    (nested, padded, split by braces)."""
    # `offered` is canonical JSON of the client's values: decoded once to read as they were
    # sent, then with the messages, so `\\u0072oute` in a tool reads as it does in a message.
    client = "\n".join([_JSON_ESCAPE.sub(_unescape, offered), *(judged_text(m) for m in messages)])
    return _JSON_ESCAPE.sub(_unescape, client)


def latest_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text of the latest user turn, or "" if there is none."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message.get("content"))
    return ""
