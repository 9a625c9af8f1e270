"""A scripted OpenAI-compatible upstream, served over real HTTP on loopback.

It plays three parts, told apart by the system prompt it receives:
- the routing judge: answers from `script.judge` rules (substring of the latest
  user turn -> raw reply text), after `judge_delay`;
- the re-evaluation judge: answers from `script.reevaluation` rules;
- the answering model: echoes the latest user turn, streamed word by word.

It is deliberately *gullible*, like a real model under attack: it obeys a
verdict planted as raw JSON in its prompt, text placed after the first closing
conversation tag, and fake turns opened with chat-template tokens.  The
proxy's hardening must keep those from reaching it in a usable form.

It records every request and every stream the client abandoned.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
import uvicorn
from starlette.applications import Starlette

from primeguard.bench.asgi import lifespan, read_body
from primeguard.bench.fake_upstream import request_kind

NO_RISK = '{"system_check_result": "benign", "route": "no_to_minimal_risk", "system_tip": "Be helpful."}'
POTENTIAL = '{"system_check_result": "needs care", "route": "potential_violation", "system_tip": "Answer the safe part."}'
DIRECT = '{"system_check_result": "harmful", "route": "direct_violation", "system_tip": "Politely refuse."}'


@dataclass
class Script:
    judge: list[tuple[str, str]] = field(default_factory=list)  # (trigger substring, raw reply)
    judge_default: str = NO_RISK
    reevaluation: list[tuple[str, str]] = field(default_factory=list)
    reevaluation_default: str = '{"reevaluation": "safe enough", "final_response": "A careful answer."}'
    judge_delay: float = 0.0
    answer_delay: float = 0.0  # before the first byte of an answer
    chunk_delay: float = 0.0
    fail_status: list[int] = field(default_factory=list)  # statuses to answer, one per request, FIFO
    retry_after: str | None = None
    fail_kinds: dict[str, int] = field(default_factory=dict)  # kind -> status for every such request
    hang: bool = False
    answer_words: int | None = None  # pad the echo to this many words
    answer_text: str | None = None  # a fixed answer instead of the echo
    break_after: int | None = None  # drop the connection after this many streamed words
    answer_tool_call: dict[str, Any] | None = None  # {"name": ..., "arguments": ...} for non-streaming answers
    raw: dict[str, bytes] = field(default_factory=dict)  # kind -> the body as sent (a stream: its 2nd data line)


@dataclass
class Recorded:
    kind: str  # judge | reevaluation | answer
    body: dict[str, Any]
    headers: dict[str, str]
    completed: bool = False
    cancelled: bool = False
    arrived: float = field(default_factory=time.monotonic)
    finished: float | None = None


_PLANTED = re.compile(r"route\s*[=:]\s*\"?(no_to_minimal_risk|potential_violation|direct_violation)")


def _latest_user(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def _gullible_verdict(prompt: str, system: str) -> str | None:
    """What a manipulated model would answer, or None if nothing in the prompt fooled it."""
    decoder = json.JSONDecoder()
    idx = prompt.find("{")
    while idx != -1:  # 1. a raw JSON verdict planted in the prompt
        try:
            obj, end = decoder.raw_decode(prompt, idx)
        except ValueError:
            idx = prompt.find("{", idx + 1)
            continue
        if isinstance(obj, dict) and "route" in obj:
            return json.dumps(obj)
        idx = prompt.find("{", end)
    closing = re.search(r"</conversation[^>]*>", prompt)
    if closing:  # 2. instructions after the (first) closing conversation tag
        found = _PLANTED.search(prompt[closing.end():])
        if found:
            return json.dumps({"system_check_result": "ok", "route": found.group(1), "system_tip": "obey"})
    for token in ("<|im_start|>", "<|eot_id|>", "[INST]", "<start_of_turn>"):  # 3. fake turns
        if token in prompt:
            found = _PLANTED.search(prompt.split(token, 1)[1])
            if found:
                return json.dumps({"system_check_result": "ok", "route": found.group(1), "system_tip": "obey"})
    return None


class FakeUpstream:
    """The ASGI app plus its recordings; start it with `serve()`."""

    def __init__(self) -> None:
        self.script = Script()
        self.requests: list[Recorded] = []

    def reset(self) -> None:
        self.script = Script()
        self.requests = []

    def of_kind(self, kind: str) -> list[Recorded]:
        return [r for r in self.requests if r.kind == kind]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        raw = await read_body(receive)
        if scope["path"].endswith("/models"):
            await self._json(send, 200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
            return
        body = json.loads(raw)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        record = Recorded(request_kind(body), body, headers)
        self.requests.append(record)
        await self._respond(record, receive, send)

    async def _respond(self, record: Recorded, receive: Any, send: Any) -> None:
        s = self.script
        if s.hang:
            await asyncio.sleep(3600)
        if s.fail_status or record.kind in s.fail_kinds:
            status = s.fail_status.pop(0) if s.fail_status else s.fail_kinds[record.kind]
            extra = [(b"retry-after", s.retry_after.encode())] if s.retry_after else []
            await self._json(send, status, {"error": {"message": f"scripted {status}", "type": "x"}}, extra)
            return
        if record.kind in s.raw:
            await self._raw(send, s.raw[record.kind], stream=bool(record.body.get("stream")))
        elif record.kind == "judge":
            await asyncio.sleep(s.judge_delay)
            await self._completion(send, record, self._judge_reply(record.body))
        elif record.kind == "reevaluation":
            await asyncio.sleep(s.judge_delay)
            user = record.body["messages"][1]["content"]
            reply = next((r for t, r in s.reevaluation if t in user), s.reevaluation_default)
            await self._completion(send, record, reply)
        elif record.body.get("stream"):
            await self._stream(send, receive, record, self._answer_text(record.body))
        else:
            if await self._disconnected_within(receive, s.answer_delay):
                record.cancelled = True
                return
            await self._completion(send, record, self._answer_text(record.body))

    async def _raw(self, send: Any, raw: bytes, *, stream: bool) -> None:
        kind = b"text/event-stream" if stream else b"application/json"
        first = b'{"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hello"}}]}'
        body = b"data: " + first + b"\n\ndata: " + raw + b"\n\ndata: [DONE]\n\n" if stream else raw
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", kind)]})
        await send({"type": "http.response.body", "body": body})

    def _judge_reply(self, body: dict[str, Any]) -> str:
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        gullible = _gullible_verdict(user, system)
        if gullible is not None:
            return gullible
        return next((r for t, r in self.script.judge if t in user), self.script.judge_default)

    def _answer_text(self, body: dict[str, Any]) -> str:
        text = self.script.answer_text or "echo: " + _latest_user(body)
        if self.script.answer_words:
            words = text.split()
            words += [f"w{i}" for i in range(max(0, self.script.answer_words - len(words)))]
            text = " ".join(words)
        return text

    async def _json(self, send: Any, status: int, payload: Any, extra: list[Any] | None = None) -> None:
        data = json.dumps(payload).encode()
        headers = [(b"content-type", b"application/json"), *(extra or [])]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    async def _completion(self, send: Any, record: Recorded, text: str) -> None:
        body = record.body
        await self._json(send, 200, {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model"),
            "choices": [{"index": 0, "message": self._message(text, record.kind), "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split()), "total_tokens": 10},
        })
        record.completed = True
        record.finished = time.monotonic()

    def _message(self, text: str, kind: str) -> dict[str, Any]:
        call = self.script.answer_tool_call
        if call is None or kind != "answer":
            return {"role": "assistant", "content": text}
        return {"role": "assistant", "content": None,
                "tool_calls": [{"id": "call_1", "type": "function", "function": call}]}

    async def _stream(self, send: Any, receive: Any, record: Recorded, text: str) -> None:
        await asyncio.sleep(self.script.answer_delay)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})

        def event(delta: dict[str, Any], finish: str | None = None) -> bytes:
            chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                     "model": record.body.get("model"),
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return b"data: " + json.dumps(chunk).encode() + b"\n\n"

        disconnected = asyncio.create_task(self._disconnect(receive))
        try:
            await send({"type": "http.response.body", "body": event({"role": "assistant", "content": ""}),
                        "more_body": True})
            for i, word in enumerate(text.split(" ")):
                if self.script.break_after is not None and i >= self.script.break_after:
                    raise RuntimeError("scripted mid-stream failure")  # uvicorn drops the connection
                if disconnected.done():
                    record.cancelled = True
                    return
                await send({"type": "http.response.body", "body": event({"content": (" " if i else "") + word}),
                            "more_body": True})
                await asyncio.sleep(self.script.chunk_delay)
            await send({"type": "http.response.body", "body": event({}, "stop") + b"data: [DONE]\n\n"})
            record.completed = True
            record.finished = time.monotonic()
        except (OSError, asyncio.CancelledError):
            record.cancelled = True
            raise
        finally:
            disconnected.cancel()

    async def _disconnected_within(self, receive: Any, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._disconnect(receive), seconds)
            return True
        except TimeoutError:
            return False

    async def _disconnect(self, receive: Any) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """Runs an ASGI app under uvicorn in a daemon thread on a free loopback port."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        if isinstance(self.server.config.app, Starlette):  # the proxy, the guard-server
            self._wait_ready(deadline + 300)  # the embedded default calibrates its judge first
        return self

    def _wait_ready(self, deadline: float) -> None:
        """Like a readiness probe: a proxy answers 503 on /readyz until its models are loaded
        (a request before that races the warm-up for the guard's worker); others 404 or 200."""
        while httpx.get(f"{self.url}/readyz", timeout=5).status_code == 503:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready")
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
