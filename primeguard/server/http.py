"""Request-side helpers: body limits, JSON decoding, API keys, request ids."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from starlette.requests import Request

from primeguard.errors import InvalidRequest, PayloadTooLarge

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_from(header: str | None) -> str:
    """Keep a well-formed client request id (for correlation); otherwise make one."""
    if header and _REQUEST_ID.match(header):
        return header
    return "req_" + uuid.uuid4().hex


def api_key_from(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("api-key") or request.headers.get("x-api-key")


async def read_json(request: Request, limit: int) -> Any:
    """The decoded body; 413 past `limit` bytes (checked while reading), 400 if not JSON."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body too large: the limit is {limit} bytes.")
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise PayloadTooLarge(f"Request body too large: the limit is {limit} bytes.")
    if not body.strip():
        raise InvalidRequest("The request body is empty; expected a JSON object.")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest(
            "We could not parse the JSON body of your request. The body must be valid JSON."
        ) from None
