"""Thin endpoint handlers: decode, call the pipeline, encode."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from primeguard.pipeline import ChatResult, RequestContext
from primeguard.policy import Policy
from primeguard.protocol.chat import parse_chat_request
from primeguard.server.http import api_key_from, read_json
from primeguard.server.streaming import SSEResponse
from primeguard.server.wiring import Proxy


def _proxy(request: Request) -> Proxy:
    proxy: Proxy = request.app.state.proxy
    return proxy


def _route_headers(result: ChatResult, policy: Policy, guard_ms: float) -> dict[str, str]:
    decision = result.decision.route
    headers = {
        "x-primeguard-route": decision.route.value,
        "x-primeguard-route-source": decision.source.value,
        "x-primeguard-guidelines-version": policy.guidelines.version,
        "x-primeguard-guard-ms": f"{guard_ms:.1f}",
    }
    if policy.shadow:
        headers["x-primeguard-shadow"] = "true"
    return headers


def _primeguard_object(result: ChatResult, proxy: Proxy, policy: Policy) -> dict[str, Any]:
    decision = result.decision.route
    info: dict[str, Any] = {
        "route": decision.route.value,
        "route_source": decision.source.value,
        "guidelines": policy.guidelines.name,
        "guidelines_version": policy.guidelines.version,
        "routes_version": proxy.templates.version,
    }
    if policy.shadow:
        info["shadow"] = True
    if policy.explain:
        info["system_check_result"] = decision.system_check_result
        info["system_tip"] = decision.system_tip
        if result.reevaluation is not None:
            info["reevaluation"] = result.reevaluation
    return info


async def chat_completions(request: Request) -> Response:
    proxy = _proxy(request)
    policy = proxy.policies.authenticate(api_key_from(request))
    raw = await read_json(request, proxy.settings.server.max_body_bytes)
    chat = parse_chat_request(raw)
    ctx = RequestContext(request_id=request.state.request_id)
    started = time.perf_counter()
    result = await proxy.pipeline.chat(raw, chat, policy, ctx)
    headers = _route_headers(result, policy, (time.perf_counter() - started) * 1000.0)
    if result.chunks is not None:
        return SSEResponse(result.chunks, headers)  # type: ignore[return-value]
    body = dict(result.body or {})
    body["primeguard"] = _primeguard_object(result, proxy, policy)
    return JSONResponse(body, headers=headers)


async def list_models(request: Request) -> Response:
    proxy = _proxy(request)
    proxy.policies.authenticate(api_key_from(request))
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "primeguard"}
        for name in proxy.registry.targets
    ]
    return JSONResponse({"object": "list", "data": data})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    ready = _proxy(request).ready.is_set()
    return JSONResponse({"status": "ready" if ready else "starting"}, status_code=200 if ready else 503)
