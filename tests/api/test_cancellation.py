"""A client that hangs up mid-stream cancels the upstream request."""

from __future__ import annotations

import socket
import time

from tests.fakes.upstream import FakeUpstream, ServerThread


def _wait(predicate, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_disconnect_mid_stream_cancels_upstream(proxy: ServerThread, fake: FakeUpstream) -> None:
    fake.script.chunk_delay = 0.05
    fake.script.answer_words = 400  # ~20 s if nobody cancels
    body = b'{"model": "fake-gpt", "stream": true, "messages": [{"role": "user", "content": "tell me a story"}]}'
    sock = socket.create_connection(("127.0.0.1", proxy.port))
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                 b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    received = b""
    while received.count(b"data:") < 5:
        received += sock.recv(4096)
    sock.close()
    assert _wait(lambda: bool(fake.of_kind("answer")) and fake.of_kind("answer")[0].cancelled)
    assert not fake.of_kind("answer")[0].completed


def test_disconnect_while_upstream_is_silent_cancels_it(proxy: ServerThread, fake: FakeUpstream) -> None:
    """No chunk is flowing, so only a disconnect listener can notice the hang-up."""
    fake.script.chunk_delay = 2.0
    fake.script.answer_words = 50
    body = b'{"model": "fake-gpt", "stream": true, "messages": [{"role": "user", "content": "slow"}]}'
    sock = socket.create_connection(("127.0.0.1", proxy.port))
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                 b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    received = b""
    while b"echo:" not in received:
        received += sock.recv(4096)
    started = time.monotonic()
    sock.close()
    assert _wait(lambda: fake.of_kind("answer")[0].cancelled, timeout=3.0)
    assert time.monotonic() - started < 2.5


def _hang_up_after(port: int, body: bytes, seconds: float) -> None:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                 b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    time.sleep(seconds)
    sock.close()


def test_a_client_gone_before_the_answer_cancels_the_work(proxy: ServerThread, fake: FakeUpstream) -> None:
    """Hung up while the judge is still thinking: no answer is ever asked for, streamed or not."""
    fake.script.judge_delay = 1.0
    for stream in (b"false", b"true"):
        fake.requests.clear()
        body = b'{"model": "fake-gpt", "stream": ' + stream + b', "messages": [{"role": "user", "content": "hi"}]}'
        _hang_up_after(proxy.port, body, 0.3)
        assert _wait(lambda: bool(fake.of_kind("judge")))
        time.sleep(1.5)  # past the judge's answer: an uncancelled request would ask for the answer now
        assert fake.of_kind("answer") == []
