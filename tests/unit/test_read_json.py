"""`read_json`, the one door every JSON body passes: what it refuses, and how it names it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from primeguard.errors import ClientClosed, InvalidRequest, PayloadTooLarge
from primeguard.server.http import read_json


def _request(*messages: dict[str, Any]) -> Request:
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    return Request({"type": "http", "method": "POST", "headers": []}, receive)


def _read(body: bytes, limit: int = 1 << 20) -> Any:
    return asyncio.run(read_json(_request({"type": "http.request", "body": body, "more_body": False}), limit))


def test_a_client_that_hangs_up_mid_body_is_a_499_not_a_server_error() -> None:
    request = _request({"type": "http.request", "body": b'{"model": ', "more_body": True})
    with pytest.raises(ClientClosed) as info:
        asyncio.run(read_json(request, 1000))
    assert info.value.status_code == 499


@pytest.mark.parametrize("body", [b'{"t": NaN}', b'{"t": Infinity}', b'{"t": -Infinity}', b'{"t": 1e999}',
                                  b'{"t": -1e400}'])
def test_non_standard_constants_are_not_json(body: bytes) -> None:
    with pytest.raises(InvalidRequest, match="could not parse"):
        _read(body)


def test_lone_surrogates_are_named_and_pairs_are_text() -> None:
    assert _read(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    for body, param in [(b'{"a": "\\ud800"}', "a"), (b'{"m": [{"c": "ok"}, {"c": "x\\udfff"}]}', "m[1].c"),
                        (b'{"\\ud800": 1}', "'\\ud800'")]:
        with pytest.raises(InvalidRequest) as info:
            _read(body)
        assert info.value.param == param and "lone UTF-16 surrogate" in str(info.value)


def test_a_surrogate_at_the_deepest_nesting_allowed_is_named_not_a_crash() -> None:
    depth = 900  # under the decoder's limit, over what a recursive walk could take with the stack in use
    body = b'{"a": ' + b"[" * depth + b'"\\ud800"' + b"]" * depth + b"}"
    with pytest.raises(InvalidRequest) as info:
        _read(body)
    assert info.value.param == "a" + "[0]" * depth


def test_too_deep_and_too_large() -> None:
    with pytest.raises(InvalidRequest, match="nested too deeply"):
        _read(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(PayloadTooLarge):
        _read(b'{"a": "' + b"x" * 100 + b'"}', limit=50)
