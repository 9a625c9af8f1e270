"""Texts/s of `primeguard guard-server` over HTTP, on CUDA when present.

    python -m tests.bench.guard_server [--device cuda] [--seconds 5]

Starts the server as its own process, as it is deployed (a load generator in
the same process would fight it for the GIL), serving MiniLM (the encoder the in-process guard uses, with a seeded random
two-label head: the cost of a forward pass does not depend on the head's
values) and drives `/predict` from concurrent httpx clients, each sending
`--client-batch` texts per request; the server batches concurrent requests
into one forward pass.  Prints texts/s and request latency per cell.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from primeguard.guards.benchmark import _texts


@contextlib.contextmanager
def guard_server_process(model: Path, device: str | None, max_batch_size: int) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "primeguard.cli", "guard-server", "--model", str(model),
           "--port", str(port), "--max-batch-size", str(max_batch_size), "--max-wait-ms", "2"]
    proc = subprocess.Popen([*cmd, *(["--device", device] if device else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("guard-server did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def build_minilm_classifier(directory: Path) -> Path:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from primeguard.guards.encoder import model_dir

    torch.manual_seed(0)
    source = model_dir()
    labels = {0: "BENIGN", 1: "MALICIOUS"}
    model = AutoModelForSequenceClassification.from_pretrained(
        str(source), num_labels=2, id2label=labels, label2id={v: k for k, v in labels.items()}
    )
    model.save_pretrained(str(directory))
    AutoTokenizer.from_pretrained(str(source)).save_pretrained(str(directory))
    return directory


async def drive(url: str, texts: list[str], concurrency: int, seconds: float) -> tuple[float, list[float]]:
    latencies: list[float] = []
    done = 0
    stop = 0.0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            start = time.perf_counter()
            r = await http.post(f"{url}/predict", json={"inputs": texts, "truncate": True})
            r.raise_for_status()
            latencies.append(time.perf_counter() - start)
            done += len(texts)

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as http:
        await http.post(f"{url}/predict", json={"inputs": texts, "truncate": True})  # warm-up
        began = time.perf_counter()
        stop = began + seconds
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return done / elapsed, latencies


async def through_the_proxy_client(url: str, coalesce_ms: float, concurrency: int, seconds: float) -> tuple[float, int]:
    """Texts/s of the proxy's TEI client: `concurrency` callers checking one text each, in a loop."""
    from primeguard.guards.http_client import make_guard_client
    from primeguard.guards.tei import TEIClassifierGuard
    from primeguard.verdicts import GuardText

    client = make_guard_client()
    guard = TEIClassifierGuard(name="g", url=url, client=client, version="1", max_batch_size=64,
                               coalesce_ms=coalesce_ms, timeout_s=60, max_concurrency=concurrency)
    text = [GuardText(_texts("short", 1)[0])]
    await guard.check(text)
    done, stop = 0, time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await guard.check(text)
            done += 1

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    rate = done / (time.perf_counter() - began)
    await guard.close()
    await client.aclose()
    return rate, guard.requests_sent or done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="default: cuda when available")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-batch-size", type=int, default=256)
    parser.add_argument("--cells", default="short:1:1,short:1:64,short:16:16,short:64:8,long:1:64,long:16:8,long:64:4",
                        help="kind:client_batch:concurrency,...")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = build_minilm_classifier(Path(tmp) / "minilm-cls")
        with guard_server_process(model, args.device, args.max_batch_size) as url:
            info = httpx.get(f"{url}/info").json()
            print(f"guard-server on {info['device']}, max batch {args.max_batch_size}", flush=True)
            for cell in args.cells.split(","):
                kind, batch, concurrency = cell.split(":")
                texts = _texts(kind, int(batch))
                rate, lat = asyncio.run(drive(url, texts, int(concurrency), args.seconds))
                lat.sort()
                print(f"{kind:5s} client batch {int(batch):3d} x {int(concurrency):3d} clients: "
                      f"{rate:9.1f} texts/s  request p50 {statistics.median(lat) * 1000:7.1f} ms "
                      f"p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:7.1f} ms", flush=True)
            for coalesce_ms in (0.0, 2.0):
                rate, sent = asyncio.run(through_the_proxy_client(url, coalesce_ms, 64, args.seconds))
                print(f"proxy TEI client, 64 concurrent one-text checks, coalesce_ms {coalesce_ms}: "
                      f"{rate:9.1f} texts/s ({sent} requests)", flush=True)


if __name__ == "__main__":
    main()
