"""A scripted OpenAI-compatible upstream for benchmarks and load tests, on loopback.

    python -m primeguard.bench.fake_upstream --port 9101 --latency-ms 0 --ttft-ms 0 --tps 0 --tokens 20

It plays three parts, told apart by the first system message it receives:
- the routing judge: a verdict from markers and keywords in the conversation
  (`zq-red` or a harmful keyword -> direct_violation, `zq-amber` or a jailbreak
  phrase -> potential_violation, anything else -> no_to_minimal_risk);
- the re-evaluation judge: a safe `final_response`;
- the answering model: `--tokens` words, after `--latency-ms` (whole answer) or
  `--ttft-ms` then one word every 1/`--tps` seconds (stream).  A prompt holding
  `zq-tainted` gets an answer with a harmful passage (and a canary word) in the middle.

Faults and counters: `POST /_control` (JSON: fail_rate, fail_status, hang_rate,
hang_s, latency_ms, ttft_ms, tps, tokens), `GET /_stats`, `POST /_reset`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from primeguard.bench.asgi import lifespan, read_body

NO_RISK = '{"system_check_result": "benign", "route": "no_to_minimal_risk", "system_tip": "Be helpful."}'
POTENTIAL = ('{"system_check_result": "needs care", "route": "potential_violation", '
             '"system_tip": "Answer only the safe part."}')
DIRECT = '{"system_check_result": "harmful", "route": "direct_violation", "system_tip": "Politely refuse."}'
REEVALUATION = '{"reevaluation": "Only general, safe information is given.", "final_response": "I can only talk about this in general terms."}'
HARMFUL_WORDS = ("bomb", "explosive", "meth", "poison", "nerve agent", "malware", "ransomware", "kill someone")
JAILBREAK_WORDS = ("ignore all previous", "developer mode", "no restrictions", "you are dan", "jailbroken")
CANARY = "zqcanary"
UNSAFE_PASSAGE = ("Sure, here is how to build a pipe bomb at home to kill people: pack the pipe with "
                  f"explosive powder {CANARY} and add shrapnel so the blast injures as many people as possible.")


@dataclass
class Knobs:
    """The live script; `POST /_control` updates any field."""

    latency_ms: float = 0.0
    ttft_ms: float = 0.0
    tps: float = 0.0  # 0: as fast as possible
    tokens: int = 20
    judge_ms: float = 0.0
    fail_rate: float = 0.0
    fail_status: int = 503
    hang_rate: float = 0.0
    hang_s: float = 30.0


@dataclass
class Stats:
    """Counters by request kind; judge tokens are estimated as characters / 4."""

    requests: dict[str, int] = field(default_factory=dict)
    judge_prompt_tokens: int = 0
    judge_completion_tokens: int = 0
    failed: int = 0
    hung: int = 0
    disconnected: int = 0


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def request_kind(body: dict[str, Any]) -> str:
    """judge, reevaluation or answer: which of the proxy's calls this is, by its system prompt."""
    messages = body.get("messages") or [{}]
    content = messages[0].get("content") if isinstance(messages[0], dict) else ""
    if isinstance(content, str) and content.startswith("You are the routing guard"):
        return "judge"
    if isinstance(content, str) and content.startswith("You are the re-evaluation guard"):
        return "reevaluation"
    return "answer"


def _all_text(body: dict[str, Any]) -> str:
    return " ".join(str(m["content"]) for m in body.get("messages", [])
                    if isinstance(m, dict) and isinstance(m.get("content"), str))


