"""The `cache:` section of the config file, validated by this package.

`config.Settings` keeps the section as a raw mapping so the core config does
not depend on the cache layer; `parse_cache_settings` turns it into a frozen
`CacheSettings` at start-up, or a `ConfigError` naming the key.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from primeguard.errors import config_error

#: Every URL scheme `redis_store.create_client` understands.
REDIS_SCHEMES = frozenset(
    {
        "redis",
        "rediss",
        "unix",
        "redis+cluster",
        "rediss+cluster",
        "redis+sentinel",
        "rediss+sentinel",
    }
)


class CacheSettings(BaseModel):
    """Decision cache and rate-limit store settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(default=True, description="false: judge every request (no decision cache)")
    url: str | None = Field(
        default=None,
        description=(
            "None: in-process memory. Otherwise redis://, rediss://, unix://, "
            "redis+cluster://host:port or redis+sentinel://host:port[,host:port]/service_name"
        ),
    )
    ttl_s: float = Field(default=3600.0, gt=0, description="lifetime of a cached decision")
    refusal_ttl_s: float = Field(
        default=600.0,
        gt=0,
        description="lifetime of a cached refusal; shorter, so a guideline fix heals false refusals soon",
    )
    op_timeout_ms: float = Field(
        default=50.0,
        gt=0,
        le=10_000,
        description="deadline of one store operation; past it, a miss",
    )
    max_entries: int = Field(default=10_000, ge=1, description="capacity of the in-process LRU")
    key_prefix: str = Field(default="pg:", max_length=64, description="prefix of every key written")
    max_connections: int = Field(default=64, ge=1, description="size of the Redis connection pool")
    breaker_failures: int = Field(
        default=5, ge=1, description="consecutive failures that open the circuit breaker"
    )
    breaker_reset_s: float = Field(
        default=5.0,
        gt=0,
        description="seconds the breaker stays open before one probe is let through",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, v: str | None) -> str | None:
        if v is None:
            return None
        scheme = urlsplit(v).scheme.lower()
        if scheme not in REDIS_SCHEMES:
            raise ValueError(
                f"unsupported scheme {scheme!r}; use one of {', '.join(sorted(REDIS_SCHEMES))}"
            )
        return v

    @property
    def op_timeout_s(self) -> float:
        return self.op_timeout_ms / 1000.0


def parse_cache_settings(raw: dict[str, Any]) -> CacheSettings:
    """Validate the raw `cache:` section; any problem becomes a `ConfigError`."""
    try:
        return CacheSettings.model_validate(raw)
    except ValidationError as exc:
        raise config_error(exc, "cache") from None
