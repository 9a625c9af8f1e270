"""Request parsing and incremental decoding for the in-process model.

Kept apart from `local_model.py`, which owns the weights and the worker thread:
this module turns an OpenAI request into generation parameters, and turns the
tokens a generation produces into text deltas (whole characters only, never a
prefix of a stop string).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_OnText = Callable[[str | None], None]

DEFAULT_MAX_TOKENS = 256
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


@dataclass(frozen=True)
class _GenParams:
    messages: list[dict[str, str]]
    max_tokens: int
    temperature: float
    top_p: float
    stop: tuple[str, ...]
    seed: int | None


@dataclass(frozen=True)
class _GenResult:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


def _flatten(content: Any) -> str:
    """OpenAI content (str, None or list of parts) -> plain text; non-text parts are dropped."""
    if isinstance(content, list):
        texts = (p.get("text") if isinstance(p, dict) else p for p in content)
        return "\n".join(t for t in texts if isinstance(t, str) and t)
    return "" if content is None else str(content)


def _normalize_messages(messages: Any) -> list[dict[str, str]]:
    if not isinstance(messages, list) or not messages:
        raise ValueError("'messages' must be a non-empty list")
    msgs = [m if isinstance(m, dict) else {"content": m} for m in messages]
    return [
        {"role": _ROLES.get(str(m.get("role")), "user"), "content": _flatten(m.get("content"))}
        for m in msgs
    ]


def _parse_body(body: dict[str, Any]) -> _GenParams:
    """Validate an OpenAI chat.completions request into generation parameters."""
    if body.get("n", 1) not in (1, None):
        raise ValueError("only n=1 is supported by the local model")
    keys = ("max_completion_tokens", "max_tokens")
    max_tokens = next((body[k] for k in keys if body.get(k) is not None), DEFAULT_MAX_TOKENS)
    if not isinstance(max_tokens, int) or max_tokens < 1:
        raise ValueError("'max_tokens' must be a positive integer")
    stop = body.get("stop") or ()
    stop = (stop,) if isinstance(stop, str) else tuple(s for s in stop if isinstance(s, str) and s)
    temperature = body.get("temperature")
    top_p = body.get("top_p")
    return _GenParams(
        messages=_normalize_messages(body.get("messages")),
        max_tokens=max_tokens,
        temperature=1.0 if temperature is None else float(temperature),
        top_p=1.0 if top_p is None else float(top_p),
        stop=stop,
        seed=body.get("seed"),
    )


def _holdback(text: str, stops: tuple[str, ...]) -> str:
    """Drop a trailing partial UTF-8 char and any tail that could begin a stop string."""
    text = text.rstrip("\ufffd")
    for n in range(min(len(text), max((len(s) for s in stops), default=0)), 0, -1):
        if any(s.startswith(text[-n:]) for s in stops):
            return text[:-n]
    return text


class _Collector:
    """A transformers streamer: decodes new tokens and emits only the new, final text."""

    def __init__(
        self, tokenizer: Any, stops: tuple[str, ...], on_text: Callable[[str], None] | None
    ) -> None:
        self._tok, self._stops, self._on_text = tokenizer, stops, on_text
        self._seen_prompt = False
        self.ids: list[int] = []
        self.text = ""
        self.hit_stop = False

    def put(self, value: Any) -> None:
        if not self._seen_prompt:
            self._seen_prompt = True
            return
        self.ids.extend(int(i) for i in value.reshape(-1).tolist())
        self._advance(final=False)

    def end(self) -> None:
        self._advance(final=True)

    def _advance(self, final: bool) -> None:
        if self.hit_stop:
            return
        full = self._tok.decode(self.ids, skip_special_tokens=True)
        cuts = [i for i in (full.find(s) for s in self._stops) if i >= 0]
        if cuts:
            full, final, self.hit_stop = full[: min(cuts)], True, True
        ready = full if final else _holdback(full, self._stops)
        if len(ready) > len(self.text):
            delta, self.text = ready[len(self.text) :], ready
            if self._on_text is not None:
                self._on_text(delta)


class _Halt:
    """StoppingCriteria: stop when the consumer went away or a stop string matched."""

    def __init__(self, cancel: threading.Event, collector: _Collector):
        self._cancel, self._collector = cancel, collector

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        halt = self._cancel.is_set() or self._collector.hit_stop
        return torch.full((input_ids.shape[0],), halt, dtype=torch.bool, device=input_ids.device)
