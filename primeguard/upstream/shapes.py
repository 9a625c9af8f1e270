"""What an upstream's answers must look like before anything reads them.

The judge, the output guard and the cache read `choices[i].message` (or
`.delta`), its `content` and its `tool_calls`.  An upstream that sends
something else there (a string for a choice, a list for a message, a number
for a tool call) is broken, so its answer is an `UpstreamUnavailable` (502)
here, at the adapter, rather than an `AttributeError` (500) wherever it is
first read.  Fields the proxy does not read are not checked.
"""

from __future__ import annotations

from typing import Any

from primeguard.errors import UpstreamUnavailable


def checked_completion(data: Any) -> dict[str, Any]:
    """`data` if it is a chat completion the proxy can read; otherwise a 502."""
    problem = _completion_problem(data)
    if problem:
        raise UpstreamUnavailable(f"upstream sent a malformed completion: {problem}")
    return data  # type: ignore[no-any-return]


def checked_chunk(data: Any) -> dict[str, Any]:
    """`data` if it is a stream chunk the proxy can read; otherwise a 502 (mid-stream error)."""
    problem = _choices_problem(data, "delta")
    if problem:
        raise UpstreamUnavailable(f"upstream sent a malformed stream chunk: {problem}")
    return data  # type: ignore[no-any-return]


def first_content(data: dict[str, Any]) -> str:
    """The first choice's text, "" when there is none (a checked completion)."""
    choices = data.get("choices") or [{}]
    content = (choices[0].get("message") or {}).get("content")
    return content if isinstance(content, str) else ""


def _completion_problem(data: Any) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        return "no choices list"
    return _choices_problem(data, "message")


def _choices_problem(data: Any, field: str) -> str | None:
    if not isinstance(data, dict):
        return "not an object"
    choices = data.get("choices", [])
    if not isinstance(choices, list):
        return "choices is not a list"
    for choice in choices:
        if not isinstance(choice, dict):
            return "a choice is not an object"
        message = choice.get(field)
        if message is None:
            continue
        if not isinstance(message, dict):
            return f"{field} is not an object"
        if not isinstance(message.get("content"), str | list | None):
            return f"{field}.content is not text"
        calls = message.get("tool_calls")
        if calls is not None and not _calls_ok(calls):
            return f"{field}.tool_calls is malformed"
    return None


def _calls_ok(calls: Any) -> bool:
    if not isinstance(calls, list):
        return False
    for call in calls:
        if not isinstance(call, dict):
            return False
        for key, fields in (("function", ("name", "arguments")), ("custom", ("name", "input"))):
            function = call.get(key)
            if function is None:
                continue
            if not isinstance(function, dict):
                return False
            if not all(isinstance(function.get(k), str | None) for k in fields):
                return False
    return True
