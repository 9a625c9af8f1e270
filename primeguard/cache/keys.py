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

#: Bump when the canonical form changes, so old keys simply stop matching.
KEY_VERSION = 1

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
    prefix: str = "pg:",
) -> str:
    """The cache key of the input-side decision for `messages` under these versions."""
    material = {
        "k": KEY_VERSION,
        "tenant": tenant,
        "guidelines": guideline_version,
        "templates": route_template_version,
        "guards": {str(k): str(v) for k, v in guard_versions.items()},
        "judge": judge_model,
        "messages": [canonical_message(m) for m in messages],
    }
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
        out["function_call"] = _canonical_call(message["function_call"])
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
        if isinstance(part, Mapping) and part.get("type") == "text":
            parts.append({"text": normalise_text(str(part.get("text", "")))})
        else:
            # Images, audio, files: not read by the judge as text, but they change
            # the request, so a stable digest of their JSON stands in for them.
            parts.append({"digest": hashlib.sha256(_dumps(part).encode()).hexdigest()})
    return parts


def _canonical_tool_call(call: Mapping[str, Any]) -> dict[str, Any]:
    """A function call, or a custom-tool call with its input (two custom calls that differ
    only there must not share a key)."""
    custom = call.get("custom")
    if custom and not call.get("function"):
        return {"custom": _canonical_call({"name": custom.get("name", ""), "arguments": custom.get("input", "")})}
    return _canonical_call(call.get("function") or {})


def _canonical_call(function: Mapping[str, Any]) -> dict[str, Any]:
    arguments = function.get("arguments", "")
    try:
        parsed: Any = json.loads(arguments) if isinstance(arguments, str) else arguments
    except (ValueError, RecursionError):
        parsed = normalise_text(arguments)
    return {"name": str(function.get("name", "")), "arguments": parsed}


def _dumps(value: Any) -> str:
    # sort_keys makes key order irrelevant; default=str keeps odd values hashable.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
