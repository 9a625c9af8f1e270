"""`primeguard guard-server`: any transformers sequence classifier behind TEI's `/predict`.

    POST /predict  {"inputs": "text" | ["text", ...], "raw_scores": false, "truncate": false}
    GET  /healthz  {"status": "ok"}  (also /health, as TEI names it)
    GET  /info     {"model_id", "model_sha", "labels", "max_client_batch_size", "max_input_length", ...}

Concurrent requests are batched into one forward pass (`DynamicBatcher`), run in a
worker thread, on CUDA when available.  Errors take OpenAI's JSON shape:
400 for bad input, 413 for too many inputs, too large a body or (with
`truncate: false`) too long a text.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError, field_validator
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from primeguard.errors import InvalidRequest, PayloadTooLarge, PrimeGuardError, error_body, to_http
from primeguard.guards.batcher import DynamicBatcher
from primeguard.guards.seqcls import SequenceClassifier
from primeguard.server.http import TrailingSlash, read_json


class PredictRequest(BaseModel):
    """TEI's `/predict` body (text pairs are not supported)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    inputs: StrictStr | list[StrictStr]
    raw_scores: StrictBool = False
    truncate: StrictBool = False

    @field_validator("raw_scores", "truncate", mode="before")
    @classmethod
    def _null_is_false(cls, v: object) -> object:
        return False if v is None else v  # TEI's clients send null for "not set"


class _GuardService:
    def __init__(
        self,
        classifier: SequenceClassifier,
        batcher: DynamicBatcher[str, list[float]],
        max_body_bytes: int,
    ) -> None:
        self.classifier = classifier
        self.batcher = batcher
        self.max_body_bytes = max_body_bytes
        self.ready = False  # set for the app's lifespan

    async def predict(self, request: Request) -> JSONResponse:
        body = await self._parse(request)
        texts = [body.inputs] if isinstance(body.inputs, str) else body.inputs
        if not texts:
            raise InvalidRequest("inputs must not be empty", param="inputs")
        if len(texts) > self.classifier.max_batch_size:
            raise PayloadTooLarge(
                f"{len(texts)} inputs, more than max_client_batch_size={self.classifier.max_batch_size}",
                param="inputs",
            )
        if not body.truncate:
            await self._check_lengths(texts)
        if not self.ready:
            return _error(503, "the guard server is not serving", "server_error", "unavailable")
        logits = await self.batcher.submit(texts)
        answers = [self.classifier.predictions(row, raw_scores=body.raw_scores) for row in logits]
        return JSONResponse(answers[0] if isinstance(body.inputs, str) else answers)

    async def _parse(self, request: Request) -> PredictRequest:
        body = await read_json(request, self.max_body_bytes)  # 413 while reading, 400 if not JSON
        try:
            return PredictRequest.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            param = ".".join(str(p) for p in first["loc"][:1]) or None
            raise InvalidRequest(
                "inputs must be a string or a list of strings"
                if param == "inputs"
                else first["msg"],
                param=param,
            ) from None

    async def _check_lengths(self, texts: list[str]) -> None:
        counts = await anyio.to_thread.run_sync(self.classifier.token_counts, texts)
        limit = self.classifier.max_length
        if any(count > limit for count in counts):
            raise PayloadTooLarge(
                f"an input is longer than {limit} tokens; send truncate: true", param="inputs"
            )

    async def healthz(self, request: Request) -> JSONResponse:
        if not self.ready:
            return _error(503, "the guard server is not serving", "server_error", "unavailable")
        return JSONResponse({"status": "ok"})

    async def info(self, request: Request) -> JSONResponse:
        c = self.classifier
        return JSONResponse(
            {
                "model_id": c.model_id,
                "model_sha": c.fingerprint,
                "labels": c.labels,
                "model_type": {"classifier": {"id2label": dict(enumerate(c.labels))}},
                "max_client_batch_size": c.max_batch_size,
                "max_input_length": c.max_length,
                "device": c.device,
            }
        )


def _error(status: int, message: str, error_type: str, code: str) -> JSONResponse:
    return JSONResponse(error_body(message, error_type, None, code), status_code=status)


async def _on_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, HTTPException):
        kind = "invalid_request_error" if exc.status_code < 500 else "server_error"
        return _error(
            exc.status_code,
            str(exc.detail),
            kind,
            "not_found" if exc.status_code == 404 else "http_error",
        )
    status, body, headers = to_http(exc)
    return JSONResponse(body, status_code=status, headers=headers)


def create_guard_app(
    model_dir: str | Path,
    *,
    max_batch_size: int = 32,
    max_wait_ms: float = 5.0,
    device: str | None = None,
    max_body_bytes: int = 4 * 1024 * 1024,
) -> Starlette:
    """Load the classifier now; the batching worker runs for the app's lifespan."""
    classifier = SequenceClassifier(model_dir, device=device, max_batch_size=max_batch_size)
    batcher: DynamicBatcher[str, list[float]] = DynamicBatcher(
        classifier.logits,
        max_batch_size=max_batch_size,
        max_wait_ms=max_wait_ms,
        thread_name="guard-server",
    )
    service = _GuardService(classifier, batcher, max_body_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.ready = True
        try:
            yield
        finally:
            service.ready = False
            await batcher.close()

    app = Starlette(
        routes=[
            Route("/predict", service.predict, methods=["POST"]),
            Route("/healthz", service.healthz, methods=["GET"]),
            Route("/health", service.healthz, methods=["GET"]),  # TEI's spelling
            Route("/info", service.info, methods=["GET"]),
        ],
        # PrimeGuardError and HTTPException are answered by ExceptionMiddleware; a bare
        # Exception reaches ServerErrorMiddleware, which answers and re-raises it for logging.
        exception_handlers={
            PrimeGuardError: _on_error,
            HTTPException: _on_error,
            Exception: _on_error,
        },
        lifespan=lifespan,
    )
    app.add_middleware(TrailingSlash)
    app.state.batcher = batcher
    app.state.classifier = classifier
    return app


def run_guard_server(
    model_dir: str | Path, host: str = "127.0.0.1", port: int = 8080, **options: Any
) -> None:
    """Serve `model_dir` until interrupted (the CLI's `guard-server`)."""
    import uvicorn

    uvicorn.run(create_guard_app(model_dir, **options), host=host, port=port, log_level="info")
