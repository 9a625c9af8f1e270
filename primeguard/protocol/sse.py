"""Server-sent events as OpenAI streams them: `data: <json>\\n\\n`, then `data: [DONE]`."""

from __future__ import annotations

import json
from typing import Any

DONE = b"data: [DONE]\n\n"


def encode(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


def encode_error(body: dict[str, Any]) -> bytes:
    """An error after the 200 has gone out: an SSE `error` event in OpenAI's error shape."""
    return b"event: error\ndata: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"
