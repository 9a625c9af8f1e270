"""Generative guards (Llama Guard, Qwen3Guard-Gen) behind an OpenAI-compatible chat API.

vLLM and SGLang apply the guard's own chat template, so the request is just
the conversation to judge: the user text for input moderation, or the user
prompt (when known, via `ResponseText`) plus the assistant text for output
moderation.  Decoding is greedy with a small `max_tokens`; the answer is read
by a registered parser.  One HTTP call per text, gathered concurrently.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from primeguard.guards.chat_parsers import PARSERS, AnswerParser, ParsedAnswer
from primeguard.guards.http_client import HeadersFactory, gather_limited, post_json, request_headers
from primeguard.guards.protocol import GuardUnavailable
from primeguard.guards.settings import ChatFormat
from primeguard.verdicts import VERDICT_SCORES, Category, GuardResult, GuardText, TextRole, Verdict

#: Generative guards give no probabilities; their verdict is turned into scores
#: that land in the same band under the default thresholds (0.5 / 0.8).


@dataclass(frozen=True, slots=True)
class ResponseText(GuardText):
    """An assistant text together with the user prompt it answers (for output moderation)."""

    role: TextRole = TextRole.OUTPUT
    prompt: str | None = None


@dataclass(frozen=True, slots=True)
class ChatGuardResult(GuardResult):
    """A generative guard's result, with its raw labels and Qwen3Guard's refusal flag."""

    labels: tuple[str, ...] = ()
    refusal: bool | None = None


def conversation(text: GuardText) -> list[dict[str, str]]:
    """The messages that ask a guard model to judge `text`."""
    if text.role is TextRole.INPUT:
        return [{"role": "user", "content": text.text}]
    # Llama Guard's template wants user/assistant alternation, so an unknown prompt is empty.
    prompt = text.prompt if isinstance(text, ResponseText) and text.prompt is not None else ""
    return [{"role": "user", "content": prompt}, {"role": "assistant", "content": text.text}]


class ChatGuard:
    """`Guard` over `{url}/chat/completions` of a server hosting a generative guard model."""

    def __init__(
        self,
        *,
        name: str,
        url: str,
        model: str,
        parser: AnswerParser | ChatFormat,
        client: httpx.AsyncClient,
        version: str,
        timeout_s: float = 2.0,
        max_tokens: int = 32,
        max_concurrency: int = 16,
        api_key: str | None = None,
        headers_factory: HeadersFactory | None = None,
    ) -> None:
        self._name = name
        self._url = url.rstrip("/") + "/chat/completions"
        self._model = model
        self._parser = PARSERS[parser] if isinstance(parser, ChatFormat) else parser
        self._client = client
        self._version = version
        self._timeout_s = timeout_s
        self._max_tokens = max_tokens
        self._concurrency = max_concurrency
        self._api_key = api_key
        self._headers_factory = headers_factory

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        return self._version

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
        headers = request_headers(self._api_key, self._headers_factory)
        calls = [functools.partial(self._judge, text, headers) for text in texts]
        return await gather_limited(calls, self._concurrency)

    async def _judge(self, text: GuardText, headers: dict[str, str]) -> GuardResult:
        body = {
            "model": self._model,
            "messages": conversation(text),
            "temperature": 0,
            "max_tokens": self._max_tokens,
            "stream": False,
        }
        payload = await post_json(
            self._client,
            self._url,
            body,
            timeout_s=self._timeout_s,
            headers=headers,
            guard=self._name,
        )
        return self._result(self._parser.parse(_answer_text(payload, self._name)))

    def _result(self, parsed: ParsedAnswer) -> ChatGuardResult:
        score = VERDICT_SCORES[parsed.verdict]
        scores: dict[Category, float] = {c: score for c in parsed.categories} if score else {}
        return ChatGuardResult(
            verdict=parsed.verdict,
            guard=self._name,
            version=self._version,
            scores=scores,
            by_category={c: parsed.verdict for c in parsed.categories},
            uncategorised=Verdict.SAFE if parsed.categories else parsed.verdict,
            labels=parsed.labels,
            refusal=parsed.refusal,
        )

    async def close(self) -> None:
        """Nothing to release: the pooled client belongs to the caller."""


def _answer_text(payload: Any, guard: str) -> str:
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise GuardUnavailable(f"guard {guard!r}: not a chat completion") from None
    if not isinstance(content, str):
        raise GuardUnavailable(f"guard {guard!r}: the completion has no text")
    return content
