"""Chat-completions wire models.

The request is validated for what the proxy itself relies on (model, messages,
stream, n); every other field, known or not, is forwarded untouched from the
raw body, so new OpenAI parameters work without a release.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from primeguard.errors import InvalidRequest

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


class FunctionCall(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: StrictStr
    arguments: StrictStr = ""  # a JSON document as a string, as OpenAI requires


class CustomCall(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: StrictStr
    input: StrictStr = ""


class ToolCall(BaseModel):
    """A tool call in an assistant message: the judge and the cache key read its function
    (`type: function`) or its custom tool's input (`type: custom`)."""

    model_config = ConfigDict(extra="allow")

    id: StrictStr | None = None
    type: StrictStr | None = None
    function: FunctionCall | None = None
    custom: CustomCall | None = None


def tool_call_parts(call: Any) -> tuple[str, str]:
    """A tool call's name and what it carries: a function's arguments (`type: function`, and
    the older `function_call` wrapped as `{"function": ...}`) or a custom tool's input;
    ("", "") for anything else."""
    fn = (call.get("function") or call.get("custom")) if isinstance(call, Mapping) else None
    if not isinstance(fn, Mapping):
        return "", ""
    name, body = fn.get("name"), fn.get("arguments", fn.get("input"))
    return (name if isinstance(name, str) else ""), (body if isinstance(body, str) else "")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Role
    content: str | list[dict[str, Any]] | None = None
    tool_calls: list[ToolCall] | None = None
    function_call: FunctionCall | None = None  # the pre-tools spelling

    @field_validator("content")
    @classmethod
    def _text_parts_hold_text(cls, v: Any) -> Any:
        """A `text` part's text must be a string (OpenAI's rule): the judge, the guards and
        the cache key read it as text, and would otherwise see something else than the model."""
        if isinstance(v, list):
            for part in v:
                if part.get("type") == "text" and not isinstance(part.get("text"), str):
                    raise ValueError("a text part's text must be a string")
        return v


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: StrictBool = False


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    n: StrictInt = Field(default=1, ge=1, le=16)
    # Definitions the judge reads (`routing.offered`): arrays of objects, as OpenAI requires.
    tools: list[dict[str, Any]] | None = None
    functions: list[dict[str, Any]] | None = None

    @field_validator("stream", "n", mode="before")
    @classmethod
    def _null_is_default(cls, v: Any, info: ValidationInfo) -> Any:
        """`null` means "not set", as OpenAI reads it (some clients send every field)."""
        if v is None:
            return cls.model_fields[info.field_name or ""].default
        return v


def _param(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("str", "dict[str,any]", "list[dict[str,any]]", "none", "literal['system','developer','user','assistant','tool','function']"):
            continue  # union-branch names pydantic adds to the location
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_chat_request(body: Any) -> ChatCompletionRequest:
    """Validate a decoded JSON body; a problem is a 400 naming the parameter."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    try:
        return ChatCompletionRequest.model_validate(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        param = _param(tuple(err["loc"])) or None
        if err["type"] == "missing":
            message = f"Missing required parameter: '{param}'."
        else:
            message = f"Invalid value for '{param}': {err['msg']}."
        raise InvalidRequest(message, param=param) from None


def new_completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex


def completion_body(model: str, text: str, *, finish_reason: str = "stop", n: int = 1,
                    completion_id: str | None = None) -> dict[str, Any]:
    """A `chat.completion` written by the proxy itself (refusals, re-evaluated answers)."""
    return {
        "id": completion_id or new_completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": text}, "logprobs": None,
             "finish_reason": finish_reason}
            for i in range(n)
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def chunk(completion_id: str, model: str, created: int, delta: dict[str, Any],
          finish_reason: str | None = None, index: int = 0) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def text_chunks(model: str, text: str, *, finish_reason: str = "stop", n: int = 1,
                piece_chars: int = 64) -> list[dict[str, Any]]:
    """A proxy-written answer as proper SSE chunks: role, content pieces, finish."""
    cid, created = new_completion_id(), int(time.time())
    out = []
    for i in range(n):
        out.append(chunk(cid, model, created, {"role": "assistant", "content": ""}, index=i))
        for start in range(0, len(text), piece_chars):
            out.append(chunk(cid, model, created, {"content": text[start:start + piece_chars]}, index=i))
        out.append(chunk(cid, model, created, {}, finish_reason, index=i))
    return out
