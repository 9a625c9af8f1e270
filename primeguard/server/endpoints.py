"""Thin endpoint handlers: decode, call the pipeline, encode."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from primeguard.errors import NotConfigured, RateLimited, to_http
from primeguard.guards.policy import PolicyGuard
from primeguard.guards.thresholds import Tolerance
from primeguard.moderation import merge_results, parse_moderation_request, to_openai_moderation
from primeguard.pipeline import ChatResult
from primeguard.policy import Policy
from primeguard.protocol.chat import parse_chat_request
from primeguard.server.http import api_key_from, read_json, unless_disconnected
from primeguard.server.judge_guards import TENANT_GUIDELINES
from primeguard.server.streaming import SSEResponse
from primeguard.server.wiring import Proxy
from primeguard.telemetry import attributes as attr
from primeguard.telemetry.audit import AuditRecord, GuardVerdict
from primeguard.telemetry.tracing import extract_context, route_attributes
from primeguard.verdicts import GuardText, TextRole, worst_verdict


def _proxy(request: Request) -> Proxy:
    proxy: Proxy = request.app.state.proxy
    return proxy


def _route_headers(result: ChatResult, policy: Policy) -> dict[str, str]:
    decision = result.decision.route
    headers = {
        "x-primeguard-route": decision.route.value,
        "x-primeguard-route-source": decision.source.value,
        "x-primeguard-guidelines-version": policy.guidelines.version,
        "x-primeguard-guard-ms": f"{result.guard_ms:.1f}",
    }
    headers["x-primeguard-cache"] = "hit" if result.cache_hit else "miss"
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
    tel = proxy.telemetry
    started = time.perf_counter()
    request_id: str = request.state.request_id
    span_attrs = {attr.PRIMEGUARD_REQUEST_ID: request_id, attr.GEN_AI_OPERATION_NAME: "chat"}
    with tel.tracing.span(attr.SPAN_REQUEST, span_attrs, parent=extract_context(request.headers)) as span:
        policy: Policy | None = None
        result: ChatResult | None = None
        status, model = 200, ""
        try:
            policy = proxy.policies.authenticate(api_key_from(request))
            TENANT_GUIDELINES.set(policy.guidelines)
            await _rate_limit(proxy, policy)
            raw = await read_json(request, proxy.settings.server.max_body_bytes)
            chat = parse_chat_request(raw)
            model = chat.model
            span.set_attributes({attr.PRIMEGUARD_TENANT: policy.tenant, attr.GEN_AI_REQUEST_MODEL: chat.model,
                                 attr.PRIMEGUARD_SHADOW: policy.shadow})
            result = await unless_disconnected(request, proxy.pipeline.chat(raw, chat, policy))
            span.set_attributes({**route_attributes(result.decision.route),
                                 attr.PRIMEGUARD_CACHE_HIT: result.cache_hit, **_usage(result.body)})
        except Exception as exc:
            status = to_http(exc)[0]
            raise
        finally:
            _account(proxy, request_id, policy, result, status, started, model)
    assert policy is not None and result is not None
    headers = _route_headers(result, policy)
    if result.chunks is not None:
        return SSEResponse(result.chunks, headers)  # type: ignore[return-value]
    body = dict(result.body or {})
    body["primeguard"] = _primeguard_object(result, proxy, policy)
    return JSONResponse(body, headers=headers)


def _usage(body: dict[str, Any] | None) -> dict[str, int]:
    usage = (body or {}).get("usage")
    if not isinstance(usage, dict):
        return {}
    out = {}
    for key, name in (("prompt_tokens", attr.GEN_AI_USAGE_INPUT_TOKENS),
                      ("completion_tokens", attr.GEN_AI_USAGE_OUTPUT_TOKENS)):
        if isinstance(usage.get(key), int):
            out[name] = usage[key]
    return out


async def _rate_limit(proxy: Proxy, policy: Policy) -> None:
    if policy.rate_limit_rpm is None:
        return
    decision = await proxy.limiter.hit(policy.tenant, policy.rate_limit_rpm)
    if not decision.allowed:
        retry = str(max(1, math.ceil(decision.retry_after_s)))
        raise RateLimited(f"Rate limit reached for tenant {policy.tenant}: {policy.rate_limit_rpm} requests "
                          f"per minute. Retry after {retry} s.", headers={"retry-after": retry})


def _account(proxy: Proxy, request_id: str, policy: Policy | None, result: ChatResult | None, status: int,
             started: float, model: str) -> None:
    """Metrics and the audit line for one request, success or not. Never any text."""
    latency = time.perf_counter() - started
    decision = result.decision if result is not None else None
    tenant = policy.tenant if policy is not None else None
    verdicts = decision.input_guards if decision is not None else ()
    worst = worst_verdict(v.verdict for v in verdicts) if verdicts else None
    proxy.telemetry.metrics.observe_request(
        tenant=tenant, route=decision.route.route if decision else None, verdict=worst, status=status,
        latency_s=latency)
    proxy.telemetry.audit.log(AuditRecord(
        request_id=request_id, tenant=tenant or "", model=model, status=status, latency_ms=latency * 1000.0,
        input_verdicts=tuple(GuardVerdict.of(v) for v in verdicts), shadow=bool(policy and policy.shadow),
        cache_hit=bool(result and result.cache_hit), guard_ms=result.guard_ms if result else 0.0,
        **AuditRecord.route_fields(decision.route if decision else None)))




async def list_models(request: Request) -> Response:
    proxy = _proxy(request)
    proxy.policies.authenticate(api_key_from(request))
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "primeguard"}
        for name in proxy.registry.targets
    ]
    return JSONResponse({"object": "list", "data": data})


async def moderations(request: Request) -> Response:
    """OpenAI's moderation API, answered by the input guards."""
    proxy = _proxy(request)
    policy = proxy.policies.authenticate(api_key_from(request))
    TENANT_GUIDELINES.set(policy.guidelines)
    await _rate_limit(proxy, policy)
    moderation = parse_moderation_request(await read_json(request, proxy.settings.server.max_body_bytes))
    if not policy.input_guards:
        raise NotConfigured("No input guards are configured, so there is nothing to moderate with.")
    texts = [GuardText(text, TextRole.INPUT) for text in moderation.texts]
    batches = await unless_disconnected(
        request, asyncio.gather(*(guard.check(texts) for guard in policy.input_guards)))
    merged = [merge_results([batch[i] for batch in batches]) for i in range(len(texts))]
    body = to_openai_moderation(
        merged, moderation.model,
        flag_controversial=policy.tolerance is Tolerance.STRICT, explain=policy.explain)
    return JSONResponse(body)


