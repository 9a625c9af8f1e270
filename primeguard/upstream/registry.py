"""Resolve a client's model name to the upstream that serves it.

The provider prefix of `litellm_params.model` picks the path:
- OpenAI-compatible providers take the direct pooled-httpx path;
- `local/` is the in-process model;
- everything else goes through the litellm adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from primeguard.config import LiteLLMParams, ModelEntry
from primeguard.errors import ModelNotFound
from primeguard.upstream.protocol import Upstream

#: litellm providers whose wire format is OpenAI's own.
OPENAI_COMPATIBLE = frozenset(
    {"openai", "hosted_vllm", "openai_like", "custom_openai", "lm_studio", "llamafile", "sglang"}
)
OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"


@dataclass(frozen=True, slots=True)
class ModelTarget:
    """A model clients may ask for, and how it is reached."""

    name: str
    upstream: Upstream
    provider: str
    provider_model: str


def build_upstream(params: LiteLLMParams, client: httpx.AsyncClient) -> Upstream:
    provider = params.provider
    if provider == "local":
        from primeguard.upstream.local import LocalUpstream
        from primeguard.upstream.local_model import LocalChatModel

        return LocalUpstream(LocalChatModel(params.provider_model))
    direct = params.direct_http if params.direct_http is not None else provider in OPENAI_COMPATIBLE
    if direct and (params.api_base or provider == "openai"):
        from primeguard.upstream.openai_http import OpenAICompatibleUpstream

        return OpenAICompatibleUpstream(
            client,
            params.api_base or OPENAI_DEFAULT_BASE,
            model=params.provider_model,
            api_key=params.api_key,
            timeout=params.timeout,
            max_retries=params.max_retries,
        )
    from primeguard.upstream.litellm_adapter import LiteLLMUpstream

    return LiteLLMUpstream(params.model_dump(exclude={"direct_http"}))


class ModelRegistry:
    """The `model_list`, resolved once at start-up."""

    def __init__(self, entries: tuple[ModelEntry, ...], client: httpx.AsyncClient) -> None:
        self._client = client
        self._targets: dict[str, ModelTarget] = {}
        for entry in entries:
            params = entry.litellm_params
            self._targets[entry.model_name] = ModelTarget(
                name=entry.model_name,
                upstream=build_upstream(params, client),
                provider=params.provider,
                provider_model=params.provider_model,
            )

    @property
    def targets(self) -> Mapping[str, ModelTarget]:
        return self._targets

    def resolve(self, name: object) -> ModelTarget:
        target = self._targets.get(name) if isinstance(name, str) else None
        if target is None:
            raise ModelNotFound(f"The model `{name}` does not exist or you do not have access to it.", param="model")
        return target

    async def aclose(self) -> None:
        for target in self._targets.values():
            await target.upstream.aclose()
        await self._client.aclose()