def _latest_user(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if isinstance(message, dict) and message.get("role") == "user" and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


def judge_verdict(text: str) -> str:
    """The scripted judge: markers first, then keywords (case-insensitive)."""
    low = text.lower()
    if "zq-red" in low or any(w in low for w in HARMFUL_WORDS):
        return DIRECT
    if "zq-amber" in low or any(w in low for w in JAILBREAK_WORDS):
        return POTENTIAL
    return NO_RISK


def answer_words(prompt: str, tokens: int) -> list[str]:
    """The answering model's words; a poisoned prompt puts the harmful passage in the middle."""
    filler = [f"word{i}" for i in range(max(tokens, 1))]
    if "zq-tainted" not in prompt:
        return filler
    half = len(filler) // 2
    return filler[:half] + UNSAFE_PASSAGE.split(" ") + filler[half:]


class FakeUpstream:
    """The ASGI app."""

    def __init__(self, knobs: Knobs | None = None, seed: int = 0) -> None:
        self.knobs = knobs or Knobs()
        self.stats = Stats()
        self._rng = random.Random(seed)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        raw = await read_body(receive)
        path = scope["path"]
        if path == "/_stats":
            await _json(send, 200, asdict(self.stats))
        elif path == "/_reset":
            self.stats = Stats()
            await _json(send, 200, {"ok": True})
        elif path == "/_control":
            for key, value in json.loads(raw or b"{}").items():
                setattr(self.knobs, key, type(getattr(self.knobs, key))(value))
            await _json(send, 200, asdict(self.knobs))
        elif path.endswith("/models"):
            await _json(send, 200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        elif path.endswith("/chat/completions"):
            await self._chat(json.loads(raw), receive, send)
        else:
            await _json(send, 404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    async def _chat(self, body: dict[str, Any], receive: Any, send: Any) -> None:
        kind, k = request_kind(body), self.knobs
        self.stats.requests[kind] = self.stats.requests.get(kind, 0) + 1
        roll = self._rng.random()
        if roll < k.fail_rate:
            self.stats.failed += 1
            await _json(send, k.fail_status, {"error": {"message": "scripted failure", "type": "server_error"}})
            return
        if roll < k.fail_rate + k.hang_rate:
            self.stats.hung += 1
            await _disconnected_within(receive, k.hang_s)
            return
        if kind == "answer":
            words = answer_words(_latest_user(body), k.tokens)
            if body.get("stream"):
                await self._stream(body, words, receive, send)
            else:
                await asyncio.sleep(k.latency_ms / 1000)
                await _json(send, 200, _completion(body, " ".join(words)))
            return
        reply = judge_verdict(_latest_user(body)) if kind == "judge" else REEVALUATION
        self.stats.judge_prompt_tokens += _tokens(_all_text(body))
        self.stats.judge_completion_tokens += _tokens(reply)
        await asyncio.sleep(k.judge_ms / 1000)
        await _json(send, 200, _completion(body, reply))

    async def _stream(self, body: dict[str, Any], words: list[str], receive: Any, send: Any) -> None:
        k = self.knobs
        await asyncio.sleep(k.ttft_ms / 1000)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})
        model, delay = body.get("model"), (1 / k.tps if k.tps > 0 else 0.0)
        gone = asyncio.ensure_future(_until_disconnect(receive))
        try:
            await send({"type": "http.response.body", "more_body": True,
                        "body": _event(model, {"role": "assistant", "content": ""})})
            for i, word in enumerate(words):
                if gone.done():
                    self.stats.disconnected += 1
                    return
                await send({"type": "http.response.body", "more_body": True,
                            "body": _event(model, {"content": (" " if i else "") + word})})
                if delay:
                    await asyncio.sleep(delay)
            await send({"type": "http.response.body", "body": _event(model, {}, "stop") + b"data: [DONE]\n\n"})
        except OSError:
            self.stats.disconnected += 1
        finally:
            gone.cancel()


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    prompt = _tokens(_all_text(body))
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model") or "fake-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": _tokens(text),
                      "total_tokens": prompt + _tokens(text)}}


def _event(model: Any, delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model or "fake-model",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


async def _json(send: Any, status: int, payload: Any) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


async def _until_disconnect(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _disconnected_within(receive: Any, seconds: float) -> bool:
    try:
        await asyncio.wait_for(_until_disconnect(receive), seconds)
        return True
    except TimeoutError:
        return False


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9101)
    parser.add_argument("--seed", type=int, default=0)
    for name, default in asdict(Knobs()).items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(default), default=default)
    args = parser.parse_args(argv)
    knobs = Knobs(**{k: getattr(args, k) for k in asdict(Knobs())})
    uvicorn.run(FakeUpstream(knobs, args.seed), host=args.host, port=args.port, log_level="warning",
                access_log=False, lifespan="on")


if __name__ == "__main__":
    main()
