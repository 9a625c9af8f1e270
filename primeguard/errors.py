"""One exception tree, and one table that turns it into OpenAI error JSON.

    PrimeGuardError
    ├── ConfigError                 start-up only; never reaches a client
    ├── NotConfigured               503: e.g. /v1/moderations without input guards
    ├── ClientError                 the caller's mistake (4xx)
    │   ├── InvalidRequest          400 invalid_request_error
    │   ├── AuthenticationFailed    401 authentication_error
    │   ├── AdminDisabled           403 (no master key configured)
    │   ├── ModelNotFound           404 model_not_found
    │   ├── PayloadTooLarge         413 request_too_large
    │   └── RateLimited             429 rate_limit_exceeded
    └── UpstreamError               the provider failed (5xx)
        ├── UpstreamTimeout         504
        ├── UpstreamUnavailable     502
        ├── UpstreamRateLimited     429 (after retries, with Retry-After)
        └── UpstreamRejected        400 (the provider found the request invalid)

Third-party exceptions (httpx, litellm, redis, torch) are mapped to these at
the boundary that raised them, with `raise ... from exc`.  Anything else that
escapes is a server bug: a 500 with a generic message and no traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError


class PrimeGuardError(Exception):
    status_code = 500
    error_type = "server_error"
    code: str | None = "internal_error"

    def __init__(self, message: str, *, param: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.headers = headers or {}

    def to_body(self) -> dict[str, Any]:
        return error_body(self.message, self.error_type, self.param, self.code)


class ConfigError(PrimeGuardError):
    """The configuration, a route template or a guideline set is invalid."""

    code = "config_error"


def config_error(exc: ValidationError, section: str = "", *, source: str | None = None) -> ConfigError:
    """A pydantic error's first problem as one `ConfigError`: `[source: ]section.key[0].key: message`.

    Never echoes the input (a URL may carry a password), only where and what.
    """
    first = exc.errors()[0]
    loc = ""
    for part in first["loc"]:
        loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
    loc = loc or "(top level)"
    key = f"{section}.{loc}" if section else loc
    text = f"{key}: {first['msg']}"
    return ConfigError(f"{source}: {text}" if source else text)


class ClientError(PrimeGuardError):
    status_code = 400
    error_type = "invalid_request_error"
    code = "invalid_request"


class InvalidRequest(ClientError):
    pass


class AuthenticationFailed(ClientError):
    status_code = 401
    error_type = "authentication_error"
    code = "invalid_api_key"


class AdminDisabled(ClientError):
    status_code = 403
    error_type = "permission_error"
    code = "admin_disabled"


class ModelNotFound(ClientError):
    status_code = 404
    code = "model_not_found"


class PayloadTooLarge(ClientError):
    status_code = 413
    code = "request_too_large"


class ClientClosed(ClientError):
    """The client hung up before its request body arrived; nobody reads the answer."""

    status_code = 499
    code = "client_closed_request"


class RateLimited(ClientError):
    status_code = 429
    error_type = "rate_limit_error"
    code = "rate_limit_exceeded"


class NotConfigured(PrimeGuardError):
    """The endpoint needs something this deployment did not configure."""

    status_code = 503
    error_type = "server_error"
    code = "not_configured"


class MaskingUnavailable(PrimeGuardError):
    """Personal data was to be masked before the request went on, and could not be."""

    status_code = 503
    error_type = "server_error"
    code = "masking_unavailable"


class UpstreamError(PrimeGuardError):
    status_code = 502
    error_type = "upstream_error"
    code = "upstream_error"

    def __init__(self, message: str, *, upstream_status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.upstream_status = upstream_status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.upstream_status is None or self.upstream_status == 429 or self.upstream_status >= 500


class UpstreamUnavailable(UpstreamError):
    pass


class UpstreamTimeout(UpstreamError):
    status_code = 504
    code = "upstream_timeout"


class UpstreamRateLimited(UpstreamError):
    """The provider kept answering 429 after our retries; passed on with its Retry-After."""

    status_code = 429
    error_type = "rate_limit_error"
    code = "upstream_rate_limited"


class UpstreamRejected(UpstreamError):
    """The provider refused the request as invalid (its 4xx): passed on as 400 with its message."""

    status_code = 400
    error_type = "invalid_request_error"
    code = "upstream_rejected"

    @property
    def retryable(self) -> bool:
        return self.upstream_status == 429


def error_body(message: str, error_type: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def to_http(exc: BaseException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Map any exception to (status, OpenAI error body, headers)."""
    if isinstance(exc, PrimeGuardError):
        headers = dict(exc.headers)
        if isinstance(exc, UpstreamRateLimited) and exc.retry_after is not None:
            headers["retry-after"] = str(int(exc.retry_after + 0.999))
        return exc.status_code, exc.to_body(), headers
    return 500, error_body("internal server error", "server_error", None, "internal_error"), {}
