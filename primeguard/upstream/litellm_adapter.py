"""The only module that imports litellm: translation to its 100+ providers.

litellm is imported when the first litellm-backed model is configured (at
start-up, never inside a request: the import takes seconds), so a proxy whose
upstreams all speak the OpenAI API never pays for it.
Its exceptions are mapped to ours here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from primeguard.errors import (
    UpstreamError,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from primeguard.telemetry.tracing import inject_headers
from primeguard.upstream.protocol import Body, Headers
from primeguard.upstream.shapes import checked_chunk, checked_completion

# litellm fetches a model cost map from the internet at import unless told not to;
# a proxy must start the same with no network.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_TELEMETRY", "False")

#: Request keys litellm takes as named arguments; anything else goes in extra_body.
_KNOWN = frozenset(
    ["messages", "temperature", "top_p", "n", "stream", "stream_options", "stop", "max_tokens", "max_completion_tokens", "presence_penalty", "frequency_penalty", "logit_bias", "user", "response_format", "seed", "tools", "tool_choice", "parallel_tool_calls", "logprobs", "top_logprobs", "reasoning_effort", "metadata"]
)


def _map_exception(exc: Exception) -> UpstreamError:
    from litellm import exceptions as litellm

    status = getattr(exc, "status_code", None)
    if isinstance(exc, litellm.Timeout):
        return UpstreamTimeout("upstream timed out")
    if isinstance(exc, litellm.RateLimitError):
        return UpstreamRateLimited("upstream rate limit exceeded", upstream_status=429)
    if isinstance(exc, (litellm.AuthenticationError, litellm.PermissionDeniedError)):
        return UpstreamUnavailable("upstream rejected the proxy's credentials", upstream_status=status)
    if isinstance(exc, (litellm.BadRequestError, litellm.NotFoundError, litellm.UnprocessableEntityError)):
        return UpstreamRejected("upstream rejected the request", upstream_status=status)
    return UpstreamUnavailable(f"upstream error: {type(exc).__name__}", upstream_status=status)


class LiteLLMUpstream:
    """Any provider litellm knows, called through `litellm.acompletion`."""

    def __init__(self, params: dict[str, Any]) -> None:
        # params are the model entry's litellm_params: model, api_base, api_key, timeout, ...
        self._params = {k: v for k, v in params.items() if v is not None}
        self._params["num_retries"] = self._params.pop("max_retries", 2)
        import litellm  # noqa: F401  # at start-up, not on the first request

    def _kwargs(self, body: Body, headers: Headers | None, stream: bool) -> dict[str, Any]:
        kwargs = {k: v for k, v in body.items() if k in _KNOWN}
        extra = {k: v for k, v in body.items() if k not in _KNOWN and k != "model"}
        if extra:
            kwargs["extra_body"] = extra
        trace_headers = dict(headers or {})
        inject_headers(trace_headers)
        if trace_headers:
            kwargs["extra_headers"] = trace_headers
        kwargs.update(self._params)
        kwargs["stream"] = stream
        return kwargs

    async def complete(self, body: Body, headers: Headers | None = None) -> Body:
        import litellm

        try:
            response = await litellm.acompletion(**self._kwargs(body, headers, False))
        except Exception as exc:  # every litellm failure is mapped, none escapes raw
            raise _map_exception(exc) from exc
        return checked_completion(response.model_dump(exclude_none=True))

    async def stream(self, body: Body, headers: Headers | None = None) -> AsyncIterator[Body]:
        import litellm

        try:
            response = await litellm.acompletion(**self._kwargs(body, headers, True))
            async for chunk in response:
                yield checked_chunk(chunk.model_dump(exclude_none=True))
        except Exception as exc:
            if isinstance(exc, (GeneratorExit, UpstreamError)):
                raise
            raise _map_exception(exc) from exc

    async def aclose(self) -> None:
        return None
