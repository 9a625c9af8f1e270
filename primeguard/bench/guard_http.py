"""The in-process MiniLM guard behind HTTP, for peers and fault drills.

    python -m primeguard.bench.guard_http --port 9102

- `POST /predict` speaks Text Embeddings Inference's protocol (`{"inputs": [...]}`
  in, per text `[{"label": "flagged", "score"}]` out), so primeguard can use it as a
  `kind: tei` guard (`labels: {flagged: <category>}`).  The score carries the
  guard's own calibrated verdict onto TEI's default cut-offs (0.5, 0.8):
  0.9 unsafe, 0.6 controversial, 0.1 safe;
- `POST /classify` (`{"text": ...}` in, `{"verdict", "scores"}` out) is what the
  LiteLLM peer's custom guardrail calls: the same classifier call, calibrated verdict;
- `POST /_control` `{"hang": true}` makes every call hang (a guard that stopped answering).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import Any

from primeguard.bench.asgi import read_body
from primeguard.verdicts import GuardText

_LEVEL = {"unsafe": 0.9, "controversial": 0.6, "safe": 0.1}


class GuardApp:
    """ASGI app over an `InProcessGuard`, loaded at start-up."""

    def __init__(self) -> None:
        from primeguard.guards.inprocess import InProcessGuard

        self.guard = InProcessGuard()
        self.hang = False
        self.calls = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                if message["type"] == "lifespan.startup":
                    await self.guard.check([GuardText("warm up")])  # loads the encoder
                    await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        raw = await read_body(receive)
        path = scope["path"]
        if path == "/_control":
            self.hang = bool(json.loads(raw or b"{}").get("hang", False))
            await _json(send, 200, {"hang": self.hang})
            return
        if path in ("/health", "/healthz"):
            await _json(send, 200, {"ok": True, "calls": self.calls})
            return
        self.calls += 1
        if self.hang:
            await asyncio.sleep(3600)
        body = json.loads(raw or b"{}")
        if path == "/predict":
            inputs = body.get("inputs")
            texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
            results = await self.guard.check([GuardText(t) for t in texts])
            await _json(send, 200, [[{"label": "flagged", "score": _LEVEL[r.verdict.value]}] for r in results])
        elif path == "/classify":
            result = (await self.guard.check([GuardText(str(body.get("text", "")))]))[0]
            await _json(send, 200, {"verdict": result.verdict.value,
                                    "scores": {c.value: s for c, s in result.scores.items()}})
        else:
            await _json(send, 404, {"error": "not found"})


async def _json(send: Any, status: int, payload: Any) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9102)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    uvicorn.run(GuardApp(), host=args.host, port=args.port, log_level="warning", access_log=False,
                lifespan="on")


if __name__ == "__main__":
    main()
