"""The starlette application factory."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from primeguard.config import Settings
from primeguard.errors import PrimeGuardError, error_body, to_http
from primeguard.server import endpoints
from primeguard.server.http import TrailingSlash, request_id_from
from primeguard.server.wiring import build_proxy
from primeguard.telemetry.bundle import Telemetry
from primeguard.telemetry.settings import parse_telemetry_settings

log = logging.getLogger("primeguard.server")


class RequestIdMiddleware:
    """Give every request an id, and every response (errors included) its header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = request_id_from(headers.get(b"x-request-id", b"").decode("latin-1") or None)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


async def _primeguard_error(request: Request, exc: Exception) -> Response:
    status, body, headers = to_http(exc)
    return JSONResponse(body, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
    body = error_body(str(exc.detail), "invalid_request_error", None, code)
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A server bug: logged with its traceback here, never sent to the client.
    log.exception("unhandled error", exc_info=exc)
    status, body, _ = to_http(exc)
    return JSONResponse(body, status_code=status)


def create_app(settings: Settings, *, telemetry: Telemetry | None = None) -> Starlette:
    """The proxy app; `telemetry` overrides the config's (tests pass in-memory exporters)."""
    if telemetry is None:
        tenants = tuple(t.name for t in settings.tenants)
        telemetry = Telemetry.from_settings(parse_telemetry_settings(settings.telemetry), tenants)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        proxy = await build_proxy(settings, telemetry=telemetry)
        app.state.proxy = proxy
        try:
            yield
        finally:
            await proxy.aclose()

    routes = [
        Route("/v1/chat/completions", endpoints.chat_completions, methods=["POST"]),
        Route("/chat/completions", endpoints.chat_completions, methods=["POST"]),
        Route("/v1/moderations", endpoints.moderations, methods=["POST"]),
        Route("/moderations", endpoints.moderations, methods=["POST"]),
        Route("/v1/models", endpoints.list_models, methods=["GET"]),
        Route("/models", endpoints.list_models, methods=["GET"]),
        Route("/healthz", endpoints.healthz, methods=["GET"]),
        Route("/readyz", endpoints.readyz, methods=["GET"]),
        Route("/metrics", endpoints.metrics, methods=["GET"]),
        Route("/admin/status", endpoints.admin_status, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            PrimeGuardError: _primeguard_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(TrailingSlash)
    return app
