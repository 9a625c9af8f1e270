"""A scripted guard served over TEI's `/predict` protocol, on loopback.

A text scores by marker words: `BOMB` 0.99 (unsafe), `MAYBE` 0.6
(controversial under the default 0.5 / 0.8 thresholds), anything else 0.01.
It records every text it was asked about.
"""

from __future__ import annotations

import json
from typing import Any

from primeguard.bench.asgi import lifespan, read_body


class FakeTEIGuard:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @staticmethod
    def score(text: str) -> float:
        if "BOMB" in text:
            return 0.99
        if "MAYBE" in text:
            return 0.6
        return 0.01

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        raw = await read_body(receive)
        inputs = json.loads(raw)["inputs"]
        inputs = [inputs] if isinstance(inputs, str) else inputs
        self.seen.extend(inputs)
        out = [[{"label": "MALICIOUS", "score": self.score(t)}, {"label": "BENIGN", "score": 1 - self.score(t)}]
               for t in inputs]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(out).encode()})
