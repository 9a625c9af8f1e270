"""Masking the request: personal data replaced before the judge, the guards and the upstream
read it (`kind: pii` with `mask: true` among a tenant's input guards).

User and tool messages are masked: what end users type and what tools fetch.  System
and developer prompts are the operator's own and go on as written; so do earlier
assistant turns (the model's, and already checked on their way out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from primeguard.guards.protocol import Masker

MASKED_ROLES = frozenset({"user", "tool", "function"})


async def mask_request(raw: dict[str, Any], maskers: Sequence[Masker]) -> dict[str, Any]:
    """`raw` with its user and tool messages' text masked by each masker in turn; a new body
    (the caller's is left as it is), or `raw` itself when nothing changed."""
    places, texts = _texts(raw["messages"])
    if not texts:
        return raw
    masked = list(texts)
    for masker in maskers:
        masked = await masker.mask(masked)
    if masked == texts:
        return raw
    messages = [dict(m) if isinstance(m, dict) else m for m in raw["messages"]]
    for (index, part), text in zip(places, masked):
        message = messages[index]
        if part is None:
            message["content"] = text
        else:
            message["content"] = list(message["content"])
            message["content"][part] = {**message["content"][part], "text": text}
    return {**raw, "messages": messages}


def _texts(messages: Sequence[Any]) -> tuple[list[tuple[int, int | None]], list[str]]:
    """Where each maskable text is ((message, part or None), in order) and the texts."""
    places: list[tuple[int, int | None]] = []
    texts: list[str] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in MASKED_ROLES:
            continue
        content = message.get("content")
        if isinstance(content, str):
            places.append((i, None))
            texts.append(content)
        elif isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                    places.append((i, j))
                    texts.append(part["text"])
    return places, texts
