"""Served guards against real loopback servers: scripted TEI and vLLM fakes, a hanging one, the guard server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from primeguard.guards.chat_guard import ChatGuard, ChatGuardResult, ResponseText
from primeguard.guards.http_client import make_guard_client
from primeguard.guards.policy import FailureEvent, FailureReason, FallbackResult, PolicyGuard
from primeguard.guards.protocol import Guard, GuardUnavailable
from primeguard.guards.served import build_guards, build_served_guard
from primeguard.guards.server import create_guard_app
from primeguard.guards.settings import (
    ChatFormat,
    FailMode,
    InProcessDefinition,
    StreamSettings,
    parse_guards,
)
from primeguard.guards.tei import TEIClassifierGuard
from primeguard.guards.thresholds import Tolerance
from primeguard.streaming import Cut, Release, StreamMode
from primeguard.streaming.checks import output_stream_guard
from primeguard.verdicts import Category, GuardResult, GuardText, TextRole, Verdict
from tests.integration.loopback import build_tiny_classifier, serve

pytestmark = pytest.mark.anyio
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@dataclass
class Recorder:
    bodies: list[Any] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    async def record(self, request: Request) -> Any:
        body = await request.json()
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        return body


def tei_app(recorder: Recorder) -> Starlette:
    """Scripted TEI: 'attack' is MALICIOUS, 'toxic' is LABEL_1, anything else benign."""

    def predict_one(text: str) -> list[dict[str, Any]]:
        if "attack" in text:
            return [{"label": "MALICIOUS", "score": 0.97}, {"label": "BENIGN", "score": 0.03}]
        if "toxic" in text:
            return [{"label": "LABEL_1", "score": 0.6}, {"label": "LABEL_0", "score": 0.4}]
        return [{"label": "BENIGN", "score": 0.99}, {"label": "MALICIOUS", "score": 0.01}]

    async def predict(request: Request) -> JSONResponse:
        body = await recorder.record(request)
        return JSONResponse([predict_one(t) for t in body["inputs"]])

    return Starlette(routes=[Route("/predict", predict, methods=["POST"])])


#: The fake vLLM answers by the last message's content.
LLAMA_ANSWERS = {"hi": "safe", "stab": "unsafe\nS1,S10", "weird": "I am not sure"}
QWEN_ANSWERS = {"hi": "Safety: Safe\nCategories: None", "elections": "Safety: Controversial\nCategories: Politically Sensitive Topics", "sure, here is how": "Safety: Unsafe\nCategories: Violent\nRefusal: No"}  # fmt: skip


def vllm_app(recorder: Recorder) -> Starlette:
    async def chat(request: Request) -> JSONResponse:
        body = await recorder.record(request)
        table = LLAMA_ANSWERS if body["model"] == "llama-guard" else QWEN_ANSWERS
        answer = table.get(
            body["messages"][-1]["content"], table["hi"]
        )  # unscripted texts are safe
        await asyncio.sleep(0.05)  # concurrent calls overlap, sequential ones add up
        return JSONResponse({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}]})  # fmt: skip

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


def hanging_app() -> Starlette:
    async def hang(request: Request) -> JSONResponse:
        await asyncio.sleep(2)
        return JSONResponse([])

    async def broken(request: Request) -> JSONResponse:
        return JSONResponse({"error": "boom"}, status_code=500)

    def raw(body: bytes) -> Any:
        async def answer(request: Request) -> Response:
            return Response(body, media_type="application/json")

        return answer

    bad_scores = {  # valid to Python's decoder, not a probability
        "nan": b'[[{"label": "MALICIOUS", "score": NaN}, {"label": "BENIGN", "score": 0.5}]]',
        "inf": b'[[{"label": "MALICIOUS", "score": Infinity}]]',
        "negative": b'[[{"label": "MALICIOUS", "score": -5}]]',
        "deep": b"[" * 100_000 + b"]" * 100_000,
    }
    return Starlette(
        routes=[
            Route("/predict", hang, methods=["POST"]),
            Route("/broken/predict", broken, methods=["POST"]),
            *[Route(f"/{name}/predict", raw(body), methods=["POST"]) for name, body in bad_scores.items()],
        ]
    )


@pytest.fixture(scope="module")
def tei() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    with serve(tei_app(recorder)) as url:
        yield url, recorder


@pytest.fixture(scope="module")
def vllm() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    with serve(vllm_app(recorder)) as url:
        yield url + "/v1", recorder


@pytest.fixture(scope="module")
def hanging() -> Iterator[str]:
    with serve(hanging_app()) as url:
        yield url


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    c = make_guard_client()
    yield c
    await c.aclose()


def texts(*items: str) -> list[GuardText]:
    return [GuardText(t) for t in items]


async def test_tei_guard_batches_and_maps_labels(
    tei: tuple[str, Recorder], client: httpx.AsyncClient
) -> None:
    url, recorder = tei
    recorder.bodies.clear()
    guard = TEIClassifierGuard(
        name="promptguard", url=url, client=client, version="pg-1", max_batch_size=2,
        headers_factory=lambda: {"traceparent": TRACEPARENT},
    )  # fmt: skip
    results = await guard.check(texts("hello", "attack now", "nice", "toxic words", "ok"))
    assert isinstance(guard, Guard)
    assert [r.verdict for r in results] == [
        Verdict.SAFE,
        Verdict.UNSAFE,
        Verdict.SAFE,
        Verdict.CONTROVERSIAL,
        Verdict.SAFE,
    ]
    assert results[1].scores == {Category.PROMPT_INJECTION: 0.97}
    assert results[3].scores == {Category.ILLICIT: 0.6}  # generic positive label, default category
    assert all(r.guard == "promptguard" and r.version == "pg-1" for r in results)
    assert sorted(len(b["inputs"]) for b in recorder.bodies) == [1, 2, 2]
    assert all(b["raw_scores"] is False and b["truncate"] is True for b in recorder.bodies)
    assert all(h["traceparent"] == TRACEPARENT for h in recorder.headers[-3:])


async def test_tei_guard_coalesces_concurrent_checks(
    tei: tuple[str, Recorder], client: httpx.AsyncClient
) -> None:
    """64 concurrent one-text checks share a few /predict requests; each caller gets its own verdict."""
    url, recorder = tei
    recorder.bodies.clear()
    guard = TEIClassifierGuard(
        name="pg", url=url, client=client, version="1", max_batch_size=16, coalesce_ms=20
    )
    words = [("attack" if i % 3 == 0 else "hello") + f" {i}" for i in range(64)]
    results = await asyncio.gather(*(guard.check(texts(w)) for w in words))
    assert [r[0].verdict for r in results] == [
        Verdict.UNSAFE if i % 3 == 0 else Verdict.SAFE for i in range(64)
    ]
    assert guard.requests_sent == len(recorder.bodies) == 4  # 64 texts / 16 per request
    assert sorted(t for b in recorder.bodies for t in b["inputs"]) == sorted(words)
    await guard.close()


async def test_tei_guard_coalesced_failure_reaches_every_caller(
    hanging: str, client: httpx.AsyncClient
) -> None:
    guard = TEIClassifierGuard(
        name="b", url=hanging + "/broken", client=client, version="1", coalesce_ms=5
    )
    outcomes = await asyncio.gather(
        *(guard.check(texts(f"t{i}")) for i in range(5)), return_exceptions=True
    )
    assert all(isinstance(o, GuardUnavailable) for o in outcomes)
    assert guard.requests_sent == 1


async def test_tei_guard_against_our_guard_server(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    app = create_guard_app(build_tiny_classifier(tmp_path / "m"), max_batch_size=4, device="cpu")
    with serve(app) as url:
        guard = TEIClassifierGuard(
            name="tiny", url=url, client=client, version="t", max_batch_size=4
        )
        results = await guard.check(
            texts(*["hello world", "kill bomb", "nice day", "hello", "bomb"])
        )
        raw = (await client.post(url + "/predict", json={"inputs": ["kill bomb"]})).json()[0]
    assert len(results) == 5
    malicious = next(p["score"] for p in raw if p["label"] == "MALICIOUS")
    assert results[1].scores[Category.PROMPT_INJECTION] == pytest.approx(malicious, abs=1e-5)


async def test_llama_guard_over_chat(vllm: tuple[str, Recorder], client: httpx.AsyncClient) -> None:
    url, recorder = vllm
    recorder.bodies.clear()
    guard = ChatGuard(name="lg", url=url, model="llama-guard", parser=ChatFormat.LLAMA_GUARD, client=client, version="lg-3", max_tokens=10)  # fmt: skip
    started = time.monotonic()
    results = await guard.check(texts("hi", "stab", "hi", "stab"))
    assert time.monotonic() - started < 0.15  # four 50 ms calls, gathered
    assert [r.verdict for r in results] == [
        Verdict.SAFE,
        Verdict.UNSAFE,
        Verdict.SAFE,
        Verdict.UNSAFE,
    ]
    assert results[1].scores == {Category.VIOLENCE: 1.0, Category.HATE: 1.0}
    assert isinstance(results[1], ChatGuardResult) and results[1].labels == ("S1", "S10")
    body = recorder.bodies[0]
    assert (
        body["temperature"] == 0
        and body["max_tokens"] == 10
        and body["messages"][0]["role"] == "user"
    )
    with pytest.raises(GuardUnavailable):
        await guard.check(texts("weird"))


async def test_qwen3guard_over_chat_with_output_moderation(
    vllm: tuple[str, Recorder], client: httpx.AsyncClient
) -> None:
    url, recorder = vllm
    recorder.bodies.clear()
    guard = ChatGuard(
        name="qg",
        url=url,
        model="qwen3guard",
        parser=ChatFormat.QWEN3GUARD,
        client=client,
        version="q",
    )
    prompt_side, answer_side = await guard.check(
        [GuardText("elections"), ResponseText("sure, here is how", prompt="how do I hurt someone")]
    )
    assert prompt_side.verdict is Verdict.CONTROVERSIAL and prompt_side.scores == {
        Category.ILLICIT: 0.5
    }
    assert isinstance(answer_side, ChatGuardResult) and answer_side.refusal is False
    assert answer_side.verdict is Verdict.UNSAFE and answer_side.scores == {Category.VIOLENCE: 1.0}
    messages = {b["messages"][-1]["content"]: b["messages"] for b in recorder.bodies}
    assert messages["sure, here is how"] == [
        {"role": "user", "content": "how do I hurt someone"},
        {"role": "assistant", "content": "sure, here is how"},
    ]
    (unknown_prompt,) = await guard.check([GuardText("hi", TextRole.OUTPUT)])
    assert unknown_prompt.verdict is Verdict.SAFE
    assert recorder.bodies[-1]["messages"][0] == {"role": "user", "content": ""}


@pytest.mark.parametrize(
    ("fail_mode", "verdict"), [(FailMode.OPEN, Verdict.SAFE), (FailMode.CLOSED, Verdict.UNSAFE)]
)
async def test_timeout_then_open_circuit(
    hanging: str, client: httpx.AsyncClient, fail_mode: FailMode, verdict: Verdict
) -> None:
    events: list[FailureEvent] = []
    slow = {
        "kind": "tei",
        "url": hanging,
        "timeout_s": 0.2,
        "fail_mode": fail_mode.value,
        "breaker": {"failure_threshold": 2, "reset_s": 30},
    }
    definition = parse_guards({"definitions": {"slow": slow}}).definitions["slow"]
    guard = build_served_guard("slow", definition, client, on_failure=events.append)
    for _ in range(2):
        started = time.monotonic()
        results = await guard.check(texts("a", "b"))
        assert 0.15 < time.monotonic() - started < 1.0
        assert [r.verdict for r in results] == [verdict, verdict]
        assert all(
            isinstance(r, FallbackResult) and r.reason is FailureReason.TIMEOUT for r in results
        )
    started = time.monotonic()
    (open_circuit,) = await guard.check(texts("c"))
    assert time.monotonic() - started < 0.05
    assert (
        isinstance(open_circuit, FallbackResult)
        and open_circuit.reason is FailureReason.CIRCUIT_OPEN
    )
    assert open_circuit.verdict is verdict and fail_mode.value in open_circuit.note
    assert [e.reason for e in events] == [FailureReason.TIMEOUT] * 2 + [FailureReason.CIRCUIT_OPEN]
    stats = guard.stats
    assert (stats.calls, stats.fallbacks, stats.breaker.value) == (3, 3, "open")


async def test_server_errors_and_refused_connections_fail_by_policy(
    hanging: str, client: httpx.AsyncClient
) -> None:
    broken = build_served_guard(
        "broken",
        parse_guards(
            {"definitions": {"b": {"kind": "tei", "url": hanging + "/broken"}}}
        ).definitions["b"],
        client,
    )
    (result,) = await broken.check(texts("x"))
    assert isinstance(result, FallbackResult) and result.reason is FailureReason.ERROR
    assert result.verdict is Verdict.UNSAFE  # closed is the default
    dead = {
        "kind": "chat",
        "url": "http://127.0.0.1:9",
        "model": "m",
        "format": "qwen3guard",
        "fail_mode": "open",
    }
    refused = parse_guards({"definitions": {"r": dead}})
    (result,) = await build_served_guard("r", refused.definitions["r"], client).check(texts("x"))
    assert (
        isinstance(result, FallbackResult)
        and result.reason is FailureReason.ERROR
        and result.verdict is Verdict.SAFE
    )


@pytest.mark.parametrize("answer", ["nan", "inf", "negative", "deep"])
async def test_scores_that_are_not_probabilities_fail_by_policy(
    hanging: str, client: httpx.AsyncClient, answer: str
) -> None:
    """A NaN compares below every threshold: before, it read as safe even fail-closed."""
    definition = {"kind": "tei", "url": f"{hanging}/{answer}", "labels": {"MALICIOUS": "violence"}}
    guard = build_served_guard("t", parse_guards({"definitions": {"t": definition}}).definitions["t"], client)
    (result,) = await guard.check(texts("x"))
    assert isinstance(result, FallbackResult) and result.reason is FailureReason.ERROR
    assert result.verdict is Verdict.UNSAFE


class EchoGuard:
    """A stand-in in-process guard: flags texts containing 'attack' as violent."""

    name = "echo"
    version = "1"

    async def check(self, items: Any) -> list[GuardResult]:
        return [GuardResult(Verdict.UNSAFE if "attack" in t.text else Verdict.SAFE, "echo", "1", {Category.VIOLENCE: 0.9 if "attack" in t.text else 0.0}) for t in items]  # fmt: skip

    async def close(self) -> None:
        pass


async def test_build_guards_from_config_and_guard_a_stream(
    tei: tuple[str, Recorder], vllm: tuple[str, Recorder], client: httpx.AsyncClient
) -> None:
    settings = parse_guards(
        {
            "input": ["minilm", "promptguard"],
            "output": ["minilm", "qwen"],
            "definitions": {
                "minilm": {"kind": "inprocess"},
                "promptguard": {"kind": "tei", "url": tei[0], "fail_mode": "open"},
                "qwen": {
                    "kind": "chat",
                    "url": vllm[0],
                    "model": "qwen3guard",
                    "format": "qwen3guard",
                },
            },
        }
    )
    made: list[str] = []

    def inprocess(name: str, definition: InProcessDefinition) -> Guard:
        made.append(name)
        return EchoGuard()

    guards = build_guards(settings, client, inprocess=inprocess)
    assert set(guards) == {"minilm", "promptguard", "qwen"} and made == ["minilm"]
    assert all(isinstance(g, PolicyGuard) for g in guards.values())
    assert (
        guards["promptguard"].fail_mode is FailMode.OPEN
        and guards["qwen"].fail_mode is FailMode.CLOSED
    )
    verdicts = [(await guards[n].check(texts("attack now")))[0].verdict for n in settings.input]
    assert verdicts == [Verdict.UNSAFE, Verdict.UNSAFE]

    async def chunks() -> AsyncIterator[str]:
        for word in ["fine ", "words ", "then ", "an ", "attack ", "follows ", "here"]:
            yield word

    stream = StreamSettings(mode=StreamMode.HOLD_BACK, window_tokens=4, stride_tokens=2)
    output = [guards[n] for n in settings.output]
    stream_guard = output_stream_guard(stream, output, prompt="hi", tolerance=Tolerance.STRICT)
    events = [e async for e in stream_guard.guard(chunks(), lambda c: c)]
    released = "".join(e.chunk for e in events if isinstance(e, Release))
    assert "attack" not in released and isinstance(events[-1], Cut)
    assert events[-1].window.categories == (Category.VIOLENCE,)
    assert len(vllm[1].bodies) > 0 and vllm[1].bodies[-1]["messages"][0] == {
        "role": "user",
        "content": "hi",
    }
