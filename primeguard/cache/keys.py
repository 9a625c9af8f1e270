"""Decision-cache keys: a SHA-256 over a canonical form of everything that
changes the decision.

Two requests that mean the same thing must share a key, and two that could be
judged differently must not.  So the conversation is reduced to what the judge
and guards see (roles, names, text, tool calls) with whitespace collapsed and
key order ignored, and every version the decision depends on is mixed in.
Nothing here is ever logged: the key is a one-way digest of the prompt.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from primeguard.cache.protocol import SCHEMA_VERSION
from primeguard.errors import InvalidRequest

#: Bump when the canonical form changes, so old keys simply stop matching.
KEY_VERSION = 2  # 2: tool calls keyed byte for byte, custom and other kinds of calls too

#: Message fields that carry meaning beyond role and content.
_MEANINGFUL_FIELDS = ("name",)


def decision_key(
    *,
    tenant: str,
    guideline_version: str,
    route_template_version: str,
    guard_versions: Mapping[str, str],
    judge_model: str,
    messages: Sequence[Mapping[str, Any]],
    offered: str = "",
    prefix: str = "pg:",
) -> str:
    """The cache key of the input-side decision for `messages` (and the tools and answer
    schema the request offers, which the judge reads) under these versions."""
    material = {
        "k": KEY_VERSION,
        # Two releases that store different shapes keep apart rather than overwrite each other.
        "v": SCHEMA_VERSION,
        "tenant": tenant,
        "guidelines": guideline_version,
        "templates": route_template_version,
        "guards": {str(k): str(v) for k, v in guard_versions.items()},
        "judge": judge_model,
        "messages": [canonical_message(m) for m in messages],
    }
    if offered:  # absent, not empty, without tools: the keys of such requests stay as they were
        material["offered"] = normalise_text(offered)
    return f"{prefix}dec:{hashlib.sha256(_dumps(material).encode()).hexdigest()}"


def canonical_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """Role, meaningful fields, text parts and tool calls of one chat message."""
    out: dict[str, Any] = {
        "role": str(message.get("role", "")).strip(),
        "content": _canonical_content(message.get("content")),
    }
    for name in _MEANINGFUL_FIELDS:
        if message.get(name) is not None:
            out[name] = normalise_text(str(message[name]))
    tool_calls = message.get("tool_calls")
    if tool_calls:
        out["tool_calls"] = [_canonical_tool_call(c) for c in tool_calls]
    if message.get("function_call"):  # the pre-tools spelling of the same thing
        out["function_call"] = _canonical_tool_call({"function": message["function_call"]})
    return out


def normalise_text(text: str) -> str:
    """NFC, every run of whitespace to one space, ends stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _canonical_content(content: Any) -> list[dict[str, str]]:
    # A plain string and a single text part mean the same; both become a list of parts.
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": normalise_text(content)}]
    parts: list[dict[str, str]] = []
    for part in content:
        # A text part is read as text only when its text is a string, as the judge reads it.
        if isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str):
            parts.append({"text": normalise_text(part["text"])})
        else:
            # Images, audio, files: not read by the judge as text, but they change
            # the request, so a stable digest of their JSON stands in for them.
            parts.append({"digest": hashlib.sha256(_dumps(part).encode()).hexdigest()})
    return parts


def _canonical_tool_call(call: Mapping[str, Any]) -> dict[str, Any]:
    """What a tool call carries, as the judge reads it: a function's name and arguments, a
    custom tool's name and input, byte for byte (parsing the arguments merged calls the judge
    reads differently: duplicate keys, escapes); any other kind of call, all of it."""
    for kind, body in (("function", "arguments"), ("custom", "input")):
        fn = call.get(kind)
        if isinstance(fn, Mapping) and (kind == "function" or not call.get("function")):
            return {kind: [str(fn.get("name", "")), str(fn.get(body, ""))]}
    rest = {k: v for k, v in call.items() if k != "id"}
    return {"other": hashlib.sha256(_dumps(rest).encode()).hexdigest()}


def _dumps(value: Any) -> str:
    # sort_keys makes key order irrelevant; default=str keeps odd values hashable.
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    except RecursionError:  # a part nested almost as deep as the decoder allowed
        raise InvalidRequest("A message part is nested too deeply.") from None