async def admin_status(request: Request) -> Response:
    """Tenants, policy versions, guards and cache health; master key only. No secrets."""
    proxy = _proxy(request)
    proxy.policies.authenticate_admin(api_key_from(request), proxy.settings.general_settings.master_key)
    tenants = [
        {"name": p.tenant, "guidelines": p.guidelines.name, "guidelines_version": p.guidelines.version,
         "shadow": p.shadow, "explain": p.explain, "tolerance": p.tolerance.value, "rate_limit_rpm": p.rate_limit_rpm,
         "thresholds": {c.value: t.model_dump() for c, t in p.thresholds.items()}}
        for p in proxy.policies.policies().values()
    ]
    cache = proxy.store.cache
    body = {
        "routes_version": proxy.templates.version,
        "tenants": tenants,
        "models": list(proxy.registry.targets),
        "guards": {name: guard.version for name, guard in proxy.guards.items()},
        "guard_health": {name: _health(guard) for name, guard in proxy.guards.items()
                         if isinstance(guard, PolicyGuard)},
        "cache": {"backend": cache.backend, "reachable": await cache.ping(), **asdict(cache.stats.snapshot())},
    }
    return JSONResponse(body)


def _health(guard: PolicyGuard) -> dict[str, object]:
    """Calls since start-up, how many its fail mode answered (by reason), and its breaker."""
    stats = guard.stats
    return {"fail_mode": guard.fail_mode.value, "calls": stats.calls, "fallbacks": stats.fallbacks,
            "by_reason": {r.value: n for r, n in stats.by_reason.items()}, "breaker": stats.breaker.value}


async def metrics(request: Request) -> Response:
    exposition = _proxy(request).telemetry.metrics.render(request.headers.get("accept"))
    return Response(exposition.body, media_type=exposition.content_type)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    ready = _proxy(request).ready.is_set()
    return JSONResponse({"status": "ready" if ready else "starting"}, status_code=200 if ready else 503)
